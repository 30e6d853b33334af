/**
 * A wasm module that aborts (what tfjs-backend-wasm does when its own C++ cannot allocate) leaves
 * its worker thread useless: the model stage asks for a fresh worker with half the batch size,
 * the runtime replaces the thread and runs the partition again (see WorkerResetRequest in
 * src/runtime/run.ts). The abort is injected by the test's preload module
 * (test/helpers/fault-preload.ts, `wasm-abort-above`, through `execution.preload` and
 * `wrapPredict`); filling 4 GB for real belongs in the benchmark.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT, byKey, readParts, sluice } from '../helpers/cli.js';
import { faultArgs } from '../helpers/faults.js';

const abortAbove = (rows: number) => faultArgs({ kind: 'wasm-abort-above', rows });

const QUICKSTART = path.join(ROOT, 'examples/quickstart');

function project(): { dir: string; config: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-reset-'));
  fs.cpSync(path.join(QUICKSTART, 'data'), path.join(dir, 'data'), { recursive: true });
  fs.cpSync(path.join(QUICKSTART, 'model'), path.join(dir, 'model'), { recursive: true });
  const config = JSON.parse(fs.readFileSync(path.join(QUICKSTART, 'pipeline.json'), 'utf8'));
  delete config.$schema;
  config.model.backend = 'wasm';
  config.execution = { workers: 1 };
  fs.writeFileSync(path.join(dir, 'pipeline.json'), JSON.stringify(config, null, 2));
  return { dir, config: path.join(dir, 'pipeline.json') };
}

test('an aborted wasm module: the partition runs again on a fresh worker with half the batch size, until it fits; nothing is lost', () => {
  const clean = project();
  const reference = sluice(['run', clean.config, '--json']);
  assert.equal(reference.status, 0, reference.stderr);

  const p = project();
  // batchSize 32; a call on more than 10 rows aborts: 32 → 16 → 8 (two fresh workers).
  const r = sluice(['run', p.config, '--json', ...abortAbove(10)]);
  assert.equal(r.status, 0, r.stderr);
  const warnings = r.stderr.split('\n').filter((l) => l.startsWith('sluice: warning:'));
  assert.deepEqual(warnings, [
    'sluice: warning: partition 0 (data/flowers.jsonl): the model ran out of memory at batch size 32 (Aborted(). Build with -sASSERTIONS for more info.); retrying on a fresh worker with model.batchSize=16',
    'sluice: warning: partition 0 (data/flowers.jsonl): the model ran out of memory at batch size 16 (Aborted(). Build with -sASSERTIONS for more info.); retrying on a fresh worker with model.batchSize=8',
  ]);
  const summary = JSON.parse(r.stdout);
  assert.deepEqual(summary.stageFacts['/model'], { backend: 'wasm', batchSize: 8, configuredBatchSize: 32, outOfMemory: 0 });
  assert.deepEqual(summary.warnings, warnings.map((w) => w.slice('sluice: warning: '.length)));
  const ref = JSON.parse(reference.stdout);
  assert.deepEqual(summary.counts, ref.counts);
  assert.deepEqual(ref.stageFacts['/model'], { backend: 'wasm', batchSize: 32, configuredBatchSize: 32, outOfMemory: 0 });
  // The same rows as a run that never ran out of memory.
  assert.deepEqual(byKey(readParts(path.join(p.dir, 'out/predictions'))), byKey(readParts(path.join(clean.dir, 'out/predictions'))));
  assert.deepEqual(byKey(readParts(path.join(p.dir, 'out/errors'))), byKey(readParts(path.join(clean.dir, 'out/errors'))));
});

test('the human summary names the batch size finally used', () => {
  const p = project();
  const r = sluice(['run', p.config, ...abortAbove(20)]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /\n {2}\/model {5}backend "wasm", batchSize 16, configuredBatchSize 32, outOfMemory 0\n/);
});

test('a model that aborts even on one record fails the run with a clear message after its attempts', () => {
  const p = project();
  const r = sluice(['run', p.config, '--set', 'model.batchSize=2', '--set', 'execution.maxAttempts=2', ...abortAbove(0.5)]);
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /sluice: warning: partition 0 \(data\/flowers\.jsonl\): the model ran out of memory at batch size 2 \(Aborted\(\)\. .*\); retrying on a fresh worker with model\.batchSize=1\n/);
  assert.match(r.stderr, /partition 0 \(data\/flowers\.jsonl\) failed after 3 attempts: the model ran out of memory at batch size 1 \(Aborted\(\)\. Build with -sASSERTIONS for more info\.\) \(0 of 1 partitions are committed; run the same command again to resume\)\n/);
  assert.equal(readParts(path.join(p.dir, 'out/predictions')).length, 0);
});
