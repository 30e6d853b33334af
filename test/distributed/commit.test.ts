/**
 * The worker-side commit of distributed runs, without Redis: a partition processed twice gives
 * byte-identical files (so a duplicate commit can only rename identical bytes over identical
 * bytes), the second attempt is discarded, and an attempt for an output that now belongs to
 * another run, or whose coordinator no longer holds the output's lease, commits nothing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../../src/config/load.js';
import { buildGraph, outputDirs } from '../../src/graph/build.js';
import { createRegistry } from '../../src/graph/registry.js';
import { createStorage } from '../../src/storage/index.js';
import { builtinStages } from '../../stages/index.js';
import { OutputCommitter } from '../../src/runtime/commit.js';
import { OutputLease } from '../../src/runtime/lease.js';
import { LiveCounters } from '../../src/runtime/counts.js';
import { configFingerprint, planPartitions } from '../../src/runtime/plan.js';
import { startPool } from '../../src/runtime/pool.js';
import { describeStages } from '../../src/runtime/execute.js';
import type { PartitionJob } from '../../src/distributed/jobs.js';
import { commitAttempt } from '../../src/distributed/worker-commit.js';
import { project } from './helpers.js';

test('two attempts of one partition: identical bytes; the second is discarded; another run commits nothing', async () => {
  const p = project();
  const loaded = loadConfig(p.config);
  const storage = createStorage();
  const graph = buildGraph(loaded, createRegistry(builtinStages), storage);
  const plan = await planPartitions(graph);
  const fingerprints = { planFingerprint: plan.fingerprint, configFingerprint: configFingerprint(graph, await describeStages(graph)) };
  const outputs = outputDirs(graph);
  const lease = await OutputLease.acquire(storage, outputs[0]!, { runId: 'coordinator', runKey: 'test', startTime: new Date() });
  await new OutputCommitter(storage, outputs, lease).prepare({ ...fingerprints, partitions: plan.partitions, createdAt: new Date().toISOString() }, false);
  const partition = plan.partitions[1]!;
  const job: PartitionJob = { loaded, partition, runKey: 'test', outputs, ...fingerprints };

  const pool = startPool(loaded, 1);
  try {
    const attempt = (worker: string, on = partition) => pool.run({ loaded, partition: on, runId: `test-${worker}`, attempt: 1, counters: new LiveCounters().buffer });
    const a = await attempt('a');
    const b = await attempt('b');
    const c = await attempt('c');
    const d = await attempt('d', plan.partitions[0]!);
    assert.ok(a.outputs.length >= 2);
    a.outputs.forEach((f, i) => {
      assert.notEqual(f.temp, b.outputs[i]!.temp, 'attempts never share a temporary file');
      assert.ok(fs.readFileSync(f.temp).equals(fs.readFileSync(b.outputs[i]!.temp)), `${path.basename(f.final)}: the two attempts differ`);
    });

    const first = await commitAttempt(storage, job, a);
    assert.ok('entry' in first && !first.duplicate);
    const second = await commitAttempt(storage, job, b);
    assert.ok('entry' in second && second.duplicate === true);
    assert.deepEqual(second.entry, first.entry);
    for (const f of b.outputs) assert.ok(!fs.existsSync(f.temp), 'the duplicate attempt left nothing behind');
    for (const f of a.outputs) assert.ok(fs.existsSync(f.final));

    const stale = await commitAttempt(storage, { ...job, configFingerprint: 'another config' }, c);
    assert.ok('superseded' in stale);
    assert.match(stale.superseded, /no longer holds this run's output/);
    for (const f of c.outputs) assert.ok(!fs.existsSync(f.temp));

    // The coordinator's lease is gone (it ended): a worker commits nothing under it.
    await lease.release();
    const orphan = await commitAttempt(storage, { ...job, partition: plan.partitions[0]! }, d);
    assert.ok('superseded' in orphan);
    assert.match(orphan.superseded, /is held by no run/);
    for (const f of d.outputs) assert.ok(!fs.existsSync(f.temp) && !fs.existsSync(f.final));
  } finally {
    await lease.release();
    await pool.destroy();
  }
});
