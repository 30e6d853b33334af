import { setFlagsFromString } from 'node:v8';
import { layoutFor } from '../model/threads.js';
import { modelHostFor, withHost, type HostedPool } from '../model/host.js';
import { Piscina } from 'piscina';
import type { LoadedConfig } from '../config/load.js';
import type { PartitionResult } from './partition.js';
import type { PartitionTask } from './worker.js';

export type PartitionPool = Piscina<PartitionTask, PartitionResult> & HostedPool;

/**
 * Each worker's young generation, in MB (V8's default is 3 × 16 MB semi-spaces). A worker's
 * records are short-lived but many are alive at once (a chunk and its batch in flight), so a
 * large young generation let each worker's heap grow to ~110 MB, and more so the more records
 * the run had: peak RSS rose with input size. 12 MB (4 MB semi-spaces) keeps it near the live
 * size; docs/performance.md ("Memory") has the before/after figures.
 */
export const WORKER_YOUNG_GENERATION_MB = 12;

/**
 * Turns off V8's allocation-site pretenuring, for the whole process (V8's flags are per process:
 * the worker threads and the model host are isolates of this one). A record waits in its batch
 * across a scavenge or two, so V8 saw the objects made where records are parsed and built
 * survive, and began allocating them straight into the old generation ("pretenuring"), where
 * every one of them died as garbage for the mark-compactor. Records are short-lived by design:
 * left in the young generation they die there at no cost. Measured on 1M linear rows in one
 * thread: 5.1–5.2 s and 6.9–7.1 CPU-s with it, 3.8–4.1 s and 4.7–5.2 CPU-s without;
 * docs/performance.md ("Records stay in the young generation") has whole runs. Safe to call
 * more than once.
 */
export function keepRecordsYoung(): void {
  setFlagsFromString('--no-allocation-site-pretenuring');
}

/**
 * Starts the worker threads. Each begins creating its stages (loading the model) as soon as it
 * starts, from `workerData`, so that model loading overlaps the coordinator's own start-up,
 * checks and planning instead of following them.
 *
 * @example
 * const pool = startPool(loaded, 2); // threads are loading the model while we plan
 */
export function startPool(loaded: LoadedConfig, threads: number): PartitionPool {
  keepRecordsYoung();
  const host = modelHostFor(loaded, threads);
  const pool = new Piscina<PartitionTask, PartitionResult>({
    filename: new URL('./worker-entry.cjs', import.meta.url).href, // CommonJS entry: see worker-entry.cts
    minThreads: threads,
    maxThreads: threads,
    idleTimeout: 1000,
    atomics: 'disabled',
    resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB },
    workerData: { loaded, modelHost: host?.name },
  });
  return withHost(pool, host);
}

/** The worker count a config asks for, read before validation (a bad value is reported later). */
export function requestedWorkers(config: Record<string, unknown>): number {
  const w = (config.execution as { workers?: unknown } | undefined)?.workers;
  return layoutFor(config, typeof w === 'number' && Number.isInteger(w) && w >= 1 ? w : undefined).workers;
}
