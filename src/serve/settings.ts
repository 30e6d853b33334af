import type { Graph } from '../graph/build.js';

/** The `serve` section with every default resolved: what the server runs with. */
export interface ServeSettings {
  maxBatchSize: number;
  batchTimeoutMs: number;
  maxQueue: number;
  maxBodyBytes: number;
  /** Worker threads running the chain; 0: the server's own thread. */
  workers: number;
  drainTimeoutMs: number;
}

/**
 * Worker threads when `serve.workers` is not set. One thread keeps the model off the event loop
 * that parses and answers HTTP, which measured fastest on 2 cores for both a tiny and a large
 * model (see README, Online prediction); more threads compete with that loop for the cores.
 */
export const DEFAULT_SERVE_WORKERS = 1;

/**
 * The serve settings of a validated pipeline (schema defaults are already filled in):
 * `maxBatchSize` follows the model's `batchSize`, `workers` defaults to DEFAULT_SERVE_WORKERS.
 *
 * @example
 * serveSettings(graph, 32) // { maxBatchSize: 32, batchTimeoutMs: 0, maxQueue: 1024, maxBodyBytes: 1048576, workers: 1, drainTimeoutMs: 30000 }
 */
export function serveSettings(graph: Graph, modelBatchSize: number): ServeSettings {
  const s = graph.config.serve ?? {};
  return {
    maxBatchSize: s.maxBatchSize ?? modelBatchSize,
    batchTimeoutMs: s.batchTimeoutMs ?? 0,
    maxQueue: s.maxQueue ?? 1024,
    maxBodyBytes: s.maxBodyBytes ?? 1048576,
    workers: s.workers ?? DEFAULT_SERVE_WORKERS,
    drainTimeoutMs: s.drainTimeoutMs ?? 30000,
  };
}
