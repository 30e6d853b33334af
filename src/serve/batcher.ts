import type { BatchResult } from '../predict/rows.js';

/** Thrown by `submit` when the queue cannot take a request's instances: the server answers 429. */
export class QueueFullError extends Error {
  constructor(readonly queued: number, readonly asked: number, readonly limit: number) {
    super(`the queue is full: ${queued} instances are waiting and this request brings ${asked} (serve.maxQueue is ${limit}); retry later`);
    this.name = 'QueueFullError';
  }
}

export interface BatcherOptions {
  /** Most instances in one model batch. */
  maxBatchSize: number;
  /** Longest the oldest waiting instance waits for its batch to fill. */
  batchTimeoutMs: number;
  /** Most instances waiting (not yet in a batch). */
  maxQueue: number;
  /** Batches in flight at once: one per worker thread. */
  concurrency: number;
  /** Called with each batch's size as it is sent (metrics). */
  onBatch?(size: number): void;
}

/** One waiting instance: its value, its index in its request, and where its result goes. */
interface Slot {
  value: unknown;
  index: number;
  request: Pending;
  /** When it was queued (performance.now()). */
  at: number;
}

/** A request's share of the results, filled in as its instances' batches finish. */
interface Pending {
  result: BatchResult;
  left: number;
  resolve(result: BatchResult): void;
  reject(err: unknown): void;
}

/**
 * Dynamic micro-batching, as TF Serving's batching: instances of concurrent requests wait in one
 * queue and leave it as model batches of up to `maxBatchSize`, as soon as a batch is full or its
 * oldest instance has waited `batchTimeoutMs`, whenever one of `concurrency` runners is free.
 * While every runner is busy the queue grows, so batches grow with the load, up to
 * `maxQueue` waiting instances; past that `submit` refuses (QueueFullError) instead of growing.
 * A request's instances may span batches; its result keeps their order.
 *
 * @example
 * const batcher = new MicroBatcher((values, indexes) => predictor.run(values, indexes), { maxBatchSize: 64, batchTimeoutMs: 0, maxQueue: 1024, concurrency: 2 });
 * const { rows } = await batcher.submit([{ id: 'a', x: [1, 2] }]);
 */
export class MicroBatcher {
  private queue: Slot[] = [];
  private head = 0;
  private inflight = 0;
  private timer: NodeJS.Timeout | undefined;
  private timerDeadline = 0;
  private flushing = false;
  private idle: (() => void)[] = [];

  constructor(
    private readonly runBatch: (values: unknown[], indexes: number[]) => Promise<BatchResult>,
    private readonly options: BatcherOptions,
  ) {}

  /** Instances waiting for a batch. */
  get queued(): number {
    return this.queue.length - this.head;
  }

  /** Batches being predicted now. */
  get running(): number {
    return this.inflight;
  }

  /**
   * Queues a request's instances; resolves to their rows in order. Throws QueueFullError at
   * once when they do not fit (an empty queue takes any request, so a large one is not starved).
   */
  submit(values: unknown[]): Promise<BatchResult> {
    if (values.length === 0) return Promise.resolve({ rows: [], codes: [] });
    const waiting = this.queued;
    if (waiting > 0 && waiting + values.length > this.options.maxQueue) {
      throw new QueueFullError(waiting, values.length, this.options.maxQueue);
    }
    return new Promise<BatchResult>((resolve, reject) => {
      const n = values.length;
      const request: Pending = { result: { rows: new Array(n), codes: new Array(n) }, left: n, resolve, reject };
      const at = performance.now();
      for (let i = 0; i < n; i++) this.queue.push({ value: values[i], index: i, request, at });
      this.pump();
    });
  }

  /** Sends what is waiting without waiting for batches to fill, then resolves once nothing is queued or running (graceful shutdown). */
  drain(): Promise<void> {
    this.flushing = true;
    this.pump();
    if (this.queued === 0 && this.inflight === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  /** Sends batches while a runner is free and a batch is due; otherwise arms the timer for the oldest instance. */
  private pump(): void {
    const { maxBatchSize, batchTimeoutMs, concurrency } = this.options;
    while (this.inflight < concurrency && this.queued > 0) {
      const due = this.flushing || this.queued >= maxBatchSize || performance.now() - this.queue[this.head]!.at >= batchTimeoutMs;
      if (!due) break;
      this.send(Math.min(maxBatchSize, this.queued));
    }
    // A runner is free but the batch is not due: wake up when its oldest instance is. (With
    // every runner busy, the next finished batch calls pump instead.) The timer is kept while
    // the oldest instance stays the same, so a burst of requests does not churn timers.
    const deadline = this.queued > 0 && this.inflight < concurrency ? this.queue[this.head]!.at + batchTimeoutMs : undefined;
    if (this.timer && this.timerDeadline !== deadline) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (deadline !== undefined && !this.timer) {
      this.timerDeadline = deadline;
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.pump();
      }, Math.max(0, deadline - performance.now()));
    }
    if (this.queued === 0 && this.inflight === 0) for (const done of this.idle.splice(0)) done();
  }

  private send(size: number): void {
    const batch = this.queue.slice(this.head, this.head + size);
    this.head += size;
    // Compact now and then so the array does not grow with the total served.
    if (this.head > 4096 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    this.inflight++;
    this.options.onBatch?.(size);
    this.runBatch(
      batch.map((s) => s.value),
      batch.map((s) => s.index),
    ).then(
      (result) => {
        batch.forEach((slot, j) => {
          const r = slot.request;
          r.result.rows[slot.index] = result.rows[j]!;
          r.result.codes[slot.index] = result.codes[j] ?? null;
          if (--r.left === 0) r.resolve(r.result);
        });
      },
      (err) => {
        // An infrastructure failure (a worker thread died): every request in the batch fails once.
        const seen = new Set<Pending>();
        for (const slot of batch) {
          if (seen.has(slot.request)) continue;
          seen.add(slot.request);
          slot.request.left = -1;
          slot.request.reject(err);
        }
      },
    ).finally(() => {
      this.inflight--;
      this.pump();
    });
  }
}
