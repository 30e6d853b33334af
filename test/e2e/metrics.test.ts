/**
 * Exactness of the metrics sink through real `sluice run`s: a three-output model (binary,
 * multiclass, regression heads) over 8 input files of unequal size on 2 workers. The merged
 * metrics.json must equal (1) a run over the same records as one partition on one worker, bit
 * for bit, (2) a direct single-pass computation over the predictions: counts exactly, sums
 * within 1e-9, AUCs exact (within 1e-12 of rank-based AUCs),
 * and (3) the same after a resumed run. Averaging per-partition AUCs would differ.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { initBackend } from '../../src/model/backend.js';
import { storageSaveHandler } from '../../src/model/io-handler.js';
import { createStorage } from '../../src/storage/index.js';
import { aucRoc, decodeTable } from '../../stages/sink/metrics/scores.js';
import { readParts, sluice } from '../helpers/cli.js';
import { directBinary, directMulticlass, directRegression } from '../helpers/metrics-reference.js';
import { randomFloats } from '../model/helpers.js';

/** Records per input file: unequal on purpose (one tiny, one large). */
const SIZES = [13, 250, 41, 388, 7, 160, 96, 45];
/** Each file's inputs are shifted, so partitions differ in score and label distribution. */
const SHIFTS = [-1.5, -0.2, 0.9, 0.1, 2, -0.8, 0.5, 1.3];
const W_CLICK = [1.5, -2, 0.7];
const W_KIND = [[1, -1, 0.5, 0], [0, 1, -1, 0.3], [-0.5, 0, 1, 0.2]];
const W_PRICE = [2, 0.5, -1];

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-metrics-e2e-'));

/** The input records of file `f`: x in [-1, 1)³ + shift, labels from the same weights plus noise. */
function records(f: number): Record<string, unknown>[] {
  const r = randomFloats(SIZES[f]! * 8, 100 + f);
  return Array.from({ length: SIZES[f]! }, (_, i) => {
    const u = (j: number) => r[i * 8 + j]! * 2 - 1;
    const x = [u(0) + SHIFTS[f]!, u(1), u(2)];
    const dot = (w: number[]) => w.reduce((a, wi, j) => a + wi * x[j]!, 0);
    const kindScores = [0, 1, 2, 3].map((c) => W_KIND.reduce((a, row, j) => a + row[c]! * x[j]!, 0) + u(5 + (c % 3)) * 0.8);
    return {
      id: `f${f}-${i}`,
      x,
      // A few records without a label: every metrics sink skips them as "no-label". The click
      // label ignores the file's shift, which the model sees: each file's base rate is alike
      // but its scores are offset (drift between shards), so the global AUC is below each
      // file's own, and averaging per-partition AUCs overstates it.
      click: i === 3 ? null : dot(W_CLICK) - W_CLICK[0]! * SHIFTS[f]! + u(3) * 1.5 > 0 ? 1 : 0,
      kind: i === 5 ? null : kindScores.indexOf(Math.max(...kindScores)),
      price: i === 2 ? null : dot(W_PRICE) + 3 + u(4),
      shard: ['a', 'b', 'c'][i % 3],
    };
  });
}

/** A pipeline over `source` with a prediction sink and three metrics sinks, one per model output. */
function pipeline(name: string, source: string, workers: number): string {
  const out = `out-${name}`;
  const config = {
    name,
    source: { type: 'jsonl', uri: source },
    decode: { type: 'json', features: { x: { dtype: 'float32', shape: [3] } } },
    key: { type: 'field', field: 'id', forward: ['click', 'kind', 'price', 'shard'] },
    // wasm: the test is about merging across two workers, which the tensorflow backend never runs (one runtime per process).
    model: { type: 'tfjs', uri: 'model/model.json', batchSize: 32, backend: 'wasm' },
    sink: [
      { type: 'jsonl', uri: `${out}/predictions` },
      { type: 'metrics', uri: `${out}/binary`, label: 'click', task: 'binary', output: 'click', slices: [['shard']] },
      { type: 'metrics', uri: `${out}/multiclass`, label: 'kind', task: 'multiclass', output: 'kind', topK: 2 },
      { type: 'metrics', uri: `${out}/regression`, label: 'price', task: 'regression', output: 'price' },
    ],
    errors: { type: 'jsonl', uri: `${out}/errors` },
    // Large enough that every file is one partition.
    execution: { workers, partitionBytes: 64 * 1024 * 1024 },
  };
  const file = path.join(dir, `${name}.json`);
  fs.writeFileSync(file, JSON.stringify(config, null, 2));
  return file;
}

after(() => fs.rmSync(dir, { recursive: true, force: true }));

const metricsOf = (name: string, task: string) => JSON.parse(fs.readFileSync(path.join(dir, `out-${name}`, task, 'metrics.json'), 'utf8'));

let splitSummary: any;

before(async () => {
  // The model: three dense heads over x, with the weights the labels were made from.
  await initBackend('cpu');
  const x = tfl.input({ shape: [3], name: 'x' });
  const click = tfl.layers.dense({ units: 1, activation: 'sigmoid', name: 'click' });
  const kind = tfl.layers.dense({ units: 4, activation: 'softmax', name: 'kind' });
  const price = tfl.layers.dense({ units: 1, name: 'price' });
  const model = tfl.model({ inputs: x, outputs: [click.apply(x), kind.apply(x), price.apply(x)] as tfl.SymbolicTensor[], name: 'heads' });
  click.setWeights([tf.tensor2d(W_CLICK, [3, 1]), tf.tensor1d([0.1])]);
  kind.setWeights([tf.tensor2d(W_KIND), tf.tensor1d([0, 0, 0, 0])]);
  price.setWeights([tf.tensor2d(W_PRICE, [3, 1]), tf.tensor1d([3])]);
  await model.save(storageSaveHandler(createStorage(), path.join(dir, 'model')));
  model.dispose();

  fs.mkdirSync(path.join(dir, 'data'));
  const all: string[] = [];
  SIZES.forEach((_, f) => {
    const lines = records(f).map((r) => JSON.stringify(r));
    all.push(...lines);
    fs.writeFileSync(path.join(dir, 'data', `part-${f}.jsonl`), lines.join('\n') + '\n');
  });
  fs.writeFileSync(path.join(dir, 'all.jsonl'), all.join('\n') + '\n');

  const split = sluice(['run', pipeline('split', 'data/*.jsonl', 2), '--json']);
  assert.equal(split.status, 0, split.stderr);
  splitSummary = JSON.parse(split.stdout);
  const single = sluice(['run', pipeline('single', 'all.jsonl', 1), '--json']);
  assert.equal(single.status, 0, single.stderr);
});

test('8 unequal partitions on 2 workers give the same metrics.json as one partition, bit for bit', () => {
  assert.equal(splitSummary.partitions.total, 8);
  assert.equal(splitSummary.workers, 2);
  for (const task of ['binary', 'multiclass', 'regression']) {
    assert.deepEqual(metricsOf('split', task), metricsOf('single', task), task);
  }
  // The report is in the run summary too, by the sink's config path.
  assert.deepEqual(Object.keys(splitSummary.reports), ['/sink/1', '/sink/2', '/sink/3']);
  assert.equal(splitSummary.reports['/sink/1'].result.metrics.aucRoc, metricsOf('split', 'binary').metrics.aucRoc);
});

/** The labelled predictions of the split run, read back from the prediction sink. */
function predictions(label: 'click' | 'kind' | 'price'): any[] {
  const rows = readParts(path.join(dir, 'out-split/predictions'));
  assert.equal(rows.length, 1000);
  return rows.filter((r) => r[label] !== null);
}

test('binary: counts exact, log-loss within 1e-9, AUCs exact (bound 0, within 1e-12 of rank-based AUCs)', () => {
  const rows = predictions('click');
  const m = metricsOf('split', 'binary');
  const direct = directBinary(rows.map((r) => r.click), rows.map((r) => r.prediction.click[0]), 0.5);
  assert.equal(m.records, rows.length);
  assert.deepEqual(m.skipped, { 'no-label': 8 });
  assert.deepEqual(m.metrics.confusionMatrix.matrix, [[direct.tn, direct.fp], [direct.fn, direct.tp]]);
  for (const name of ['accuracy', 'precision', 'recall', 'f1'] as const) assert.equal(m.metrics[name], direct[name], name);
  assert.ok(Math.abs(m.metrics.logLoss - direct.logLoss) <= 1e-9, `log-loss ${m.metrics.logLoss} vs ${direct.logLoss}`);
  // Slices by a forwarded field: each slice's AUC is its own records' exact AUC.
  const slices = m.slices[0].values;
  assert.deepEqual(slices.map((v: any) => v.slice.shard), ['a', 'b', 'c']);
  assert.equal(slices.reduce((a: number, v: any) => a + v.records, 0), rows.length);
  for (const v of slices) {
    const mine = rows.filter((r) => r.shard === v.slice.shard);
    const own = directBinary(mine.map((r) => r.click), mine.map((r) => r.prediction.click[0]), 0.5);
    assert.ok(Math.abs(v.metrics.aucRoc - own.aucRoc) <= 1e-12, `slice ${v.slice.shard}: ${v.metrics.aucRoc} vs ${own.aucRoc}`);
  }
  for (const name of ['aucRoc', 'aucPr'] as const) {
    assert.equal(m.errorBounds[name], 0, `${name}: an exact score table`);
    assert.ok(Math.abs(m.metrics[name] - direct[name]) <= 1e-12, `${name} ${m.metrics[name]} vs exact ${direct[name]}`);
  }
});

test('multiclass: confusion matrix and top-k exact, log-loss within 1e-9, macro P/R/F1 as computed directly', () => {
  const rows = predictions('kind');
  const m = metricsOf('split', 'multiclass');
  const direct = directMulticlass(rows.map((r) => r.kind), rows.map((r) => r.prediction.kind), 2);
  assert.equal(m.records, rows.length);
  assert.deepEqual(m.metrics.confusionMatrix, { classes: ['0', '1', '2', '3'], matrix: direct.matrix });
  assert.equal(m.metrics.accuracy, direct.accuracy);
  assert.equal(m.metrics.topKAccuracy, direct.topKAccuracy);
  for (const name of ['logLoss', 'precision', 'recall', 'f1'] as const) {
    assert.ok(Math.abs(m.metrics[name] - direct[name]) <= 1e-9, `${name} ${m.metrics[name]} vs ${direct[name]}`);
  }
});

test('regression: MAE, MSE, RMSE and R² within 1e-9 of a direct computation', () => {
  const rows = predictions('price');
  const m = metricsOf('split', 'regression');
  const direct = directRegression(rows.map((r) => r.price), rows.map((r) => r.prediction.price[0]));
  assert.equal(m.records, rows.length);
  for (const name of ['mae', 'mse', 'rmse', 'r2'] as const) {
    assert.ok(Math.abs(m.metrics[name] - direct[name]) <= 1e-9, `${name} ${m.metrics[name]} vs ${direct[name]}`);
  }
});

test('averaging the per-partition AUCs (what merging results instead of states gives) differs from the exact AUC', () => {
  const manifest = path.join(dir, 'out-split/predictions/_manifest');
  const entries = fs.readdirSync(manifest).filter((f) => /^p\d+\.json$/.test(f)).map((f) => JSON.parse(fs.readFileSync(path.join(manifest, f), 'utf8')));
  assert.equal(entries.length, 8);
  // The manifest entry holds a reference; the state is a file committed beside metrics.json.
  const refs = entries.map((e) => e.states[1]);
  for (const ref of refs) assert.deepEqual(Object.keys(ref), ['stateFile', 'bytes']);
  const states = refs.map((ref) => decodeTable(JSON.parse(fs.readFileSync(path.join(dir, 'out-split/binary', ref.stateFile), 'utf8')).overall.binary.scores));
  const perPartition = states.map((t) => aucRoc(t)?.value).filter((v): v is number => v !== undefined);
  const averaged = perPartition.reduce((a, b) => a + b, 0) / perPartition.length;
  const m = metricsOf('split', 'binary');
  assert.ok(Math.abs(averaged - m.metrics.aucRoc) > 0.02, `averaged ${averaged} vs merged ${m.metrics.aucRoc}`);

});

test('a resumed run merges the states of the partitions an earlier run committed', () => {
  const before = ['binary', 'multiclass', 'regression'].map((t) => metricsOf('split', t));
  const out = path.join(dir, 'out-split');
  // As if the run had been killed after committing 5 of 8 partitions: drop 3 commits and every end-of-run file.
  for (const id of [1, 4, 6]) {
    fs.rmSync(path.join(out, 'predictions/_manifest', `p${String(id).padStart(5, '0')}.json`));
    for (const sub of ['predictions', 'errors']) fs.rmSync(path.join(out, sub, `part-${String(id).padStart(5, '0')}-of-00008.jsonl`), { force: true });
  }
  for (const sub of ['predictions', 'errors', 'binary', 'multiclass', 'regression']) {
    fs.rmSync(path.join(out, sub, '_SUCCESS'), { force: true });
    fs.rmSync(path.join(out, sub, 'metrics.json'), { force: true });
    fs.rmSync(path.join(out, sub, 'metrics.html'), { force: true });
  }
  const r = sluice(['run', path.join(dir, 'split.json'), '--json']);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).partitions.resumed, 5);
  assert.deepEqual(['binary', 'multiclass', 'regression'].map((t) => metricsOf('split', t)), before);
});

test('the end-of-run table is printed on stderr after the summary', () => {
  const r = sluice(['run', path.join(dir, 'single.json')]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /the output was already complete; nothing to do/);
  assert.match(r.stderr, /metrics: binary on "click", 992 records → out-single\/binary\/metrics\.json\n {2}skipped {11}no-label 8\n {2}accuracy @0\.5 {5}0\.\d{4}\n/);
  assert.match(r.stderr, /\n {2}AUC-ROC {11}0\.\d{4} {2}\(exact\)\n/);
  assert.match(r.stderr, /metrics: regression on "price", 992 records/);
  assert.match(r.stderr, /confusion matrix \(rows: label, columns: predicted\)\n +0 +1 +2 +3\n/);
});

test('a label that is not forwarded is a config error naming its path, before any data is read', () => {
  const config = JSON.parse(fs.readFileSync(path.join(dir, 'single.json'), 'utf8'));
  config.key.forward = ['click'];
  const file = path.join(dir, 'unforwarded.json');
  fs.writeFileSync(file, JSON.stringify(config));
  const r = sluice(['validate', file]);
  assert.equal(r.status, 2, r.stderr);
  assert.equal(
    r.stderr,
    'sluice: /sink/1/slices/0/0: "shard" is not a forwarded field; add it to /key/forward\n' +
      'sluice: /sink/2/label: "kind" is not a forwarded field; add it to /key/forward (the metrics sink reads the label from the prediction row); forwarded: click\n' +
      'sluice: /sink/3/label: "price" is not a forwarded field; add it to /key/forward (the metrics sink reads the label from the prediction row); forwarded: click\n' +
      'sluice: 3 problems in the config; nothing was run\n',
  );
});
