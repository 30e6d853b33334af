/**
 * `sink/metrics` piece by piece: reading labels and predictions of every accepted shape, config
 * checks, the histogram AUCs against exact rank-based AUCs (within the stated bound), and the
 * merge (pure, associative, refusing states made with other parameters). The end-to-end
 * exactness over real runs is in test/e2e/metrics.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import metricsSink from '../../stages/sink/metrics/index.js';
import { readRow, type ReadOptions } from '../../stages/sink/metrics/read.js';
import { computeMetrics, histogramAucPr, histogramAucRoc } from '../../stages/sink/metrics/compute.js';
import { addBinary, binOf, emptyState, mergeStates, type MetricsState } from '../../stages/sink/metrics/state.js';
import type { Row, SinkDefinition } from '../../src/core/stage.js';
import { testContext, withDefaults } from '../helpers/run-stage.js';
import { exactAucRoc, exactAveragePrecision } from '../helpers/metrics-reference.js';
import { randomFloats } from '../model/helpers.js';

const opts = (over: Partial<ReadOptions> = {}): ReadOptions => ({ label: 'y', topK: 2, ...over });
const row = (y: unknown, prediction: unknown): Row => ({ key: 'k', y, prediction } as Row);

test('binary rows: labels 0/1 in any plain form; predictions as p, [p] or [p0, p1]', () => {
  const cases: [unknown, unknown, unknown][] = [
    [1, 0.8, { y: 1, p: 0.8 }],
    [[0], [0.3], { y: 0, p: 0.3 }], // tf.Example features are forwarded as lists
    ['1', [0.4, 0.6], { y: 1, p: 0.6 }], // CSV cells are text; a two-class vector gives P(1)
    [true, 1, { y: 1, p: 1 }],
    [null, 0.5, 'no-label'],
    [[], 0.5, 'no-label'],
    [2, 0.5, 'bad-label'],
    ['yes', 0.5, 'bad-label'],
    [1, 1.2, 'bad-prediction'], // not a probability
    [1, [0.1, 0.2, 0.7], 'bad-prediction'],
    [0, { class: 1, score: 0.9 }, 'bad-prediction'],
  ];
  for (const [y, p, expected] of cases) assert.deepEqual(readRow('binary', row(y, p), opts()), expected, JSON.stringify([y, p]));
});

test('multiclass rows: probability vectors, topk and argmax outputs, class names', () => {
  const vector = [0.1, 0.5, 0.3, 0.1];
  assert.deepEqual(readRow('multiclass', row([2], vector), opts()), { label: '2', predicted: '1', probability: 0.3, inTopK: true });
  assert.deepEqual(readRow('multiclass', row(3, vector), opts()), { label: '3', predicted: '1', probability: 0.1, inTopK: false });
  // Ties rank by lower index, as post/topk orders them: class 0 (0.1) is third, class 3 (0.1) fourth.
  assert.deepEqual(readRow('multiclass', row(0, vector), opts({ topK: 3 })), { label: '0', predicted: '1', probability: 0.1, inTopK: true });
  assert.deepEqual(readRow('multiclass', row(3, vector), opts({ topK: 3 })), { label: '3', predicted: '1', probability: 0.1, inTopK: false });
  assert.equal(readRow('multiclass', row(4, vector), opts()), 'unknown-label');
  assert.equal(readRow('multiclass', row(1.5, vector), opts()), 'bad-label');
  assert.equal(readRow('multiclass', row(1, [0.2, 'x']), opts()), 'bad-prediction');

  const topk = { classes: [1, 2, 0], scores: [0.5, 0.3, 0.1] };
  assert.deepEqual(readRow('multiclass', row(2, topk), opts()), { label: '2', predicted: '1', probability: 0.3, inTopK: true });
  // Not listed among 3 classes: outside the top 2 for sure, but its probability is unknown.
  assert.deepEqual(readRow('multiclass', row(3, topk), opts()), { label: '3', predicted: '1', probability: null, inTopK: false });
  assert.deepEqual(readRow('multiclass', row(3, topk), opts({ topK: 5 })), { label: '3', predicted: '1', probability: null, inTopK: null });

  const argmax = { class: 'versicolor', score: 0.9 };
  assert.deepEqual(readRow('multiclass', row('versicolor', argmax), opts()), { label: 'versicolor', predicted: 'versicolor', probability: 0.9, inTopK: true });
  assert.deepEqual(readRow('multiclass', row('setosa', argmax), opts()), { label: 'setosa', predicted: 'versicolor', probability: null, inTopK: null });
  // With class names, an index label compares with a named prediction, and a named label with a vector.
  const classes = ['setosa', 'versicolor', 'virginica'];
  assert.deepEqual(readRow('multiclass', row([1], argmax), opts({ classes })), { label: 'versicolor', predicted: 'versicolor', probability: 0.9, inTopK: true });
  assert.deepEqual(readRow('multiclass', row('virginica', [0.2, 0.3, 0.5]), opts({ classes })), { label: 'virginica', predicted: 'virginica', probability: 0.5, inTopK: true });
});

test('regression rows and a multi-output model\'s named output', () => {
  assert.deepEqual(readRow('regression', row('3.5', [4]), opts()), { y: 3.5, yHat: 4 });
  assert.deepEqual(readRow('regression', row([2], 1.25), opts()), { y: 2, yHat: 1.25 });
  assert.equal(readRow('regression', row('n/a', 1), opts()), 'bad-label');
  assert.equal(readRow('regression', row(1, [1, 2]), opts()), 'bad-prediction');
  assert.deepEqual(readRow('regression', row(1, { price: [2], click: [0.5] }), opts({ output: 'price' })), { y: 1, yHat: 2 });
  assert.equal(readRow('regression', row(1, { click: [0.5] }), opts({ output: 'price' })), 'bad-prediction');
});

test('config checks: the label must be forwarded, and each metric must belong to the task', async () => {
  const options = withDefaults<any>(metricsSink, { uri: 'out/m', label: 'species', task: 'regression', metrics: ['mae', 'aucRoc'], classes: ['a', 'b'] });
  const problems = await metricsSink.check!(options, testContext({ path: '/sink/1', forward: ['id'] }));
  assert.deepEqual(problems, [
    '/sink/1/label: "species" is not a forwarded field; add it to /key/forward (the metrics sink reads the label from the prediction row); forwarded: id',
    '/sink/1/metrics/1: "aucRoc" is not a regression metric (regression: mae, mse, rmse, r2)',
    '/sink/1/classes: applies to task "multiclass" only, not "regression"',
  ]);
  const fine = withDefaults<any>(metricsSink, { uri: 'out/m', label: 'species', task: 'multiclass' });
  assert.deepEqual(await metricsSink.check!(fine, testContext({ forward: ['species'] })), []);
});

/** Histograms of (label, score) pairs over `bins` bins. */
function histograms(labels: (0 | 1)[], scores: number[], bins: number) {
  const positives = new Array<number>(bins).fill(0);
  const negatives = new Array<number>(bins).fill(0);
  labels.forEach((y, i) => (y ? positives : negatives)[binOf(scores[i]!, bins)]!++);
  return { positives, negatives };
}

test('histogram AUCs are within their stated bound of the exact rank-based AUCs; the bound shrinks with more bins', () => {
  const r = randomFloats(4000, 9);
  const labels = Array.from({ length: 2000 }, (_, i) => (r[i]! < 0.4 ? 1 : 0) as 0 | 1);
  // Overlapping score distributions, with many exact ties (scores on a 1/500 grid).
  const scores = labels.map((y, i) => Math.round(Math.min(1, Math.max(0, 0.35 + 0.3 * y + (r[2000 + i]! - 0.5) * 0.8)) * 500) / 500);
  const exactRoc = exactAucRoc(scores, labels);
  const exactPr = exactAveragePrecision(scores, labels);
  let previous = Infinity;
  for (const bins of [10, 100, 1000, 100000]) {
    const { positives, negatives } = histograms(labels, scores, bins);
    const roc = histogramAucRoc(positives, negatives)!;
    const pr = histogramAucPr(positives, negatives)!;
    assert.ok(Math.abs(roc.value - exactRoc) <= roc.bound + 1e-12, `${bins} bins: AUC-ROC ${roc.value} vs ${exactRoc}, bound ${roc.bound}`);
    assert.ok(Math.abs(pr.value - exactPr) <= pr.bound + 1e-12, `${bins} bins: AUC-PR ${pr.value} vs ${exactPr}, bound ${pr.bound}`);
    assert.ok(roc.bound <= previous, 'a finer histogram has a smaller bound');
    previous = roc.bound;
  }
  // Scores on a 1/500 grid in 100,000 bins: every bin holds one distinct score, so ties are the
  // data's own and the histogram AUC-ROC is the exact one (the bound then counts those ties).
  const fine = histograms(labels, scores, 100000);
  assert.ok(Math.abs(histogramAucRoc(fine.positives, fine.negatives)!.value - exactRoc) < 1e-12);
  assert.equal(histogramAucRoc([3, 0], [0, 0]), null, 'no negatives: undefined');
  assert.equal(histogramAucPr([0, 0], [1, 2]), null, 'no positives: undefined');
});

/** A binary state of `n` records from `seed`. */
function binaryState(n: number, seed: number): MetricsState {
  const s = emptyState('binary', { threshold: 0.5, thresholds: 50, topK: 5 });
  const r = randomFloats(2 * n, seed);
  for (let i = 0; i < n; i++) addBinary(s, { y: r[i]! < 0.5 ? 1 : 0, p: r[n + i]! });
  return s;
}

test('merging is pure and associative; states made with other parameters do not merge', () => {
  const [a, b, c] = [binaryState(30, 1), binaryState(7, 2), binaryState(121, 3)];
  const copies = JSON.stringify([a, b, c]);
  const left = mergeStates([mergeStates([a, b]), c]);
  const right = mergeStates([a, mergeStates([c, b])]);
  assert.equal(JSON.stringify([a, b, c]), copies, 'the inputs are left as they were');
  const all = ['accuracy', 'precision', 'recall', 'f1', 'aucRoc', 'aucPr', 'logLoss', 'confusionMatrix'] as const;
  assert.deepEqual(computeMetrics(left, all, 'y'), computeMetrics(right, all, 'y'));
  assert.equal(left.count, 158);
  const other = emptyState('binary', { threshold: 0.5, thresholds: 100, topK: 5 });
  assert.throws(() => mergeStates([a, other]), /cannot merge a binary state with parameters .*"thresholds":100.* into a binary state with .*"thresholds":50/);
});

test('finish writes metrics.json in the sink directory and reports lines and the result', async () => {
  const dir = fs.mkdtempSync(path.join(process.env.TMPDIR ?? '/tmp', 'sluice-metrics-'));
  try {
    const options = withDefaults<any>(metricsSink, { uri: 'm', label: 'y', task: 'multiclass', metrics: ['accuracy', 'confusionMatrix'] });
    const ctx = testContext({ baseDir: dir, forward: ['y'] });
    // Through the general sink interface, as the engine calls it.
    const def: SinkDefinition = metricsSink;
    const sink = await def.create(options, ctx);
    const states = [];
    for (const rows of [[row(0, [0.9, 0.1]), row(1, [0.2, 0.8])], [row(1, [0.6, 0.4]), row(null, [0.5, 0.5])]]) {
      const w = sink.open(undefined as never);
      await w.write(rows);
      states.push((await w.end())!);
    }
    const report = await def.finish!(options, states, ctx);
    const written = JSON.parse(fs.readFileSync(path.join(dir, 'm/metrics.json'), 'utf8'));
    assert.deepEqual(written, {
      task: 'multiclass',
      label: 'y',
      records: 3,
      skipped: { 'no-label': 1 },
      params: { topK: 5 },
      metrics: { accuracy: 2 / 3, confusionMatrix: { classes: ['0', '1'], matrix: [[1, 0], [1, 1]] } },
    });
    assert.deepEqual(report.lines, [
      'metrics: multiclass on "y", 3 records → m/metrics.json',
      '  skipped           no-label 1',
      '  accuracy          0.6667',
      '  confusion matrix (rows: label, columns: predicted)',
      '      0 1',
      '    0 1 0',
      '    1 1 1',
    ]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
