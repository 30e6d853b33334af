/**
 * Attempts of one partition on the worker pool, until one succeeds or the budget is spent:
 * retries with backoff after infrastructure failures (an I/O error, a worker thread that crashed
 * or exited: piscina replaces it), and the watchdog that terminates a worker thread whose
 * partition or guarded call (a model batch) overruns its time limit.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { SluiceError, describeIoError } from '../core/errors.js';
import type { Partition } from '../core/types.js';
import type { LoadedConfig } from '../config/load.js';
import { LiveCounters } from './counts.js';
import { isWorkerReset, type WorkerResetError } from '../core/worker-reset.js';
import type { PartitionResult } from './partition.js';
import { partitionWhere as where } from './commit.js';
import type { PartitionPool } from './pool.js';
import type { PartitionTask } from './worker.js';
import { AttemptSlot, type CallRange } from './watchdog.js';
import { HangLedger, type HangVerdict } from './hangs.js';

export interface AttemptPolicy {
  /** Attempts per partition that may fail for infrastructure reasons (`execution.maxAttempts`). */
  maxAttempts: number;
  /** Longest a partition attempt may run once its records flow (`execution.partitionTimeoutMs`). */
  partitionTimeoutMs?: number;
  /** Config paths of the transforms by index (to name a stage whose call timed out). */
  stagePaths: string[];
  /** Wait before retry `n` (1-based); default 200 ms doubling, at most 5 s. */
  backoffMs?: (n: number) => number;
  /** How often the watchdog looks at a running attempt (ms). */
  checkEveryMs?: number;
  /** Told about every failed attempt that will be retried, in one line. */
  onRetry?: (line: string) => void;
  /**
   * A worker asked for a fresh thread with config values changed (see core/worker-reset.ts, e.g.
   * a halved batch after the wasm heap aborted): returns the config for this and every later
   * attempt, or undefined when the request changes nothing (it then counts as a failed attempt).
   */
  reconfigure?: (partition: Partition, request: Pick<WorkerResetError, 'message' | 'overrides'>) => LoadedConfig | undefined;
}

/** At most this many fresh-worker retries per partition (each halves a batch: 2^16 is plenty). */
const MAX_RESETS = 16;

/** Why the coordinator stopped an attempt: the reason given to its abort signal. */
class AttemptTimeout extends Error {
  constructor(
    message: string,
    readonly call?: CallRange & { timeoutMs: number },
  ) {
    super(message);
  }
}

/** A piscina error in words a user understands (its own messages name no partition). */
function attemptError(err: unknown): string {
  const text = describeIoError(err);
  const exited = /^worker exited with code: (-?\d+)/.exec(text);
  if (exited) return `its worker thread exited (code ${exited[1]})`;
  return text;
}

/**
 * Runs `partition` on `pool` until an attempt succeeds. Returns undefined when `runSignal`
 * aborts (the run is stopping: the attempt in flight is abandoned, its worker terminated);
 * throws a SluiceError (RUN_FAILED) once `maxAttempts` attempts have failed.
 *
 * A guarded call that overruns its limit does not use up the partition's attempts: it is
 * charged to that call's records instead (hangs.ts). The next attempt splits that call in
 * halves, attempt after attempt, until the record that hangs is alone; once calls holding it
 * have hung `maxAttempts` times it fails (code `timeout`) without running, and the rest of its
 * batch and partition is predicted. So a partition with a record that always hangs completes.
 *
 * @example
 * const result = await attemptPartition(pool, partition, { loaded, runId, counters }, { maxAttempts: 3, stagePaths }, signal);
 */
export async function attemptPartition(
  pool: PartitionPool,
  partition: Partition,
  task: Omit<PartitionTask, 'partition' | 'attempt' | 'slot' | 'skipped' | 'hung' | 'attemptCounters'>,
  policy: AttemptPolicy,
  runSignal: AbortSignal,
): Promise<PartitionResult | undefined> {
  const hangs = new HangLedger(policy.maxAttempts);
  const backoff = policy.backoffMs ?? ((n: number) => Math.min(200 * 2 ** (n - 1), 5000));
  let failures = 0;
  let resets = 0;
  for (let n = 1; ; n++) {
    const slot = new AttemptSlot();
    const mine = new LiveCounters();
    const stop = new AbortController();
    const { skipped, hung } = hangs.plan(policy.stagePaths);
    const watch = setInterval(() => {
      const why = overdue(slot, policy, Date.now());
      if (why) stop.abort(why);
    }, policy.checkEveryMs ?? 50);
    try {
      return await pool.run({ ...task, partition, attempt: n, slot: slot.buffer, skipped, hung, attemptCounters: mine.buffer }, { signal: AbortSignal.any([runSignal, stop.signal]) });
    } catch (err) {
      // Its records will be read again: take back what a terminated thread could not (a thread
      // that failed on its own took its counts back already, leaving zeros here).
      const left = mine.snapshot();
      new LiveCounters(task.counters).subtract({ ...left, bytes: left.bytesRead });
      if (runSignal.aborted) return undefined;
      const reason: unknown = stop.signal.aborted ? stop.signal.reason : err;
      // What hung may be a model call in the model host rather than the worker, and a model
      // that left its thread useless (a wasm module aborted) may have run there: a fresh host too.
      if (reason instanceof AttemptTimeout || isWorkerReset(reason)) await pool.restartModelHost?.();
      if (reason instanceof AttemptTimeout && reason.call) {
        const verdict = hangs.record(reason.call, reason.call.timeoutMs);
        policy.onRetry?.(`partition ${partition.id} (${where(partition)}) attempt ${n}: ${reason.message}; retrying on a fresh worker thread${NEXT[verdict]}`);
        continue; // a fresh worker thread is already starting: piscina replaced the terminated one
      }
      if (isWorkerReset(reason) && resets < MAX_RESETS) {
        // Not an attempt used up while the request changes the config: the retry differs.
        const next = policy.reconfigure?.(partition, reason);
        if (next) {
          task = { ...task, loaded: next };
          resets++;
          continue;
        }
      }
      failures++;
      if (failures >= policy.maxAttempts) {
        throw new SluiceError('RUN_FAILED', `partition ${partition.id} (${where(partition)}) failed after ${n} attempt${n > 1 ? 's' : ''}: ${attemptError(reason)}`, { cause: reason });
      }
      const wait = backoff(failures);
      policy.onRetry?.(`partition ${partition.id} (${where(partition)}) attempt ${n} failed: ${attemptError(reason)}; retrying in ${wait} ms`);
      try {
        await sleep(wait, undefined, { signal: runSignal });
      } catch {
        return undefined;
      }
    } finally {
      clearInterval(watch);
    }
  }
}

/** Why the attempt in `slot` must be stopped now, or undefined. */
function overdue(slot: AttemptSlot, policy: AttemptPolicy, now: number): AttemptTimeout | undefined {
  const call = slot.currentCall();
  if (call && now - call.startedAt > call.timeoutMs) {
    const path = policy.stagePaths[call.stage] ?? `stage ${call.stage}`;
    // Positions count the partition's records from 0.
    const records = call.end - call.start === 1 ? `record ${call.start}` : `records ${call.start}–${call.end - 1}`;
    return new AttemptTimeout(`a call in ${path} (${records} of the partition) ran longer than ${call.timeoutMs} ms (${path}/batchTimeoutMs)`, call);
  }
  const started = slot.partitionStartedAt();
  if (policy.partitionTimeoutMs !== undefined && started > 0 && now - started > policy.partitionTimeoutMs) {
    return new AttemptTimeout(`it ran longer than ${policy.partitionTimeoutMs} ms (/execution/partitionTimeoutMs); its worker thread was terminated`);
  }
  return undefined;
}

/** What the retry line adds about the hung call (hangs.ts). */
const NEXT: Record<HangVerdict, string> = {
  split: ', with that call split in halves to find the record that hangs',
  retry: '',
  fail: ' without that record (it fails with code timeout)',
  'give-up': ' without that batch: several of its records hang (they fail with code timeout)',
};
