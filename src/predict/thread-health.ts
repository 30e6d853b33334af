import type { Piscina } from 'piscina';
import { isWorkerReset } from '../core/worker-reset.js';
import type { HostedPool } from '../model/host.js';
import type { BatchResult } from './rows.js';
import type { BatchTask } from './worker.js';

/** How long one batch may take in a worker thread before the thread is taken as hung (serve.predictTimeoutMs). */
export const DEFAULT_TASK_TIMEOUT_MS = 30_000;

/**
 * Thrown for a batch whose worker thread died or hung: the thread is replaced, and the batch's
 * requests are answered 503 (retry) rather than waiting for ever.
 */
export class ThreadLostError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ThreadLostError';
  }
}

/**
 * Runs batches on a piscina pool so that no thread can wedge the server: each batch has a
 * deadline, past which its thread is stopped (piscina terminates the Worker of an aborted task
 * and starts another to keep `minThreads`); a thread that dies rejects its batch the same way.
 * Until a replacement has loaded the model and answered a probe, `healthy` is false, so
 * readiness tells load balancers the truth.
 */
export class ThreadHealth {
  private lost = 0;
  private closed = false;

  constructor(
    private readonly pool: Piscina<BatchTask, BatchResult> & HostedPool,
    private readonly timeoutMs: number,
  ) {}

  /** False while a lost thread's replacement is not known to work. */
  get healthy(): boolean {
    return this.lost === 0;
  }

  async run(task: BatchTask): Promise<BatchResult> {
    const signal = AbortSignal.timeout(this.timeoutMs);
    try {
      return await this.pool.run(task, { signal });
    } catch (err) {
      if (this.closed) throw err;
      // A thread that died rejects its task too: probe either way, so readiness follows.
      this.threadLost();
      // A model that left its thread useless (a wasm module aborted) may have run in the host.
      if (isWorkerReset(err)) void this.pool.restartModelHost?.();
      if (!signal.aborted) throw err;
      // What hung may be a model call in the model host rather than the thread: a fresh host too.
      void this.pool.restartModelHost?.();
      throw new ThreadLostError(`the model did not answer within serve.predictTimeoutMs (${this.timeoutMs} ms); its worker thread was replaced`, { cause: err });
    }
  }

  /** Stops the threads; no probe runs after. */
  close(): Promise<void> {
    this.closed = true;
    return this.pool.destroy();
  }

  /**
   * Marks the pool unhealthy until an empty task succeeds. An empty task waits for its thread's
   * model, with no deadline: a model may take long to load, and until it has, the server is
   * truthfully not ready.
   */
  private threadLost(): void {
    if (this.lost++ > 0) return;
    const probe = (): void => {
      if (this.closed) return;
      this.pool.run({ values: [], indexes: [] }).then(
        () => (this.lost = 0),
        () => setTimeout(probe, 1000).unref(),
      );
    };
    probe();
  }
}
