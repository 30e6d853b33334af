/**
 * The worker-thread entry (run by piscina): builds the graph from the config it is sent,
 * creates the stages once per thread (the model loads once), then runs partitions.
 */
import { createHash } from 'node:crypto';
import { workerData } from 'piscina';
import type { LoadedConfig } from '../config/load.js';
import type { Partition } from '../core/types.js';
import { buildGraph } from '../graph/build.js';
import { loadRegistry } from '../graph/plugins.js';
import { storageFor, type Storage } from '../storage/index.js';
import { builtinCatalog } from '../../stages/catalog.js';
import { closeInstances, createInstances, type Instances } from './instances.js';
import { LiveCounters } from './counts.js';
import { runPartition, type PartitionResult } from './partition.js';
import { AttemptSlot, type CallRange, type SkippedCall } from './watchdog.js';
import { isWorkerReset } from '../core/worker-reset.js';

/** One task: run this partition of this config, as attempt `attempt` of run `runId`. */
export interface PartitionTask {
  loaded: LoadedConfig;
  partition: Partition;
  runId: string;
  attempt: number;
  counters: SharedArrayBuffer;
  /** This attempt's own counters (counts.ts): what the coordinator takes back if the attempt is abandoned. */
  attemptCounters?: SharedArrayBuffer;
  /** The attempt's watchdog slot (see watchdog.ts), read by the coordinator. */
  slot?: SharedArrayBuffer;
  /** Calls that hung on earlier attempts as often as allowed: their records fail instead of running. */
  skipped?: SkippedCall[];
  /** Calls that hung on earlier attempts: a call holding one is split, to find the record that hangs (hangs.ts). */
  hung?: CallRange[];
}

interface Prepared {
  storage: Storage;
  instances: Instances;
}
let cached: { key: string; prepared: Promise<Prepared> } | undefined;

/** The stages (and the storage, configured by the config's `storage` section) of a config, made once per thread. */
function instancesFor(loaded: LoadedConfig): Promise<Prepared> {
  const key = createHash('sha256').update(JSON.stringify(loaded)).digest('hex');
  if (cached?.key !== key) {
    // A changed config (a worker reset's smaller batch, see run.ts) replaces the stages. The old
    // ones are closed before the new ones load, so the thread never holds two models at once.
    const previous = cached ? cached.prepared.then((p) => closeInstances(p.instances)).catch(() => undefined) : Promise.resolve();
    const storage = storageFor(loaded.config);
    // User stages are named by module path in the config: this thread imports them itself (and
    // runs the config's preload modules first, see graph/preload.ts).
    const prepared = previous
      .then(() => loadRegistry(loaded, builtinCatalog))
      .then(async (registry) => ({ storage, instances: await createInstances(buildGraph(loaded, registry, storage)) }));
    cached = { key, prepared };
    // A failed start is not cached: the next task tries again (and may succeed on a retry).
    cached.prepared.catch(() => {
      if (cached?.key === key) cached = undefined;
    });
  }
  return cached.prepared;
}

// Start creating the stages (loading the model) as soon as the thread starts: the first task
// then finds them ready, and model loading overlaps the coordinator's checks and planning.
// Deferred a turn: dynamic imports started while piscina is still importing this module can
// abort Node 20 (`v8::Module::IsGraphAsync … must be used on an instantiated module`).
if (workerData?.loaded) {
  // Only when no task got here first: a fresh thread replacing one that asked for a reset gets
  // a task with the changed config, whose stages must not be replaced by the original config's.
  setImmediate(() => {
    if (!cached) void instancesFor(workerData.loaded as LoadedConfig).catch(() => undefined);
  });
}

export default async function runTask(task: PartitionTask): Promise<PartitionResult> {
  const { instances, storage } = await instancesFor(task.loaded);
  try {
    return await runPartition(instances, task.partition, {
      storage,
      runId: task.runId,
      attempt: task.attempt,
      signal: new AbortController().signal,
      counters: new LiveCounters(task.counters, task.attemptCounters ? new LiveCounters(task.attemptCounters) : undefined),
      slot: task.slot ? new AttemptSlot(task.slot) : undefined,
      skipped: task.skipped,
      hung: task.hung,
    });
  } catch (err) {
    if (!isWorkerReset(err)) throw err;
    // This thread cannot go on (e.g. its wasm heap aborted): let the error escape uncaught, so
    // piscina ends the thread, starts a fresh one and rejects the task with this very error
    // (its `overrides` intact; a plain rejection would drop them). See core/worker-reset.ts.
    setImmediate(() => {
      throw err;
    });
    return new Promise<never>(() => undefined);
  }
}
