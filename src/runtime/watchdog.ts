/**
 * The watchdog of one partition attempt, shared by the worker thread that runs it and the
 * coordinator that may kill it. A hung call (a wasm kernel that never returns, a custom op in an
 * endless loop) blocks its thread: no message, timer or promise of that thread runs again. So the
 * worker writes what it is doing into a SharedArrayBuffer (when the partition started; when the
 * current guarded call started, its time limit and the records it covers) and the coordinator
 * reads it on its own clock and terminates the thread when a limit is passed (see attempts.ts).
 */
import { RecordError } from '../core/failure.js';

/** The records of one guarded call: stage `stage` (index among the transforms), positions [start, end). */
export interface CallRange {
  stage: number;
  start: number;
  end: number;
}

/** A call that timed out on earlier attempts as often as allowed: its records are failed, not run again. */
export interface SkippedCall extends CallRange {
  message: string;
}

// Slots of the BigInt64Array (Atomics need an integer view; times are Date.now() milliseconds).
const PARTITION_STARTED = 0;
const CALL_STARTED = 1;
const CALL_TIMEOUT = 2;
const STAGE = 3;
const START = 4;
const END = 5;
const SLOTS = 6;

/**
 * One attempt's shared state. The worker writes the range and limit first and the start time
 * last; the coordinator reads the start time first: a seen start time always comes with its range.
 */
export class AttemptSlot {
  readonly buffer: SharedArrayBuffer;
  private readonly view: BigInt64Array;

  constructor(buffer?: SharedArrayBuffer) {
    this.buffer = buffer ?? new SharedArrayBuffer(SLOTS * 8);
    this.view = new BigInt64Array(this.buffer);
  }

  /** Worker: the partition's records start flowing now (stages are created, the model is loaded). */
  partitionStarted(): void {
    Atomics.store(this.view, PARTITION_STARTED, BigInt(Date.now()));
  }

  /** Worker: a guarded call over `range` starts now and may take `timeoutMs`. */
  callStarted(range: CallRange, timeoutMs: number): void {
    Atomics.store(this.view, CALL_TIMEOUT, BigInt(timeoutMs));
    Atomics.store(this.view, STAGE, BigInt(range.stage));
    Atomics.store(this.view, START, BigInt(range.start));
    Atomics.store(this.view, END, BigInt(range.end));
    Atomics.store(this.view, CALL_STARTED, BigInt(Date.now()));
  }

  /** Worker: the guarded call returned (or threw). */
  callEnded(): void {
    Atomics.store(this.view, CALL_STARTED, 0n);
  }

  /** Coordinator: when the partition started (ms), or 0 while the worker is still getting ready. */
  partitionStartedAt(): number {
    return Number(Atomics.load(this.view, PARTITION_STARTED));
  }

  /** Coordinator: the guarded call in progress, if any, with its start time and limit. */
  currentCall(): (CallRange & { startedAt: number; timeoutMs: number }) | undefined {
    const startedAt = Number(Atomics.load(this.view, CALL_STARTED));
    if (startedAt === 0) return undefined;
    return {
      startedAt,
      timeoutMs: Number(Atomics.load(this.view, CALL_TIMEOUT)),
      stage: Number(Atomics.load(this.view, STAGE)),
      start: Number(Atomics.load(this.view, START)),
      end: Number(Atomics.load(this.view, END)),
    };
  }
}

/**
 * Runs a call that might never return (one model batch) on the records at `positions` of a
 * stage's input in this partition (0-based, counted the same way on every attempt), with
 * `timeoutMs` (undefined: no limit). See `PartitionContext.guard`.
 */
export type CallGuard = <T>(positions: readonly number[], timeoutMs: number | undefined, call: () => Promise<T>) => Promise<T>;

/**
 * The guard a stage at index `stage` gets for one attempt: records each call in `slot` for the
 * coordinator to time, and acts on what earlier attempts learnt (hangs.ts). A call whose records
 * all lie in `skipped` ranges throws a RecordError (code `timeout`) so each of them becomes a
 * Failure naming the timeout; a call that covers some of them, or holds a range that hung
 * before (`hung`, unless the call is that one record again), throws a plain error, so a stage
 * that bisects failing batches (model/tfjs) splits it: each attempt halves a hung batch until
 * the record that hangs is alone, and only that record fails.
 */
export function createGuard(slot: AttemptSlot | undefined, stage: number, skipped: readonly SkippedCall[], hung: readonly CallRange[] = []): CallGuard {
  const mine = skipped.filter((s) => s.stage === stage);
  const suspects = hung.filter((h) => h.stage === stage);
  return async (positions, timeoutMs, call) => {
    if (positions.length === 0) return call();
    let start = positions[0]!;
    let end = start + 1;
    for (const p of positions) {
      if (p < start) start = p;
      if (p + 1 > end) end = p + 1;
    }
    if (mine.length > 0) {
      const inside = positions.filter((p) => mine.some((s) => p >= s.start && p < s.end)).length;
      if (inside === positions.length) {
        const hit = mine.find((s) => positions[0]! >= s.start && positions[0]! < s.end)!;
        throw new RecordError('timeout', hit.message);
      }
      if (inside > 0) throw new Error('part of this batch timed out on an earlier attempt');
    }
    // One record that hung alone (fewer times than allowed) runs again; anything holding a hung range is split.
    if (end - start > 1 && suspects.some((h) => h.start >= start && h.end <= end)) throw new Error('this batch (or a part of it) timed out on an earlier attempt');
    if (!slot || timeoutMs === undefined) return call();
    slot.callStarted({ stage, start, end }, timeoutMs);
    try {
      return await call();
    } finally {
      slot.callEnded();
    }
  };
}
