/**
 * Narrowing a hung model call down to the record that hangs, across attempts (issue 16, item 8).
 *
 * A call that never returns cannot be bisected inside its thread: the thread is stuck (a wasm
 * kernel or a custom layer in a synchronous loop runs no timer, promise or message again), so
 * the coordinator terminates it (attempts.ts) and the partition runs again on a fresh thread.
 * This ledger remembers, per partition, the position ranges of the calls that hung, and tells the
 * next attempt's guard (watchdog.ts `createGuard`):
 * - `hung`: a call holding one of these ranges (more than one record) is split in halves by the
 *   stage's bisection (core/bisect.ts) instead of running, so each attempt halves the suspect
 *   range — the bisection a throwing batch gets within one attempt, spread over attempts;
 * - `skipped`: these records fail with code `timeout` without running: a record that hung alone
 *   once calls holding it have timed out `execution.maxAttempts` times (so a one-off stall is
 *   retried, as before), or — the bound — every record of a batch of n whose narrowing has cost
 *   2·ceil(log2(n)) + maxAttempts timeouts (more than two of its records hang). After one batch
 *   of a partition was failed so, the model likely hangs on much of its input: later batches
 *   of that partition get maxAttempts timeouts, then fail whole (as before narrowing existed).
 *
 * One hanging record in a batch of n costs ceil(log2(n)) + 1 timeouts (at least maxAttempts),
 * two cost at most 2·ceil(log2(n)) + 1; every other record of the batch is predicted.
 */
import type { CallRange, SkippedCall } from './watchdog.js';

interface Hang {
  range: CallRange;
  timeoutMs: number;
  /** Timeouts of exactly this range. */
  count: number;
}

/** What one attempt's guards are told: ranges to split, records to fail. */
export interface HangPlan {
  hung: CallRange[];
  skipped: SkippedCall[];
}

/** What the coordinator does after a timeout, for its retry line. */
export type HangVerdict = 'split' | 'retry' | 'fail' | 'give-up';

const within = (inner: CallRange, outer: CallRange) => inner.stage === outer.stage && inner.start >= outer.start && inner.end <= outer.end;
const size = (r: CallRange) => r.end - r.start;

export class HangLedger {
  private readonly hangs: Hang[] = [];
  /** Batches failed whole, in the order they were given up. */
  private readonly givenUp: CallRange[] = [];

  /** `maxAttempts`: timeouts a single record gets before it fails (`execution.maxAttempts`). */
  constructor(private readonly maxAttempts: number) {}

  /** Records that the call over `range` overran `timeoutMs`; says what the next attempt does about it. */
  record(range: CallRange, timeoutMs: number): HangVerdict {
    let hang = this.hangs.find((h) => h.range.stage === range.stage && h.range.start === range.start && h.range.end === range.end);
    if (hang) hang.count++;
    else this.hangs.push((hang = { range: { stage: range.stage, start: range.start, end: range.end }, timeoutMs, count: 1 }));
    // A record found alone fails on its own, even on the batch's last allowed timeout.
    if (size(range) === 1 && this.timeoutsHolding(range) >= this.maxAttempts) return 'fail';
    const root = this.rootOf(hang.range);
    if (size(root) > 1 && this.exhausted(root)) {
      this.givenUp.push(root);
      return 'give-up';
    }
    return size(range) > 1 ? 'split' : 'retry';
  }

  /** The guards' instructions for the next attempt of this partition. */
  plan(stagePaths: readonly string[]): HangPlan {
    const skipped: SkippedCall[] = [];
    const pathOf = (r: CallRange) => stagePaths[r.stage] ?? `stage ${r.stage}`;
    // Records that hung alone first, so their rows keep their own message.
    for (const h of this.hangs) {
      const n = this.timeoutsHolding(h.range);
      if (size(h.range) !== 1 || n < this.maxAttempts) continue;
      const path = pathOf(h.range);
      skipped.push({ ...h.range, message: `timed out: this record alone ran longer than ${h.timeoutMs} ms in ${path} (${path}/batchTimeoutMs); calls holding it timed out ${times(n)}, its worker thread terminated each time` });
    }
    for (const root of this.givenUp) {
      const path = pathOf(root);
      const { timeoutMs } = this.hangs.find((h) => h.range === root)!; // a recorded range itself (rootOf)
      skipped.push({ ...root, message: `timed out: the batch of ${size(root)} records holding this record kept running longer than ${timeoutMs} ms in ${path} (${path}/batchTimeoutMs): several of its records hang, and narrowing stopped after ${this.timeoutsWithin(root)} timeouts` });
    }
    return { hung: this.hangs.map((h) => h.range), skipped };
  }

  /** The outermost recorded range holding `range` (a batch as first cut by the stage). */
  private rootOf(range: CallRange): CallRange {
    let root = range;
    for (const h of this.hangs) if (within(range, h.range) && size(h.range) > size(root)) root = h.range;
    return root;
  }

  /**
   * A batch whose narrowing has cost its allowance: enough to find two hanging records,
   * 2·ceil(log2(n)) + maxAttempts timeouts; maxAttempts once another batch was given up.
   */
  private exhausted(root: CallRange): boolean {
    const allowance = this.givenUp.length > 0 ? this.maxAttempts : 2 * Math.ceil(Math.log2(size(root))) + this.maxAttempts;
    return this.timeoutsWithin(root) >= allowance;
  }

  private timeoutsWithin(range: CallRange): number {
    return this.hangs.reduce((n, h) => n + (within(h.range, range) ? h.count : 0), 0);
  }

  private timeoutsHolding(range: CallRange): number {
    return this.hangs.reduce((n, h) => n + (within(range, h.range) ? h.count : 0), 0);
  }
}

const times = (n: number) => (n === 1 ? 'once' : `${n} times`);
