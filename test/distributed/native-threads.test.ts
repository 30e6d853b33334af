/**
 * `sluice worker --threads 2` on a tensorflow run: its partitions run on its two threads, each
 * with a TensorFlow runtime sized to its share of the cores (docs/native.md, "Thread model"),
 * and the run completes. Needs redis-server and `npm run native` (skips with the reason otherwise).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { needsNative } from '../helpers/native.js';
import { needsRedis, startRedis } from '../helpers/redis.js';
import { background, type Background } from '../helpers/processes.js';
import { FAST_STALL, committedIds, killAll, project } from './helpers.js';

test('a worker with 2 threads runs a tensorflow run\'s partitions on both, each runtime on its share of the cores', { skip: needsRedis || needsNative(), timeout: 180_000 }, async () => {
  const redis = await startRedis();
  const p = project();
  const config = JSON.parse(fs.readFileSync(p.config, 'utf8'));
  config.model.backend = 'tensorflow';
  config.model.batchSize = 64;
  // A preload runs in every thread that runs the run's stages: each records the pool size TensorFlow reads.
  const seen = path.join(p.dir, 'seen');
  fs.writeFileSync(path.join(p.dir, 'record-env.mjs'), `import fs from 'node:fs'; import { threadId } from 'node:worker_threads';
fs.appendFileSync(${JSON.stringify(seen)}, process.pid + ' ' + threadId + ' ' + process.argv[2] + ' ' + process.env.TF_NUM_INTRAOP_THREADS + '\\n');`);
  config.execution = { ...config.execution, preload: [path.join(p.dir, 'record-env.mjs')] };
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
    assert.equal(summary.counts.written + summary.counts.failed, summary.counts.read);
    const share = String(Math.max(1, Math.floor(os.availableParallelism() / 2)));
    // The worker process's threads (the `run` process coordinates and loads no model).
    const all = fs.readFileSync(seen, 'utf8').trim().split('\n').map((l) => l.split(' '));
    const runPid = all.find((l) => l[1] === '0' && l[2] === 'run')?.[0];
    const lines = all.filter((l) => l[0] !== runPid);
    assert.ok(new Set(lines.map((l) => l[1])).size >= 3, `threads that ran the stages (the worker's main thread and two workers): ${JSON.stringify(all)}`);
    for (const [, , , intra] of lines) assert.equal(intra, share);
  } finally {
    await killAll(procs);
    await redis.stop();
  }
});
