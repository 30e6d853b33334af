/**
 * The MNIST example evaluates a real model on real labelled data: TFX's mnist.tfrecord (1000
 * tf.Example, read in place from ../shared) through examples/mnist/pipeline.json, its input
 * replaced by `--set source.uri` (the example ships 200 digits of its own: examples.test.ts). Its accuracy
 * must clear a sane floor, and its metrics.json must agree with the predictions it wrote. It runs
 * on every backend (tensorflow where `npm run native` ran), each one's scores within 1e-4 of wasm's.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT, assertClose, readParts, sluice } from '../helpers/cli.js';
import { logLossTerm } from '../helpers/metrics-reference.js';
import { BACKENDS, needsNative } from '../helpers/native.js';

const FIXTURE = path.resolve(ROOT, '../shared/fixtures/tfrecord/mnist.tfrecord');
const skip = fs.existsSync(FIXTURE) ? false : `${FIXTURE} is absent (../shared is not beside the project)`;

/** Each backend's scores by record and class, to compare with wasm's (which runs first). */
const scoresBy = new Map<string, Map<number, Record<number, number>>>();

for (const backend of BACKENDS) {
test(`examples/mnist on ${backend}: accuracy >= 0.85 on 1000 TFX digits, metrics.json agrees with the predictions, scores within 1e-4 of wasm`, { skip: skip || (backend === 'tensorflow' && needsNative()) }, () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-mnist-'));
  try {
    const r = sluice([
      'run', path.join(ROOT, 'examples/mnist/pipeline.json'), '--set', `source.uri=${FIXTURE}`, '--set', `model.backend=${backend}`,
      '--set', `sink.0.uri=${out}/predictions`, '--set', `sink.1.uri=${out}/metrics`, '--set', `errors.uri=${out}/errors`,
    ]);
    assert.equal(r.status, 0, r.stderr);
    const m = JSON.parse(fs.readFileSync(path.join(out, 'metrics/metrics.json'), 'utf8'));
    assert.equal(m.records, 1000);
    assert.ok(m.metrics.accuracy >= 0.85, `accuracy ${m.metrics.accuracy}`);
    // The report beside it, drawn from the same figures (test/e2e/metrics-report.test.ts opens one in a browser).
    const html = fs.readFileSync(path.join(out, 'metrics/metrics.html'), 'utf8');
    assert.ok(html.includes(`"accuracy":${m.metrics.accuracy}`), 'metrics.html embeds metrics.json');

    // Recomputed from the written predictions (topk over all 10 classes: the full distribution).
    const rows = readParts(path.join(out, 'predictions'));
    assert.equal(rows.length, 1000);
    const matrix = Array.from({ length: 10 }, () => new Array<number>(10).fill(0));
    let top3 = 0;
    let logLoss = 0;
    for (const row of rows) {
      const label: number = row.image_class[0];
      const { classes, scores } = row.prediction;
      matrix[label]![classes[0]]!++;
      if (classes.slice(0, 3).includes(label)) top3++;
      logLoss += logLossTerm(scores[classes.indexOf(label)]);
    }
    assert.deepEqual(m.metrics.confusionMatrix.matrix, matrix);
    assert.equal(m.metrics.accuracy, matrix.reduce((a, row, c) => a + row[c]!, 0) / 1000);
    assert.equal(m.metrics.topKAccuracy, top3 / 1000);
    assert.ok(Math.abs(m.metrics.logLoss - logLoss / 1000) <= 1e-9);
    assert.match(r.stderr, /metrics: multiclass on "image_class", 1,000 records → .*metrics\.json\n {2}accuracy {10}0\.9\d{3}\n {2}top-3 accuracy {4}0\.9\d{3}\n/);

    // Backends differ in float summation order only: every class's score within 1e-4 of wasm's
    // (by class, not by rank: near-ties may order differently).
    const scores = new Map(rows.map((row) => [row.key as number, Object.fromEntries(row.prediction.classes.map((c: number, i: number) => [c, row.prediction.scores[i]]))]));
    scoresBy.set(backend, scores);
    const wasm = scoresBy.get('wasm');
    if (backend !== 'wasm' && wasm) assertClose(Object.fromEntries(scores), Object.fromEntries(wasm), 1e-4);
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
});
}
