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
  /** Worker threads, each running whole partitions (decode, key, model, write) with its own model. */
  workers: number;
  /** TensorFlow's intra-op threads of each runtime (one per thread that runs a model); null for wasm/cpu. */
  intraOpThreads: number | null;
  /** TensorFlow's inter-op threads of each runtime; null for wasm/cpu. */
  interOpThreads: number | null;
}

/**
 * The layout for `backend` on `cores` cores (docs/native.md, "Thread model"), with `workers`
 * as the user set it, or undefined for the default: one worker thread per core on every backend.
 *
 * wasm and cpu run each model single-threaded. Native TensorFlow starts a runtime in each thread
 * that loads it, and its intra-op pool splits every kernel over that many threads; so the cores
 * are shared out: `cores / workers` intra-op threads per runtime (at least 1), one inter-op thread
 * (an MLP's ops run one after the other). Measured on 2 cores (docs/native.md): two runtimes of
 * one intra-op thread each beat one runtime of two on both MLPs tried, and equal it on a linear
 * model.
 * `workers` 0 (`sluice serve`'s default, the library's `threads: 0`) is one runtime in the
 * calling thread.
 *
 * @example
 * threadLayout('tensorflow', 2) // { workers: 2, intraOpThreads: 1, interOpThreads: 1 }
 * threadLayout('tensorflow', 8, 2) // { workers: 2, intraOpThreads: 4, interOpThreads: 1 }
 * threadLayout('wasm', 2) // { workers: 2, intraOpThreads: null, interOpThreads: null }
 */
export function threadLayout(backend: string, cores: number, workers?: number): ThreadLayout {
  const w = workers ?? cores;
  if (backend !== 'tensorflow') return { workers: w, intraOpThreads: null, interOpThreads: null };
  return { workers: w, intraOpThreads: Math.max(1, Math.floor(cores / Math.max(1, w))), interOpThreads: 1 };
}

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
 * count the user set (`execution.workers`, `serve.workers`, `--threads`) when set. Sizes
 * TensorFlow's pools as a side effect (main thread).
 *
 * @example
 * layoutFor({ model: { type: 'tfjs', backend: 'auto' }, execution: {} }) // after npm run native, 2 cores: { workers: 2, intraOpThreads: 1, interOpThreads: 1 }
 */
export function layoutFor(config: Record<string, unknown>, workers?: number): ThreadLayout {
  const layout = threadLayout(modelBackend(config), os.availableParallelism(), workers);
  applyThreadLayout(layout);
  return layout;
}
