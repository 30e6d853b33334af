import { Piscina } from 'piscina';
import type { LoadedConfig } from '../config/load.js';
import type { Graph } from '../graph/build.js';
import { createChain, runChain } from './chain.js';
import { loadPipeline, preparePipeline, type PipelineInput, type PipelineOptions } from './pipeline.js';
import type { BatchResult, OutputRow } from './rows.js';
import { guardNesting } from './records.js';
import { DEFAULT_TASK_TIMEOUT_MS, ThreadHealth } from './thread-health.js';
import type { BatchTask } from './worker.js';
import { layoutFor } from '../model/threads.js';
import { modelHostFor, withHost } from '../model/host.js';
import { keepRecordsYoung } from '../runtime/pool.js';

/** A pipeline ready to predict in memory: its model loaded (in this thread or in each worker thread). */
export interface Predictor {
  /** The chain, e.g. "jsonl → json → field → tfjs → argmax → round → jsonl (+ errors jsonl)". */
  readonly summary: string;
  readonly graph: Graph;
  /** Worker threads running the chain; 0 when it runs in the caller's thread. */
  readonly threads: number;
  /** The model stage's `batchSize` (256 when it has none): records per model call. */
  readonly batchSize: number;
  /** One batch: one row per value, in order, with Failure codes beside error rows. `indexes[i]` is value i's index in its request. */
  run(values: unknown[], indexes?: number[]): Promise<BatchResult>;
  /** Any number of records: one row per record, in input order (cut into `batchSize` slices across the threads). */
  predict(records: unknown[]): Promise<OutputRow[]>;
  /** False while a worker thread that died or hung is being replaced (its model reloading): the server is then not ready. */
  healthy(): boolean;
  /** Releases the model and stops the threads. */
  close(): Promise<void>;
}

export interface PredictorOptions extends PipelineOptions {
  /**
   * Worker threads, each loading the model once; 0 (default) runs the chain in this thread.
   * Threads pay off only for models whose batches cost more than handing records to a thread
   * and back (see README, Online prediction). On the tensorflow backend the model runs in
   * one more thread, the process's model host (one TensorFlow runtime: docs/native.md), and
   * these threads do the record work around it.
   */
  threads?: number;
}

/** The model stage's batch size, read generically: a model stage without one predicts 256 at a time. */
export function modelBatchSize(graph: Graph): number {
  const size = graph.config.model.batchSize;
  return typeof size === 'number' && Number.isInteger(size) && size >= 1 ? size : 256;
}

/**
 * Validates and checks a pipeline (config errors throw a SluiceError, one line per problem),
 * then loads its model once: in this thread, or in each of `threads` worker threads.
 *
 * @example
 * const predictor = await createPredictor('examples/quickstart/pipeline.json');
 * const rows = await predictor.predict([{ id: 'a', measurements: [5.1, 3.5, 1.4, 0.2] }]);
 * // [{ key: 'a', species: null, prediction: { class: 'setosa', score: 0.9999 } }]
 * await predictor.close();
 */
export async function createPredictor(pipeline: PipelineInput, options: PredictorOptions = {}): Promise<Predictor> {
  const loaded = loadPipeline(pipeline, options);
  const threads = options.threads ?? 0;
  // The thread model (docs/native.md): sizes TensorFlow's threads; with threads, the model runs in the model host.
  layoutFor(loaded.config as unknown as Record<string, unknown>, threads);
  return predictorFor(loaded, await preparePipeline(loaded), threads);
}

/** `createPredictor` for a pipeline already prepared (validated and checked) into `graph`. */
export async function predictorFor(loaded: LoadedConfig, graph: Graph, threads: number, taskTimeoutMs = DEFAULT_TASK_TIMEOUT_MS): Promise<Predictor> {
  const batchSize = modelBatchSize(graph);
  const base = { summary: graph.summary, graph, threads, batchSize };

  if (threads === 0) {
    const chain = await createChain(graph);
    const run = guardNesting((values, indexes) => runChain(chain, values, indexes));
    return { ...base, run, healthy: () => true, predict: async (records) => (await run(records)).rows, close: () => chain.close() };
  }

  const pool = startPredictPool(loaded, threads);
  const health = new ThreadHealth(pool, taskTimeoutMs);
  const run = guardNesting((values, indexes) => health.run({ values, indexes: indexes ?? values.map((_, i) => i) }));
  try {
    // One empty task per thread: resolves once the model has loaded (a load error rejects here).
    await Promise.all(Array.from({ length: threads }, () => pool.run({ values: [], indexes: [] })));
  } catch (err) {
    await health.close();
    throw err;
  }
  return {
    ...base,
    run,
    healthy: () => health.healthy,
    async predict(records) {
      const slices: Promise<BatchResult>[] = [];
      for (let i = 0; i < records.length; i += batchSize) {
        const values = records.slice(i, i + batchSize);
        slices.push(run(values, values.map((_, j) => i + j)));
      }
      return (await Promise.all(slices)).flatMap((r) => r.rows);
    },
    close: () => health.close(),
  };
}

/** Worker threads for one pipeline, set up as the batch engine's pool (`runtime/pool.ts`): each loads the model as it starts. */
function startPredictPool(loaded: LoadedConfig, threads: number): Piscina<BatchTask, BatchResult> {
  // Records wait in their batch here too: measured on predict() with threads (docs/online.md).
  keepRecordsYoung();
  const host = modelHostFor(loaded, threads);
  const pool = new Piscina<BatchTask, BatchResult>({
    filename: new URL('./worker-entry.cjs', import.meta.url).href, // CommonJS entry: see worker-entry.cts
    minThreads: threads,
    maxThreads: threads,
    idleTimeout: Infinity,
    atomics: 'disabled',
    workerData: { loaded, modelHost: host?.name },
  });
  return withHost(pool, host);
}
