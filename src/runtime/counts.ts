import type { Counts, Failure } from '../core/types.js';

/** Zeroed counters. */
export function emptyCounts(): Counts {
  return { read: 0, written: 0, failed: 0, failedByStage: {}, failedByCode: {} };
}

/** Counts one Failure by stage and by code. */
export function countFailure(c: Counts, f: Failure): void {
  c.failed++;
  c.failedByStage[f.stage] = (c.failedByStage[f.stage] ?? 0) + 1;
  c.failedByCode[f.code] = (c.failedByCode[f.code] ?? 0) + 1;
}

/** Adds `b` into `a` (partition counts into run counts). */
export function addCounts(a: Counts, b: Counts): Counts {
  a.read += b.read;
  a.written += b.written;
  a.failed += b.failed;
  for (const [k, v] of Object.entries(b.failedByStage)) a.failedByStage[k as keyof Counts['failedByStage']] = (a.failedByStage[k as keyof Counts['failedByStage']] ?? 0) + (v ?? 0);
  for (const [k, v] of Object.entries(b.failedByCode)) a.failedByCode[k] = (a.failedByCode[k] ?? 0) + v;
  return a;
}

/**
 * Live counters shared by the coordinator and every worker thread without messages:
 * a SharedArrayBuffer of [read, written, failed, bytes], bumped once per chunk. `bytes` is how
 * far into their partitions the sources have read (from record offsets, where known), so that
 * progress moves within a partition, not only when one commits.
 */
export class LiveCounters {
  readonly buffer: SharedArrayBuffer;
  private readonly view: BigInt64Array;

  /**
   * `attempt`: the counters of one partition attempt, bumped alongside the run's. A thread the
   * coordinator terminates (a hung call) cannot take back what it counted; the coordinator takes
   * back what is left in the attempt's counters instead (see attempts.ts).
   */
  constructor(buffer?: SharedArrayBuffer, private readonly attempt?: LiveCounters) {
    this.buffer = buffer ?? new SharedArrayBuffer(4 * 8);
    this.view = new BigInt64Array(this.buffer);
  }

  add(read: number, written: number, failed: number, bytes = 0): void {
    this.attempt?.add(read, written, failed, bytes);
    if (read) Atomics.add(this.view, 0, BigInt(read));
    if (written) Atomics.add(this.view, 1, BigInt(written));
    if (failed) Atomics.add(this.view, 2, BigInt(failed));
    if (bytes) Atomics.add(this.view, 3, BigInt(bytes));
  }

  /** Takes back what an abandoned partition attempt had counted (it will be read again). */
  subtract(c: { read: number; written: number; failed: number; bytes?: number }): void {
    this.add(-c.read, -c.written, -c.failed, -(c.bytes ?? 0));
  }

  snapshot(): { read: number; written: number; failed: number; bytesRead: number } {
    const at = (i: number) => Number(Atomics.load(this.view, i));
    return { read: at(0), written: at(1), failed: at(2), bytesRead: at(3) };
  }
}
