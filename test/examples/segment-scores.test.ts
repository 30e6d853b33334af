/**
 * The segment-scores example (examples/segment-scores): a prediction spec that owns its metrics
 * (accuracy and a per-segment score histogram, its own aggregations using bin edges set up in
 * `init`; and the built-in multiclass evaluation per segment). Run on 2 workers over many partitions, the results equal expected/ (golden) and a
 * one-partition, one-worker run; `checkMerge` (sluice/testing) passes on both aggregations and
 * catches a merge that is not associative/commutative.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT, readParts, sluice } from '../helpers/cli.js';
import { checkMerge } from '../../src/testing.js';
import type { UserAggregation } from '../../src/index.js';
import { SegmentSpec } from '../../examples/segment-scores/segment-spec.js';

const example = path.join(ROOT, 'examples/segment-scores');
const METRICS = ['accuracy.json', 'scoreHistogram.json', 'evaluation.json'];
const read = (file: string) => JSON.parse(fs.readFileSync(file, 'utf8'));

function run(extra: string[] = []) {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-segment-scores-'));
  const sets = [`sink.0.uri=${out}/predictions`, `sink.1.uri=${out}/metrics`, `errors.uri=${out}/errors`, ...extra].flatMap((s) => ['--set', s]);
  const r = sluice(['run', path.join(example, 'pipeline.json'), '--json', ...sets]);
  assert.equal(r.status, 0, r.stderr);
  return { out, summary: JSON.parse(r.stdout), stderr: r.stderr };
}

let predictions: any[] = [];

test('example segment-scores: 2 workers over many partitions give the golden metrics, and so does one partition', () => {
  const many = run();
  assert.ok(many.summary.partitions.total >= 10, `expected many partitions, got ${JSON.stringify(many.summary.partitions)}`);
  for (const name of METRICS) assert.deepEqual(read(path.join(many.out, 'metrics', name)), read(path.join(example, 'expected', name)), name);
  assert.deepEqual(many.summary.reports['/sink/1'].result.accuracy, { correct: 147, total: 150, accuracy: 0.98 });
  // The built-in evaluation (a spec metric too) agrees with the spec's own accuracy.
  assert.equal(read(path.join(many.out, 'metrics/evaluation.json')).metrics.accuracy, 0.98);
  predictions = readParts(path.join(many.out, 'predictions'));
  assert.equal(predictions.length, read(path.join(example, 'expected/accuracy.json')).total);

  const one = run(['execution.workers=1', 'execution.partitionBytes=100000000']);
  assert.equal(one.summary.partitions.total, 1);
  for (const name of METRICS) assert.deepEqual(read(path.join(one.out, 'metrics', name)), read(path.join(example, 'expected', name)), name);
});

test('checkMerge: the example spec\'s aggregations merge exactly over random partitionings of its predictions', () => {
  assert.ok(predictions.length > 100, 'the first test ran');
  const spec = new SegmentSpec();
  spec.init();
  const own = Object.values(spec.metrics).filter((m): m is UserAggregation => 'init' in m);
  assert.equal(own.length, 2);
  for (const agg of own) checkMerge(agg, predictions, { partitionings: 100, seed: 7 });
});

test('checkMerge fails on a merge that is not associative/commutative, and on float error beyond the tolerance', () => {
  const rows = Array.from({ length: 200 }, (_, i) => ({ key: i, prediction: { score: ((i * 7919) % 1000) / 997 } }));
  // Mean of means: right only when partitions are equal in size.
  const meanOfMeans: UserAggregation<{ mean: number; n: number }> = {
    init: () => ({ mean: 0, n: 0 }),
    update: (s, batch) => {
      for (const r of batch) s.mean = (s.mean * s.n + (r.prediction as any).score) / ++s.n;
    },
    merge: (a, b) => (a.n === 0 ? b : b.n === 0 ? a : { mean: (a.mean + b.mean) / 2, n: a.n + b.n }),
    result: (s) => s.mean,
  };
  assert.throws(() => checkMerge(meanOfMeans, rows), /checkMerge: \d+ partitions .* give a different result: result: /);
  // A plain float sum: equal within a relative 1e-12, not always bit for bit.
  const floatSum: UserAggregation<{ sum: number }> = {
    init: () => ({ sum: 0 }),
    update: (s, batch) => {
      for (const r of batch) s.sum += (r.prediction as any).score * 1e-3 + 1e8;
    },
    merge: (a, b) => ({ sum: a.sum + b.sum }),
    result: (s) => s.sum,
  };
  checkMerge(floatSum, rows, { tolerance: 1e-12 });
  assert.throws(() => checkMerge(floatSum, rows), /different result/);
  // A state that is not JSON is refused, naming where.
  const withSet: UserAggregation = { init: () => ({ seen: new Set() }), update: () => {}, merge: (a) => a, result: () => 0 };
  assert.throws(() => checkMerge(withSet, rows), /state\.seen is a Set/);
});
