/**
 * `sink/metrics` piece by piece: reading labels and predictions of every accepted shape, config
 * checks, and the merge (pure, associative, refusing states made with other parameters). Score
 * tables and every metric against references: test/stages/metrics-exact.test.ts; end-to-end
 * runs: test/e2e/metrics.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import metricsSink from '../../stages/sink/metrics/index.js';
import { readRow, type ReadOptions } from '../../stages/sink/metrics/read.js';
import { computeMetrics } from '../../stages/sink/metrics/compute.js';
import { exactness, formatMetrics } from '../../stages/sink/metrics/table.js';
import { mergeAll } from '../../stages/sink/aggregation.js';
import { metricsAggregation } from '../../stages/sink/metrics/sliced.js';
import type { Row, SinkDefinition } from '../../src/core/stage.js';
import { testContext, withDefaults } from '../helpers/run-stage.js';
import { randomFloats } from '../model/helpers.js';

const opts = (over: Partial<ReadOptions> = {}): ReadOptions => ({ label: 'y', topK: 2, ...over });
const row = (y: unknown, prediction: unknown): Row => ({ key: 'k', y, prediction } as Row);
/** A multiclass observation without its distribution (checked on its own below). */
const read = (r: Row, o: ReadOptions) => {
  const obs = readRow('multiclass', r, o);
  if (typeof obs === 'string') return obs;
  const { distribution: _, ...rest } = obs;
  return rest;
};

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
    [1, [-0.0000000848, 1.0000000848], { y: 1, p: 1 }], // float32 softmax rounding: within 1e-6, clamped
    [0, -0.0000001, { y: 0, p: 0 }],
    [0, 1.00001, 'bad-prediction'], // beyond the tolerance
    [1, [0.1, 0.2, 0.7], 'bad-prediction'],
    [0, { class: 1, score: 0.9 }, 'bad-prediction'],
  ];
  for (const [y, p, expected] of cases) assert.deepEqual(readRow('binary', row(y, p), opts()), expected, JSON.stringify([y, p]));
});

test('multiclass rows: probability vectors, topk and argmax outputs, class names', () => {
  const vector = [0.1, 0.5, 0.3, 0.1];
  assert.deepEqual(read(row([2], vector), opts()), { label: '2', predicted: '1', probability: 0.3, inTopK: true });
  assert.deepEqual(read(row(3, vector), opts()), { label: '3', predicted: '1', probability: 0.1, inTopK: false });
  // Ties rank by lower index, as post/topk orders them: class 0 (0.1) is third, class 3 (0.1) fourth.
  assert.deepEqual(read(row(0, vector), opts({ topK: 3 })), { label: '0', predicted: '1', probability: 0.1, inTopK: true });
  assert.deepEqual(read(row(3, vector), opts({ topK: 3 })), { label: '3', predicted: '1', probability: 0.1, inTopK: false });
  assert.equal(read(row(4, vector), opts()), 'unknown-label');
  assert.equal(read(row(1.5, vector), opts()), 'bad-label');
  assert.equal(read(row(1, [0.2, 'x']), opts()), 'bad-prediction');

  const topk = { classes: [1, 2, 0], scores: [0.5, 0.3, 0.1] };
  assert.deepEqual(read(row(2, topk), opts()), { label: '2', predicted: '1', probability: 0.3, inTopK: true });
  // Not listed among 3 classes: outside the top 2 for sure, but its probability is unknown.
  assert.deepEqual(read(row(3, topk), opts()), { label: '3', predicted: '1', probability: null, inTopK: false });
  assert.deepEqual(read(row(3, topk), opts({ topK: 5 })), { label: '3', predicted: '1', probability: null, inTopK: null });

  const argmax = { class: 'versicolor', score: 0.9 };
  assert.deepEqual(read(row('versicolor', argmax), opts()), { label: 'versicolor', predicted: 'versicolor', probability: 0.9, inTopK: true });
  assert.deepEqual(read(row('setosa', argmax), opts()), { label: 'setosa', predicted: 'versicolor', probability: null, inTopK: null });
  // With class names, an index label compares with a named prediction, and a named label with a vector.
  const classes = ['setosa', 'versicolor', 'virginica'];
  assert.deepEqual(read(row([1], argmax), opts({ classes })), { label: 'versicolor', predicted: 'versicolor', probability: 0.9, inTopK: true });
  assert.deepEqual(read(row('virginica', [0.2, 0.3, 0.5]), opts({ classes })), { label: 'virginica', predicted: 'virginica', probability: 0.5, inTopK: true });
  // The whole distribution: from a vector; from topk only when it lists every configured class.
  const dist = (r: Row, o: ReadOptions) => (readRow('multiclass', r, o) as { distribution: unknown }).distribution;
  assert.deepEqual(dist(row(0, [0.2, 0.3, 0.5]), opts({ classes })), { classes, scores: [0.2, 0.3, 0.5] });
  assert.deepEqual(dist(row(0, { classes: [2, 0, 1], scores: [0.5, 0.3, 0.2] }), opts({ classes })), { classes: ['virginica', 'setosa', 'versicolor'], scores: [0.5, 0.3, 0.2] });
  assert.equal(dist(row(0, { classes: [2, 0], scores: [0.5, 0.3] }), opts({ classes })), null);
  assert.equal(dist(row(0, topk), opts()), null, 'no configured classes: topk may not list them all');
  assert.equal(dist(row('setosa', argmax), opts()), null);
  // Keras in_top_k counts every class tied with the label at the boundary.
  assert.deepEqual(read(row(3, vector), opts({ topK: 3, topKTies: 'include' })), { label: '3', predicted: '1', probability: 0.1, inTopK: true });
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
    '/sink/1/metrics/1: "aucRoc" is not a regression metric (regression: mae, mse, rmse, r2, meanLabel, meanPrediction)',
    '/sink/1/classes: applies to task "multiclass" only, not "regression"',
  ]);
  const fine = withDefaults<any>(metricsSink, { uri: 'out/m', label: 'species', task: 'multiclass' });
  assert.deepEqual(await metricsSink.check!(fine, testContext({ forward: ['species'] })), []);
});

/** A binary aggregation state of `n` seeded rows. */
function binaryState(n: number, seed: number, options: Record<string, unknown> = {}) {
  const o = withDefaults<any>(metricsSink, { uri: 'm', label: 'y', task: 'binary', slices: [['g']], ...options });
  const agg = metricsAggregation(o);
  const s = agg.init();
  const r = randomFloats(3 * n, seed);
  for (let i = 0; i < n; i++) agg.update(s, { key: String(i), y: r[i]! < 0.5 ? 1 : 0, g: r[2 * n + i]! < 0.3 ? 'a' : 'b', prediction: Math.round(r[n + i]! * 50) / 50 });
  return { agg, s, o };
}

test('merging is pure and associative; states made with other parameters do not merge', () => {
  const [{ agg, s: a, o }, { s: b }, { s: c }] = [binaryState(30, 1), binaryState(7, 2), binaryState(121, 3)];
  const copies = JSON.stringify([a, b, c].map(agg.encode));
  const left = mergeAll(agg, [mergeAll(agg, [a, b]), c]);
  const right = mergeAll(agg, [a, mergeAll(agg, [c, b])]);
  assert.equal(JSON.stringify([a, b, c].map(agg.encode)), copies, 'the inputs are left as they were');
  const all = ['accuracy', 'precision', 'recall', 'f1', 'aucRoc', 'aucPr', 'logLoss', 'confusionMatrix', 'curves'] as const;
  assert.deepEqual(computeMetrics(left, all, o), computeMetrics(right, all, o));
  assert.equal(left.overall.count, 158);
  // Through JSON (as the state files carry them): the same figures.
  const decoded = mergeAll(agg, [a, b, c].map((x) => agg.decode(JSON.parse(JSON.stringify(agg.encode(x))))));
  assert.deepEqual(computeMetrics(decoded, all, o), computeMetrics(left, all, o));
  const other = binaryState(5, 4, { threshold: 0.7 });
  assert.throws(() => agg.merge(left, other.s), /cannot merge a binary state with parameters .*"threshold":0.7.* into a binary state with .*"threshold":0.5/);
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
      params: { topK: 5, maxScores: 200000 },
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
      '  report            m/metrics.html',
    ]);
    assert.match(fs.readFileSync(path.join(dir, 'm/metrics.html'), 'utf8'), /^<!doctype html>/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('the table says how exact an AUC is: "(exact)", or the interval the exact value lies in, clipped to [0, 1]', () => {
  assert.equal(exactness(0.8232, 0), '  (exact)');
  assert.equal(exactness(0.8232, 0.85), '  (exact value in [0.0000, 1.0000]: more distinct scores than maxScores, neighbours grouped)');
  assert.equal(exactness(0.8232, 0.0131), '  (exact value in [0.8101, 0.8363]: more distinct scores than maxScores, neighbours grouped)');
  const { agg, s, o } = binaryState(400, 5, { maxScores: 16 });
  const lines = formatMetrics(computeMetrics(mergeAll(agg, [s]), ['aucRoc', 'aucPr'], o), 'm/metrics.json');
  assert.match(lines[1]!, /^ {2}AUC-ROC {11}0\.\d{4} {2}\(exact value in \[0\.\d{4}, 0\.\d{4}\]: more distinct scores than maxScores, neighbours grouped\)$/);
  assert.match(lines[2]!, /^ {2}AUC-PR \(AP\) {7}0\.\d{4} {2}\(exact value in \[/);
  assert.match(lines[3]!, /^ {2}slices g: 2 in metrics\.json$/);
});

test('the stage\'s examples are valid options', () => {
  for (const example of metricsSink.examples ?? []) assert.deepEqual(withDefaults<any>(metricsSink, example), example, JSON.stringify(example));
});
