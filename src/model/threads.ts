/**
 * The thread model (docs/native.md): how many worker threads a process runs and how big
 * TensorFlow's own thread pools are, decided from the model's backend and the cores, measured.
 * Used by `run`, `sluice worker` and `sluice serve` alike (through the graph's worker count).
 */
import os from 'node:os';
import { isMainThread } from 'node:worker_threads';
import { resolveBackend, type BackendName } from './backend.js';

/** How a process runs its models: worker threads, and TensorFlow's own thread pools per runtime. */
export interface ThreadLayout {
  /** Worker threads, each running whole partitions (decode, key, model, write). */
  workers: number;
  /** TensorFlow's intra-op threads of the process's one runtime; null for wasm/cpu. */
  intraOpThreads: number | null;
  /** TensorFlow's inter-op threads of that runtime; null for wasm/cpu. */
  interOpThreads: number | null;
  /** Why `workers` is not what the setting asked for (one line for the summary); null when it is. */
  note: string | null;
}

/**
 * The layout for `backend` on `cores` cores (docs/native.md, "Thread model"), with `workers`
 * as the user set it (by `setting`, named in the note) or undefined.
 *
 * wasm and cpu are single-threaded per model, so one worker thread per core by default.
 * Native TensorFlow is ONE runtime per process, always: every thread that loads tfjs-node
 * starts a runtime of its own, two of them sized to every core fight for the cores (measured
 * slower than one), and two runtimes in one process's threads crashed the process (a segfault
 * about 1 run in 8 under load, docs/native.md). So one worker thread runs the model with
 * intra-op threads = cores, whatever the setting says; the note tells the user why. Inter-op
 * threads: 1, an MLP's ops run one after the other.
 *
 * @example
 * threadLayout('tensorflow', 2) // { workers: 1, intraOpThreads: 2, interOpThreads: 1, note: null }
 * threadLayout('tensorflow', 2, 2) // { workers: 1, …, note: 'execution.workers 2 runs as 1: …' }
 * threadLayout('wasm', 2) // { workers: 2, intraOpThreads: null, interOpThreads: null, note: null }
 */
export function threadLayout(backend: string, cores: number, workers?: number, setting = 'execution.workers'): ThreadLayout {
  if (backend !== 'tensorflow') return { workers: workers ?? cores, intraOpThreads: null, interOpThreads: null, note: null };
  const note = workers !== undefined && workers > 1 ? `${setting} ${workers} runs as 1: ${ONE_RUNTIME}` : null;
  return { workers: 1, intraOpThreads: cores, interOpThreads: 1, note };
}

/** Why the tensorflow backend runs on one thread, for notes and errors. */
export const ONE_RUNTIME = 'the tensorflow backend runs one TensorFlow runtime per process, on every core (docs/native.md)';

/**
 * Sizes TensorFlow's thread pools for the layout (TF_NUM_INTRAOP_THREADS and
 * TF_NUM_INTEROP_THREADS, which TensorFlow reads when a runtime starts), unless the user set
 * them. Main thread only, before worker threads load TensorFlow: see `quietTensorFlowLogs`.
 */
export function applyThreadLayout(layout: ThreadLayout): void {
  if (!isMainThread || layout.intraOpThreads === null) return;
  process.env.TF_NUM_INTRAOP_THREADS ??= String(layout.intraOpThreads);
  process.env.TF_NUM_INTEROP_THREADS ??= String(layout.interOpThreads);
}

/**
 * The backend a config's model runs on: `auto` resolved; a user-module model stage (any type
 * other than tfjs) runs whatever it runs and counts as wasm.
 */
export function modelBackend(config: Record<string, unknown>): string {
  const model = config.model as { type?: string; backend?: BackendName } | undefined;
  return model?.type === 'tfjs' ? resolveBackend(model.backend ?? 'auto') : 'wasm';
}

/**
 * The layout for a pipeline config: its model's backend, the machine's cores, and the worker
 * count the user set (`execution.workers`, or `setting`) when set. Sizes TensorFlow's pools as a
 * side effect (main thread).
 *
 * @example
 * layoutFor({ model: { type: 'tfjs', backend: 'auto' }, execution: {} }) // after npm run native, 2 cores: { workers: 1, intraOpThreads: 2, … }
 */
export function layoutFor(config: Record<string, unknown>, workers?: number, setting?: string): ThreadLayout {
  const layout = threadLayout(modelBackend(config), os.availableParallelism(), workers, setting);
  applyThreadLayout(layout);
  return layout;
}
