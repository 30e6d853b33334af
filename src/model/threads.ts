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
  /** Worker threads, each running whole partitions (read, decode, key, write; the model too, unless `host`). */
  workers: number;
  /** Whether the model runs in the process's model host thread (model/host.ts) instead of in each worker. */
  host: boolean;
  /** TensorFlow's intra-op threads of the process's one runtime (in the model host thread); null for wasm/cpu. */
  intraOpThreads: number | null;
  /** TensorFlow's inter-op threads of that runtime; null for wasm/cpu. */
  interOpThreads: number | null;
  /** How the model runs, when not in each worker (one line for the summary); null when it does. */
  note: string | null;
}

/**
 * The layout for `backend` on `cores` cores (docs/native.md, "Thread model"), with `workers`
 * as the user set it or undefined. By default one worker thread per core on wasm and cpu; on
 * tensorflow one fewer (at least 1), since the model host is busy as much as a worker: measured
 * on 2 cores, 1 worker + host beats 2 workers + host by 2–6% on the large and mid MLPs and loses
 * 3–10% on the linear model, whose call is all overhead (docs/native.md, "Thread model").
 *
 * wasm and cpu are single-threaded per model: each worker thread loads the model and runs it,
 * except with exactly one worker on a machine of more cores: then the model runs in the host
 * thread, so that the worker decodes and writes the next batch while the model runs this one
 * on another core, still one copy of the model (docs/performance.md, "One worker"). With more
 * workers one host thread would serialise models that the workers run side by side.
 * Native TensorFlow is ONE runtime per process: every thread that loads tfjs-node starts a
 * runtime of its own, two of them sized to every core fight for the cores (measured slower
 * than one), and two runtimes in one process's threads crashed the process (a segfault about
 * 1 run in 8 under load, docs/native.md). So with worker threads, one more thread, the model
 * host (model/host.ts), owns the runtime, with intra-op threads = cores, and runs every
 * worker's batches; the workers do the record work. Inter-op threads: 1, an MLP's ops run one
 * after the other. With no worker thread (`serve.workers` 0) the model runs in the main thread.
 *
 * @example
 * threadLayout('tensorflow', 2) // { workers: 1, host: true, intraOpThreads: 2, interOpThreads: 1, note: 'the model runs in one host thread: …' }
 * threadLayout('wasm', 2) // { workers: 2, host: false, intraOpThreads: null, interOpThreads: null, note: null }
 * threadLayout('wasm', 2, 1) // { workers: 1, host: true, …, note: 'the model runs in its own thread …' }
 */
export function threadLayout(backend: string, cores: number, workers?: number): ThreadLayout {
  if (backend !== 'tensorflow') {
    const count = workers ?? cores;
    const host = count === 1 && cores > 1;
    return { workers: count, host, intraOpThreads: null, interOpThreads: null, note: host ? ONE_WORKER_HOST_NOTE : null };
  }
  const count = workers ?? Math.max(1, cores - 1);
  return { workers: count, host: count > 0, intraOpThreads: cores, interOpThreads: 1, note: count > 0 ? hostNote(cores) : null };
}

/** The summary's line for a run whose model runs in the model host thread. */
export const hostNote = (cores: number) =>
  `the model runs in one host thread: the process's one TensorFlow runtime, ${cores} intra-op thread${cores === 1 ? '' : 's'} (docs/native.md)`;

/** The summary's line for one worker on wasm or cpu, whose model runs in the host thread. */
export const ONE_WORKER_HOST_NOTE = 'the model runs in its own thread while the worker decodes the next batch (docs/performance.md)';

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
 * count the user set (`execution.workers`, `serve.workers`, `threads`) when set. Sizes
 * TensorFlow's pools as a side effect (main thread).
 *
 * @example
 * layoutFor({ model: { type: 'tfjs', backend: 'auto' }, execution: {} }) // after npm run native, 2 cores: { workers: 1, intraOpThreads: 2, … }
 */
export function layoutFor(config: Record<string, unknown>, workers?: number): ThreadLayout {
  const layout = configLayout(config, workers);
  applyThreadLayout(layout);
  return layout;
}

/**
 * `layoutFor` without the side effect. A model stage of a user module runs in each worker,
 * whatever the count: only a tfjs model can be moved into the model host.
 */
export function configLayout(config: Record<string, unknown>, workers?: number): ThreadLayout {
  const layout = threadLayout(modelBackend(config), os.availableParallelism(), workers);
  const tfjs = (config.model as { type?: unknown } | undefined)?.type === 'tfjs';
  return tfjs || !layout.host ? layout : { ...layout, host: false, note: null };
}
