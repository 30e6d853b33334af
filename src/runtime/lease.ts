/**
 * The lease on an output: at most one run writes an output at a time. `_lease.json` in the
 * primary output directory names the run that holds it (run id, host, pid, start time) and
 * carries a heartbeat the holder renews while it lives. It is created atomically
 * (`Storage.createExclusive`: a hard link locally, a conditional PUT on S3, `ifGenerationMatch: 0`
 * on GCS), so of two runs starting at once exactly one gets it; the other exits 2 naming it.
 *
 * A lease whose holder is dead may be taken over: on the same host when its pid no longer
 * exists, elsewhere when its heartbeat is older than `staleMs` (clocks of the hosts must agree
 * to within a fraction of that). A takeover removes the dead lease and creates a new one
 * exclusively, so two runs taking over at once still end with one holder; the holder re-checks
 * the lease before every commit and before `_SUCCESS` (`check`), which catches the rare case
 * where a takeover raced with a renewal.
 */
import os from 'node:os';
import { SluiceError } from '../core/errors.js';
import { joinUri, type Storage } from '../storage/index.js';

/** What `_lease.json` holds. */
export interface LeaseRecord {
  runId: string;
  host: string;
  pid: number;
  startTime: string;
  /** Last renewal (ISO time). */
  heartbeat: string;
  /** The holder's promise: it renews at least this often (ms). */
  heartbeatMs: number;
  /**
   * The run's identity by output, plan and config (src/distributed/jobs.ts `runKeyOf`): workers
   * of a distributed run commit under a lease that carries their job's key.
   */
  runKey: string;
}

export interface LeaseOptions {
  runId: string;
  runKey: string;
  startTime: Date;
  /** Renewal period (ms); default 5 s. */
  heartbeatMs?: number;
  /** A heartbeat older than this means its holder is dead (ms); default 60 s. */
  staleMs?: number;
  /** Told once when this run took over a dead run's lease. */
  onTakeover?: (line: string) => void;
}

export const LEASE_NAME = '_lease.json';
const DEFAULT_HEARTBEAT_MS = 5_000;
const DEFAULT_STALE_MS = 60_000;

/** `run 3f…-a1b2c3 (host h, pid 123, started 2026-12-05T18:00:00.000Z)`: how messages name a holder. */
export function describeHolder(r: LeaseRecord): string {
  return `run ${r.runId} (host ${r.host}, pid ${r.pid}, started ${r.startTime})`;
}

/** Why a lease's holder is known to be dead, or undefined when it may be alive. */
function deadBecause(r: LeaseRecord, staleMs: number, now: number): string | undefined {
  if (r.host === os.hostname() && !processAlive(r.pid)) return `its process ${r.pid} no longer exists`;
  const beat = Date.parse(r.heartbeat);
  if (!Number.isFinite(beat) || now - beat > staleMs) return `its heartbeat stopped at ${r.heartbeat} (more than ${Math.round(staleMs / 1000)} s ago)`;
  return undefined;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by someone else
  }
}

/** Reads the lease at `uri`, or undefined when there is none (or it vanished meanwhile). */
export async function readLease(storage: Storage, uri: string): Promise<LeaseRecord | undefined> {
  try {
    return JSON.parse(Buffer.from(await storage.readAll(uri)).toString('utf8')) as LeaseRecord;
  } catch (err) {
    if ((err as { code?: unknown }).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** The lease of `dir` (its URI). */
export function leaseUri(dir: string): string {
  return joinUri(dir, LEASE_NAME);
}

/** A held lease: renewed in the background until `release`. */
export class OutputLease {
  private timer: NodeJS.Timeout | undefined;
  private lost: SluiceError | undefined;

  private constructor(
    private readonly storage: Storage,
    readonly uri: string,
    private record: LeaseRecord,
  ) {}

  /**
   * Takes the lease on the output whose primary directory is `dir`, or throws OUTPUT_BUSY (exit 2)
   * naming the live run that holds it. Writes nothing else.
   */
  static async acquire(storage: Storage, dir: string, o: LeaseOptions): Promise<OutputLease> {
    const uri = leaseUri(dir);
    const heartbeatMs = o.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
    const staleMs = o.staleMs ?? DEFAULT_STALE_MS;
    const fresh = (): LeaseRecord => ({
      runId: o.runId,
      host: os.hostname(),
      pid: process.pid,
      startTime: o.startTime.toISOString(),
      heartbeat: new Date().toISOString(),
      heartbeatMs,
      runKey: o.runKey,
    });
    // Two rounds: a dead holder's lease is removed once, then the create must win outright.
    for (let round = 0; round < 2; round++) {
      const record = fresh();
      if (await storage.createExclusive(uri, JSON.stringify(record, null, 2))) return new OutputLease(storage, uri, record).start();
      const other = await readLease(storage, uri);
      if (!other) continue; // released between the two calls
      const dead = deadBecause(other, staleMs, Date.now());
      if (!dead || round > 0) throw busy(dir, other);
      await storage.remove(uri);
      o.onTakeover?.(`sluice: ${dir} was held by ${describeHolder(other)}, which is dead (${dead}); this run takes it over`);
    }
    const other = await readLease(storage, uri);
    throw other ? busy(dir, other) : new SluiceError('OUTPUT_BUSY', `${dir}: could not take the output's lease (${LEASE_NAME}); try again`);
  }

  private start(): this {
    this.timer = setInterval(() => void this.renew(), this.record.heartbeatMs);
    this.timer.unref();
    return this;
  }

  private async renew(): Promise<void> {
    if (this.lost) return;
    try {
      await this.check();
      this.record = { ...this.record, heartbeat: new Date().toISOString() };
      await this.storage.writeAtomic(this.uri, JSON.stringify(this.record, null, 2));
    } catch (err) {
      if (err instanceof SluiceError) this.lost ??= err;
      // A storage hiccup: the next beat tries again; `check` before a commit decides.
    }
  }

  /** Throws LEASE_LOST (exit 1) unless this run still holds the lease. Call before every commit. */
  async check(): Promise<void> {
    if (this.lost) throw this.lost;
    const now = await readLease(this.storage, this.uri);
    if (now?.runId === this.record.runId) return;
    this.lost = new SluiceError(
      'LEASE_LOST',
      now
        ? `${this.uri}: this run's lease on its output was taken over by ${describeHolder(now)}; nothing more is committed`
        : `${this.uri}: this run's lease on its output was removed; nothing more is committed`,
    );
    throw this.lost;
  }

  /** Stops renewing and removes the lease if it is still this run's. */
  async release(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    const now = await readLease(this.storage, this.uri).catch(() => undefined);
    if (now?.runId === this.record.runId) await this.storage.remove(this.uri);
  }

  get runId(): string {
    return this.record.runId;
  }
}

function busy(dir: string, other: LeaseRecord): SluiceError {
  return new SluiceError('OUTPUT_BUSY', `${dir} is being written by another ${describeHolder(other)}; this run changed nothing (wait for it to end, or stop it)`);
}
