/**
 * Distributed runs with a real Redis (each test starts its own redis-server) and real worker
 * processes: exactly-once output equal to a local run's, whatever happens to the workers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { background, type Background } from '../helpers/processes.js';
import { needsRedis, startRedis, type RedisServer } from '../helpers/redis.js';
import { assertSameAsLocal, committedIds, firstStarted, killAll, localRun, project, worker } from './helpers.js';

const opts = { skip: needsRedis, timeout: 180_000 };

/** Runs `body` with its own redis-server and project; every process it lists in `procs` is killed, and Redis stopped, after. */
async function withRedis(body: (redis: RedisServer, p: ReturnType<typeof project>, procs: Background[]) => Promise<void>): Promise<void> {
  const redis = await startRedis();
  const p = project();
  const procs: Background[] = [];
  try {
    await body(redis, p, procs);
  } finally {
    await killAll(procs);
    await redis.stop();
  }
}

test('3 worker processes: every partition committed once, rows and files identical to a local run', opts, async () => {
  localRun();
  await withRedis(async (redis, p, procs) => {
    procs.push(worker(redis.url), worker(redis.url), worker(redis.url));
    const run = background(['run', p.config, '--coordinator', redis.url, '--json']);
    procs.push(run);
    assert.equal(await run.exited, 0, run.stderr());
    const summary = JSON.parse(run.stdout());
    assert.equal(summary.status, 'succeeded', 'the same --json object as a local run');
    assert.equal(summary.partitions.committed, summary.partitions.total);
    assert.ok(summary.partitions.total >= 6, `expected several partitions, got ${summary.partitions.total}`);
    assert.equal(summary.coordinator.url, redis.url);
    assert.ok(summary.coordinator.workers.length >= 2, `partitions spread over workers: ${summary.coordinator.workers}`);
    assert.equal(summary.workers, summary.coordinator.workers.length);
    assert.equal(committedIds(p).length, summary.partitions.total);
    assertSameAsLocal(p);
    const success = JSON.parse(fs.readFileSync(path.join(p.out, '_SUCCESS'), 'utf8'));
    assert.equal(success.planFingerprint, JSON.parse(fs.readFileSync(path.join(localRun().out, '_SUCCESS'), 'utf8')).planFingerprint);
  });
});

test('kill -9 of a worker mid-partition: the partition is redelivered within 60 s and the output is exactly-once', opts, async () => {
  localRun();
  await withRedis(async (redis, p, procs) => {
    const workers = [worker(redis.url), worker(redis.url), worker(redis.url)];
    procs.push(...workers);
    const run = background(['run', p.config, '--coordinator', redis.url, '--json']);
    procs.push(run);
    const victim = await firstStarted(workers);
    victim.worker.signal('SIGSTOP'); // frozen: now check it really is mid-partition
    assert.ok(!committedIds(p).includes(victim.id), `partition ${victim.id} was already committed`);
    victim.worker.signal('SIGKILL');
    const killedAt = Date.now();
    const others = workers.filter((w) => w !== victim.worker);
    await Promise.any(others.map((w) => w.waitFor(new RegExp(`partition ${victim.id} of \\d+ .*: started \\(attempt 2\\)`), 60_000)));
    assert.ok(Date.now() - killedAt < 60_000);
    assert.equal(await run.exited, 0, run.stderr());
    assert.equal(await victim.worker.exited, 137);
    assertSameAsLocal(p);
    assert.ok(!JSON.parse(run.stdout()).coordinator.workers.some((w: string) => w.endsWith(`-${victim.worker.pid}`)), 'the dead worker committed nothing');
  });
});

test('a slow worker presumed dead finishes after its partition was redone: it commits nothing twice', opts, async () => {
  localRun();
  await withRedis(async (redis, p, procs) => {
    const workers = [worker(redis.url), worker(redis.url)];
    procs.push(...workers);
    const run = background(['run', p.config, '--coordinator', redis.url, '--json']);
    procs.push(run);
    const slow = await firstStarted(workers);
    slow.worker.signal('SIGSTOP'); // its lock is no longer renewed: after 3 s it is presumed dead
    assert.ok(!committedIds(p).includes(slow.id), `partition ${slow.id} was already committed`);
    const other = workers.find((w) => w !== slow.worker)!;
    await other.waitFor(new RegExp(`partition ${slow.id} of \\d+ .*: committed`), 90_000);
    const before = slow.worker.stderr().length;
    slow.worker.signal('SIGCONT'); // it wakes up and completes the same partition
    await slow.worker.waitFor(new RegExp(`partition ${slow.id} of \\d+ .*: (already committed by another worker|committed)`), 60_000, before);
    assert.equal(await run.exited, 0, run.stderr());
    assertSameAsLocal(p);
  });
});

test('workers join late and leave mid-run: a worker told to stop finishes its partition first', opts, async () => {
  localRun();
  await withRedis(async (redis, p, procs) => {
    const run = background(['run', p.config, '--coordinator', redis.url, '--json']);
    procs.push(run);
    await run.waitFor(/partitions queued on redis:\/\/127\.0\.0\.1:\d+/);
    await sleep(1500);
    assert.deepEqual(committedIds(p), [], 'nothing runs without workers');
    const first = worker(redis.url);
    procs.push(first);
    await first.waitFor(/: committed \d+ records/, 90_000);
    const late = [worker(redis.url), worker(redis.url)];
    procs.push(...late);
    const leaving = await firstStarted(late);
    leaving.worker.signal('SIGTERM');
    assert.equal(await leaving.worker.exited, 0, leaving.worker.stderr());
    assert.match(leaving.worker.stderr(), /^sluice: worker: leaving after the 1 partition in hand$/m);
    assert.match(leaving.worker.stderr(), new RegExp(`partition ${leaving.id} of \\d+ .*: (committed \\d+ records|already committed)`));
    assert.ok(committedIds(p).includes(leaving.id));
    assert.equal(await run.exited, 0, run.stderr());
    assertSameAsLocal(p);
  });
});

test('Redis stopped mid-run: exit 1 with the reason, committed output intact; a rerun on a new Redis completes it', opts, async () => {
  localRun();
  await withRedis(async (redis, p, procs) => {
    const workers = [worker(redis.url), worker(redis.url)];
    procs.push(...workers);
    const run = background(['run', p.config, '--coordinator', redis.url, '--set', 'execution.redisTimeout=2']);
    procs.push(run);
    await Promise.any(workers.map((w) => w.waitFor(/: committed \d+ records/, 90_000)));
    await redis.stop();
    assert.equal(await run.exited, 1, run.stderr());
    assert.match(
      run.stderr(),
      new RegExp(`^sluice: lost the connection to Redis at ${redis.url}: .*\\(unreachable for more than 2 s\\); the \\d+ committed partitions are kept; run the same command again to resume$`, 'm'),
    );
    assert.doesNotMatch(run.stderr(), /    at /, 'no stack trace');
    await killAll(workers); // as if they died with Redis: whatever they left must be harmless
    assert.ok(!fs.existsSync(path.join(p.out, '_SUCCESS')));
    assert.ok(committedIds(p).length >= 1);
    assertSameAsLocal(p, { complete: false }); // every part file present is whole and right

    const again = await startRedis();
    try {
      const fresh = [worker(again.url), worker(again.url)];
      procs.push(...fresh);
      const rerun = background(['run', p.config, '--coordinator', again.url, '--json']);
      procs.push(rerun);
      assert.equal(await rerun.exited, 0, rerun.stderr());
      assert.ok(JSON.parse(rerun.stdout()).partitions.resumed >= 1);
      assertSameAsLocal(p);
    } finally {
      await again.stop();
    }
  });
});

test('a coordinator killed with kill -9 and restarted resumes from the queue and the manifest', opts, async () => {
  localRun();
  await withRedis(async (redis, p, procs) => {
    const workers = [worker(redis.url), worker(redis.url)];
    procs.push(...workers);
    const first = background(['run', p.config, '--coordinator', redis.url]);
    procs.push(first);
    await Promise.any(workers.map((w) => w.waitFor(/: committed \d+ records/, 90_000)));
    first.signal('SIGKILL');
    await first.exited;
    const restarted = background(['run', p.config, '--coordinator', redis.url, '--json']);
    procs.push(restarted);
    assert.equal(await restarted.exited, 0, restarted.stderr());
    const s = JSON.parse(restarted.stdout());
    assert.ok(s.partitions.resumed >= 1);
    assertSameAsLocal(p);
    // Re-enqueueing was idempotent: no partition ran more often than it was redelivered.
    const starts = workers.flatMap((w) => [...w.stderr().matchAll(/partition (\d+) of \d+ .*: started$/gm)].map((m) => m[1]));
    assert.equal(new Set(starts).size, starts.length, `a partition was started twice: ${starts.sort()}`);
  });
});

test('a worker started with --idle-exit leaves by itself (exit 0) once it has had nothing to do', opts, async () => {
  const redis = await startRedis();
  const idle = worker(redis.url, ['--idle-exit', '1']);
  try {
    assert.equal(await idle.exited, 0, idle.stderr());
    assert.match(idle.stderr(), /^sluice: worker: leaving$/m);
  } finally {
    await killAll([idle]);
    await redis.stop();
  }
});

test('SIGINT stops the coordinator: exit 1, resumable, and its waiting partitions leave the queue', opts, async () => {
  await withRedis(async (redis, p, procs) => {
    const run = background(['run', p.config, '--coordinator', redis.url]);
    procs.push(run);
    await run.waitFor(/partitions queued on/);
    run.signal('SIGINT');
    assert.equal(await run.exited, 1, run.stderr());
    assert.match(run.stderr(), /^sluice: interrupted: 0 of \d+ partitions are committed \(workers finish and commit those in hand\); run the same command again to resume$/m);
    // Nothing is left for a worker to take.
    const late = worker(redis.url, ['--idle-exit', '2']);
    procs.push(late);
    assert.equal(await late.exited, 0, late.stderr());
    assert.doesNotMatch(late.stderr(), /started/);
  });
});

test('the error budget, judged on the counts workers report, stops a distributed run with exit 1', opts, async () => {
  await withRedis(async (redis, p, procs) => {
    procs.push(worker(redis.url));
    const run = background(['run', p.config, '--coordinator', redis.url, '--set', 'execution.maxErrors=2']);
    procs.push(run);
    assert.equal(await run.exited, 1, run.stderr());
    assert.match(run.stderr(), /^sluice: error budget exceeded: \d+ records failed, more than maxErrors 2$/m);
    assert.ok(!fs.existsSync(path.join(p.out, '_SUCCESS')));
  });
});
