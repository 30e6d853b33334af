import type { Graph } from '../graph/build.js';
import { layoutFor } from '../model/threads.js';

/** The `serve` section with every default resolved: what the server runs with. */
export interface ServeSettings {
  maxBatchSize: number;
  batchTimeoutMs: number;
  maxQueue: number;
  maxBodyBytes: number;
  /** Worker threads running the chain; 0: the server's own thread. At most 1 on the tensorflow backend. */
  workers: number;
  /** Why `workers` is not what `serve.workers` asked (one TensorFlow runtime per process); absent when it is. */
  workersNote?: string;
  drainTimeoutMs: number;
  maxInstancesPerRequest: number;
  predictTimeoutMs: number;
  requestTimeoutMs: number;
  headersTimeoutMs: number;
}

/**
 * Worker threads when `serve.workers` is not set: none, the chain runs in the server's thread.
 * Measured on 2 cores (bench/serve.ts and an interleaved A/B at 64 clients), 0 threads served
 * as much as 1 or 2 or more, for a tiny, a mid and a large MLP: handing each batch to a thread
 * and its rows back costs a structured clone each way, and the cores are already busy with HTTP.
 * Threads can pay for heavy models on machines with cores to spare: set `serve.workers`.
 */
export const DEFAULT_SERVE_WORKERS = 0;

/**
 * The serve settings of a validated pipeline (schema defaults are already filled in):
 * `maxBatchSize` follows the model's `batchSize`, `workers` defaults to DEFAULT_SERVE_WORKERS.
 *
 * @example
 * serveSettings(graph, 32) // { maxBatchSize: 32, batchTimeoutMs: 0, maxQueue: 1024, maxBodyBytes: 1048576, workers: 0, drainTimeoutMs: 30000, maxInstancesPerRequest: 10000, predictTimeoutMs: 30000, requestTimeoutMs: 30000, headersTimeoutMs: 10000 }
 */
export function serveSettings(graph: Graph, modelBatchSize: number): ServeSettings {
  const s = graph.config.serve ?? {};
  const asked = s.workers ?? DEFAULT_SERVE_WORKERS;
  // The thread model (docs/native.md): on the tensorflow backend with workers, the model runs in one more thread, the model host.
  const layout = layoutFor(graph.config as unknown as Record<string, unknown>, asked);
  return {
    maxBatchSize: s.maxBatchSize ?? modelBatchSize,
    batchTimeoutMs: s.batchTimeoutMs ?? 0,
    maxQueue: s.maxQueue ?? 1024,
    maxBodyBytes: s.maxBodyBytes ?? 1048576,
    workers: layout.workers,
    ...(layout.note ? { workersNote: layout.note } : {}),
    drainTimeoutMs: s.drainTimeoutMs ?? 30000,
    maxInstancesPerRequest: s.maxInstancesPerRequest ?? 10000,
    predictTimeoutMs: s.predictTimeoutMs ?? 30000,
    requestTimeoutMs: s.requestTimeoutMs ?? 30000,
    headersTimeoutMs: s.headersTimeoutMs ?? 10000,
  };
}
