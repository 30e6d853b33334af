import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics, exponentialBuckets } from 'prom-client';

/** The server's Prometheus metrics, in a registry of its own (several servers may share a process, as tests do). */
export interface ServeMetrics {
  registry: Registry;
  requests: Counter<'status'>;
  instances: Counter<'outcome'>;
  failures: Counter<'stage' | 'kind'>;
  batchSize: Histogram;
  latency: Histogram<'status'>;
}

/**
 * Creates the metrics `GET /metrics` serves: requests by HTTP status, instances predicted and
 * failed, failures by stage and kind (the Failure code: `bad-json`, `shape`, `model-error`…),
 * the size of every model batch, request latency, the queue depth and readiness (read when
 * scraped), and the process's own (memory, CPU, event-loop lag) under `sluice_`.
 *
 * @example
 * const metrics = createMetrics(64, () => batcher.queued, () => ready);
 * metrics.batchSize.observe(12);
 */
export function createMetrics(maxBatchSize: number, queued: () => number, ready: () => boolean): ServeMetrics {
  const registry = new Registry();
  const registers = [registry];
  collectDefaultMetrics({ register: registry, prefix: 'sluice_' });
  const sizes = exponentialBuckets(1, 2, Math.max(1, Math.ceil(Math.log2(maxBatchSize)) + 1));
  new Gauge({ name: 'sluice_serve_queue_instances', help: 'Instances waiting for a model batch.', registers, collect() { this.set(queued()); } });
  new Gauge({ name: 'sluice_serve_ready', help: '1 once the model is loaded and the server takes predictions, else 0.', registers, collect() { this.set(ready() ? 1 : 0); } });
  return {
    registry,
    requests: new Counter({ name: 'sluice_serve_requests_total', help: 'Prediction requests (POST /v1/predict) by HTTP status.', labelNames: ['status'], registers }),
    instances: new Counter({ name: 'sluice_serve_instances_total', help: 'Instances answered, by outcome: predicted or failed.', labelNames: ['outcome'], registers }),
    failures: new Counter({ name: 'sluice_serve_failures_total', help: 'Instances that failed, by stage and kind (the Failure code).', labelNames: ['stage', 'kind'], registers }),
    batchSize: new Histogram({ name: 'sluice_serve_batch_size', help: 'Instances per model batch sent to a worker.', buckets: sizes, registers }),
    latency: new Histogram({
      name: 'sluice_serve_request_duration_seconds',
      help: 'Time from receiving a prediction request to answering it, by HTTP status.',
      labelNames: ['status'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
  };
}
