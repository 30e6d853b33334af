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
  /** TensorFlow's intra-op threads per runtime (one runtime per worker thread); null for wasm/cpu. */
  intraOpThreads: number | null;
  /** TensorFlow's inter-op threads per runtime; null for wasm/cpu. */
  interOpThreads: number | null;
}

/**
 * The measured best layout for `backend` on `cores` cores (docs/native.md, "Thread model").
 * wasm and cpu are single-threaded per model, so one worker thread per core. Native TensorFlow
 * is one runtime per thread that loads it, each running its kernels on its own pool: two
 * runtimes sized to every core fight for them (measured slower than one), so by default one
 * worker thread with intra-op threads = cores. Inter-op threads: 1, an MLP's ops run one after
 * the other. With `workers` set by the user, the cores are shared out between their runtimes.
 *
 * @example
 * threadLayout('tensorflow', 2) // { workers: 1, intraOpThreads: 2, interOpThreads: 1 }
 * threadLayout('wasm', 2) // { workers: 2, intraOpThreads: null, interOpThreads: null }
 */
export function threadLayout(backend: string, cores: number, workers?: number): ThreadLayout {
  if (backend !== 'tensorflow') return { workers: workers ?? cores, intraOpThreads: null, interOpThreads: null };
  const w = workers ?? 1;
  return { workers: w, intraOpThreads: Math.max(1, Math.floor(cores / w)), interOpThreads: 1 };
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
 * The layout for a pipeline config: its model's backend (`auto` resolved here), the machine's
 * cores, and `execution.workers` when set. Sizes TensorFlow's pools as a side effect (main thread).
 *
 * @example
 * layoutFor({ model: { backend: 'auto' }, execution: {} }) // after npm run native, 2 cores: { workers: 1, intraOpThreads: 2, … }
 */
export function layoutFor(config: Record<string, unknown>, workers?: number): ThreadLayout {
  // A user-module model stage (any other type) runs whatever it runs: the wasm layout.
  const model = config.model as { type?: string; backend?: BackendName } | undefined;
  const backend = model?.type === 'tfjs' ? resolveBackend(model.backend ?? 'auto') : 'wasm';
  const layout = threadLayout(backend, os.availableParallelism(), workers);
  applyThreadLayout(layout);
  return layout;
}
