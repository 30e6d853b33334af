/**
 * The worker-thread entry (run by piscina): builds the graph from the config it is sent,
 * creates the stages once per thread (the model loads once), then runs partitions.
 */
import { createHash } from 'node:crypto';
import { workerData } from 'piscina';
import type { LoadedConfig } from '../config/load.js';
import type { Partition } from '../core/types.js';
import { buildGraph } from '../graph/build.js';
import { createRegistry } from '../graph/registry.js';
import { createStorage } from '../storage/index.js';
import { builtinStages } from '../../stages/index.js';
import { createInstances, type Instances } from './instances.js';
import { LiveCounters } from './counts.js';
import { runPartition, type PartitionResult } from './partition.js';
import { AttemptSlot, type SkippedCall } from './watchdog.js';
import { withFaults } from './fault.js';

/** One task: run this partition of this config, as attempt `attempt` of run `runId`. */
export interface PartitionTask {
  loaded: LoadedConfig;
  partition: Partition;
  runId: string;
  attempt: number;
  counters: SharedArrayBuffer;
  /** The attempt's watchdog slot (see watchdog.ts), read by the coordinator. */
  slot?: SharedArrayBuffer;
  /** Calls that hung on earlier attempts as often as allowed: their records fail instead of running. */
  skipped?: SkippedCall[];
}

// withFaults: test-only fault injection (SLUICE_FAULT); plain storage otherwise.
const storage = withFaults(createStorage());
let cached: { key: string; instances: Promise<Instances> } | undefined;

function instancesFor(loaded: LoadedConfig): Promise<Instances> {
  const key = createHash('sha256').update(JSON.stringify(loaded)).digest('hex');
  if (cached?.key !== key) {
    const graph = buildGraph(loaded, createRegistry(builtinStages), storage);
    cached = { key, instances: createInstances(graph) };
    // A failed start is not cached: the next task tries again (and may succeed on a retry).
    cached.instances.catch(() => {
      if (cached?.key === key) cached = undefined;
    });
  }
  return cached.instances;
}

// Start creating the stages (loading the model) as soon as the thread starts: the first task
// then finds them ready, and model loading overlaps the coordinator's checks and planning.
// Deferred a turn: dynamic imports started while piscina is still importing this module can
// abort Node 20 (`v8::Module::IsGraphAsync … must be used on an instantiated module`).
if (workerData?.loaded) {
  setImmediate(() => void instancesFor(workerData.loaded as LoadedConfig).catch(() => undefined));
}

export default async function runTask(task: PartitionTask): Promise<PartitionResult> {
  const instances = await instancesFor(task.loaded);
  return runPartition(instances, task.partition, {
    storage,
    runId: task.runId,
    attempt: task.attempt,
    signal: new AbortController().signal,
    counters: new LiveCounters(task.counters),
    slot: task.slot ? new AttemptSlot(task.slot) : undefined,
    skipped: task.skipped,
  });
}
