/**
 * A stage's request to the runtime: run the partition again on a fresh worker thread, with some
 * config values changed (`--set` syntax), e.g. after the wasm heap ran out of memory and aborted:
 * the thread's TensorFlow.js backend is dead, and the next attempt must use a smaller batch.
 * The worker lets it escape uncaught, so piscina replaces the thread and rejects the task with
 * it; the error crosses the thread boundary as a structured clone (its class is lost, its own
 * properties survive), so `isWorkerReset` recognises it by them.
 */
import type { Json } from './types.js';

const CODE = 'WORKER_RESET';

export class WorkerResetError extends Error {
  readonly code = CODE;
  constructor(
    message: string,
    /** Config values for every later attempt, e.g. `{"model.batchSize": 128}`. */
    readonly overrides: Record<string, Json>,
  ) {
    super(message);
    this.name = 'WorkerResetError';
  }
}

/** True for a WorkerResetError, also after it crossed a thread boundary. */
export function isWorkerReset(err: unknown): err is Pick<WorkerResetError, 'code' | 'message' | 'overrides'> {
  if (err instanceof WorkerResetError) return true;
  const e = err as { code?: unknown; overrides?: unknown } | null;
  return e?.code === CODE && typeof e.overrides === 'object' && e.overrides !== null;
}
