/**
 * `sluice worker --threads 2` on a tensorflow run: its 2 threads send their batches to the
 * process's model host (one TensorFlow runtime per process, docs/native.md), the worker says so
 * once, and the run completes. Needs redis-server and `npm run native` (skips with the reason otherwise).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { needsNative } from '../helpers/native.js';
import { needsRedis, startRedis } from '../helpers/redis.js';
import { background, type Background } from '../helpers/processes.js';
import { FAST_STALL, committedIds, killAll, project } from './helpers.js';

test('a worker with 2 threads runs a tensorflow run around one model host, and says so once', { skip: needsRedis || needsNative(), timeout: 180_000 }, async () => {
  const redis = await startRedis();
  const p = project();
  const config = JSON.parse(fs.readFileSync(p.config, 'utf8'));
  config.model.backend = 'tensorflow';
  config.model.batchSize = 64;
  fs.writeFileSync(p.config, JSON.stringify(config));
  const procs: Background[] = [];
  try {
    const worker = background(['worker', '--coordinator', redis.url, '--threads', '2', ...FAST_STALL]);
    procs.push(worker);
    const run = background(['run', p.config, '--coordinator', redis.url, '--json']);
    procs.push(run);
    assert.equal(await run.exited, 0, run.stderr());
    const summary = JSON.parse(run.stdout());
    assert.equal(summary.partitions.committed, summary.partitions.total);
    assert.equal(committedIds(p).length, summary.partitions.total);
    assert.equal(summary.workersNote, undefined, 'execution.workers is not used by a distributed run');
    const notes = worker.stderr().match(/the model runs in one host thread: the process's one TensorFlow runtime/g) ?? [];
    assert.equal(notes.length, 1, worker.stderr());
  } finally {
    await killAll(procs);
    await redis.stop();
  }
});
