import { randomBytes } from 'node:crypto';
import { SluiceError, describeError, describeIoError } from '../core/errors.js';
import type { Counts, Json, Partition } from '../core/types.js';
import type { SinkReport } from '../core/stage.js';
import { applySet, type LoadedConfig } from '../config/load.js';
import { outputDirs, type Graph } from '../graph/build.js';
import type { Storage } from '../storage/index.js';
import { overBudget } from './budget.js';
import { OutputCommitter, partitionWhere as where, runKeyOf, type ManifestEntry } from './commit.js';
import { OutputLease } from './lease.js';
import { sinkCommits } from './sink-commits.js';
import { LiveCounters, addCounts, emptyCounts } from './counts.js';
import type { PartitionResult } from './partition.js';
import { attemptPartition, type AttemptPolicy } from './attempts.js';
import { afterPlanFaults } from './fault.js';
import { configFingerprint, planPartitions } from './plan.js';
import type { ProgressReporter } from './progress.js';
import { versions } from './versions.js';
import { finishSinks } from './finish.js';
import { startPool, type PartitionPool } from './pool.js';

export interface RunOptions {
  overwrite?: boolean;
  /** Aborted on SIGINT/SIGTERM: stop taking partitions, abandon those in flight. */
  signal?: AbortSignal;
  progress?: ProgressReporter;
  /** Worker threads started early (see `startPool`); `run` destroys them when it ends. */
  pool?: PartitionPool;
}

/** The run summary: printed at the end and written as `_SUCCESS`. */
export interface RunSummary {
  name: string;
  counts: Counts;
  partitions: { total: number; committed: number; resumed: number };
  startTime: string;
  endTime: string;
  seconds: number;
  recordsPerSecond: number;
  workers: number;
  planFingerprint: string;
  configFingerprint: string;
  input: { source: string; size: number; mtimeMs: number }[];
  model: Json;
  chain: string;
  outputs: string[];
  versions: { sluice: string; tfjs: string; node: string };
  maxRssBytes: number;
  /** What sinks with a `finish` hook reported (e.g. metrics), by config path; absent when none has. */
  reports?: Record<string, SinkReport>;
  /** What stages reported about themselves, summarised over partitions, by config path (e.g. the model's batch size in use). */
  stageFacts: Record<string, Json>;
  /** Warnings stages gave during this run (each once), e.g. a stage that leaks tensors. */
  warnings: string[];
}

/** `loaded` with `overrides` applied (a copy), or undefined when nothing changes. */
function withOverrides(loaded: LoadedConfig, overrides: Record<string, Json>): LoadedConfig | undefined {
  const config = structuredClone(loaded.config);
  for (const [path, value] of Object.entries(overrides)) applySet(config, `${path}=${JSON.stringify(value)}`);
  return JSON.stringify(config) === JSON.stringify(loaded.config) ? undefined : { ...loaded, config };
}

/**
 * Runs a checked graph: plans partitions, prepares the output (resume, conflict, overwrite),
 * hands partitions to a pool of worker threads, commits each as it completes, keeps the error
 * budget, and writes `_SUCCESS` last.
 */
export async function run(loaded: LoadedConfig, graph: Graph, storage: Storage, options: RunOptions = {}): Promise<RunSummary> {
  const started = new Date();
  const plan = await planPartitions(graph);
  afterPlanFaults(); // test-only (SLUICE_FAULT), a no-op otherwise
  const facts = await describeStages(graph);
  const fresh = { planFingerprint: plan.fingerprint, configFingerprint: configFingerprint(graph, facts), partitions: plan.partitions, createdAt: started.toISOString() };
  const runId = `${started.getTime().toString(36)}-${randomBytes(3).toString('hex')}`;
  const dirs = outputDirs(graph);
  const notes: string[] = [];
  // Nothing is written before the lease is ours: a second run on a live output changes nothing.
  const lease = await writing(dirs, () =>
    OutputLease.acquire(storage, dirs[0]!, {
      runId,
      runKey: runKeyOf(dirs[0]!, fresh.planFingerprint, fresh.configFingerprint),
      startTime: started,
      onTakeover: (line) => notes.push(line),
    }),
  );
  try {
    return await runUnderLease(loaded, graph, storage, options, { started, plan, facts, fresh, runId, lease, notes });
  } finally {
    await lease.release().catch(() => undefined);
  }
}

interface LeasedRun {
  started: Date;
  plan: Awaited<ReturnType<typeof planPartitions>>;
  facts: Record<string, Json>;
  fresh: Parameters<OutputCommitter['prepare']>[0];
  runId: string;
  lease: OutputLease;
  notes: string[];
}

async function runUnderLease(loaded: LoadedConfig, graph: Graph, storage: Storage, options: RunOptions, l: LeasedRun): Promise<RunSummary> {
  const { started, plan, facts, fresh, runId } = l;
  const committer = new OutputCommitter(storage, outputDirs(graph), l.lease, sinkCommits(graph));
  const { record, committed } = await writing(outputDirs(graph), async () => {
    const prepared = await committer.prepare(fresh, options.overwrite ?? false);
    await committer.publishPending(prepared.record.partitions, prepared.committed);
    return prepared;
  });
  const resumed = committed.size;
  const todo = record.partitions.filter((p) => !committed.has(p.id));
  const budget = { maxErrors: graph.config.execution.maxErrors, maxErrorRate: graph.config.execution.maxErrorRate };
  const counters = new LiveCounters();
  for (const e of committed.values()) counters.add(e.counts.read, e.counts.written, e.counts.failed);
  const base = counters.snapshot();

  const abort = new AbortController();
  let stopReason: SluiceError | undefined;
  const stop = (reason: SluiceError) => {
    stopReason ??= reason;
    abort.abort();
  };
  const onInterrupt = () =>
    stop(new SluiceError('INTERRUPTED', `interrupted: ${committed.size} of ${record.partitions.length} partitions are committed; run the same command again to resume`));
  if (options.signal?.aborted) onInterrupt();
  options.signal?.addEventListener('abort', onInterrupt, { once: true });

  const progress = options.progress;
  const doneBytes = () => [...committed.values()].reduce((n, e) => n + (e.end - e.start), 0);
  const totalBytes = record.partitions.reduce((n, p) => n + (p.end - p.start), 0);
  progress?.start({ partitions: record.partitions.length, bytes: totalBytes, chain: graph.summary, runId, resumedBytes: doneBytes(), outputs: outputDirs(graph) });
  const tick = setInterval(() => {
    const live = counters.snapshot();
    const why = overBudget(live, budget, false);
    if (why) stop(new SluiceError('ERROR_BUDGET', why));
    progress?.update({ ...live, base, partitionsDone: committed.size, bytesDone: doneBytes() });
  }, 100);
  tick.unref();

  const pool = options.pool ?? (todo.length ? startPool(loaded, Math.min(graph.workers, todo.length)) : undefined);
  const queue = [...todo];
  // The config tasks carry: a worker's reset request (see core/worker-reset.ts) changes it for every later task.
  let current = loaded;
  const warned = new Set<string>();
  const warnings: string[] = [];
  const warn = (key: string, message: string) => {
    if (warned.has(key)) return;
    warned.add(key);
    warnings.push(message);
    progress?.warn?.(message);
  };
  for (const line of l.notes) warn(line, line);
  const policy: AttemptPolicy = {
    maxAttempts: graph.config.execution.maxAttempts,
    partitionTimeoutMs: graph.config.execution.partitionTimeoutMs,
    stagePaths: graph.transforms.map((t) => t.path),
    onRetry: (line: string) => progress?.note?.(line),
    reconfigure: (partition, request) => {
      const next = withOverrides(current, request.overrides);
      if (!next) return undefined;
      current = next;
      const sets = Object.entries(request.overrides).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(', ');
      warn(`reset ${sets}`, `partition ${partition.id} (${where(partition)}): ${request.message}; retrying on a fresh worker with ${sets}`);
      return next;
    },
  };

  const worker = async (): Promise<void> => {
    while (!abort.signal.aborted) {
      const partition = queue.shift();
      if (!partition) return;
      const result = await attempt(partition);
      if (!result) return;
      for (const [key, message] of Object.entries(result.warnings ?? {})) warn(key, message);
      const why = overBudget(counters.snapshot(), budget, false);
      if (why) {
        stop(new SluiceError('ERROR_BUDGET', why));
        await committer.discard(partition, result);
        return;
      }
      try {
        committed.set(partition.id, await committer.commit(partition, result));
      } catch (err) {
        if (err instanceof SluiceError) return void stop(err); // the lease is lost: one line saying to whom
        stop(new SluiceError('RUN_FAILED', `cannot commit partition ${partition.id} (${where(partition)}): ${describeError(err)}`, { cause: err }));
        return;
      }
    }
  };

  const attempt = async (partition: Partition): Promise<PartitionResult | undefined> => {
    try {
      return await attemptPartition(pool!, partition, { loaded: current, runId, counters: counters.buffer }, policy, abort.signal);
    } catch (err) {
      stop(err instanceof SluiceError ? err : new SluiceError('RUN_FAILED', `partition ${partition.id} (${where(partition)}): ${describeError(err)}`, { cause: err }));
      return undefined;
    }
  };

  try {
    await Promise.all(Array.from({ length: Math.min(graph.workers, todo.length) }, worker));
  } finally {
    clearInterval(tick);
    options.signal?.removeEventListener('abort', onInterrupt);
    await pool?.destroy();
    progress?.update({ ...counters.snapshot(), base, partitionsDone: committed.size, bytesDone: doneBytes() });
    progress?.stop();
  }
  if (stopReason) {
    // The pool is gone, so no attempt is still writing: what it left is only litter now.
    await committer.removeTemporaries().catch(() => undefined);
    if (stopReason.code === 'INTERRUPTED') {
      throw new SluiceError('INTERRUPTED', `interrupted: ${committed.size} of ${record.partitions.length} partitions are committed; run the same command again to resume`);
    }
    if (stopReason.code === 'RUN_FAILED') {
      const kept = `${committed.size} of ${record.partitions.length} partitions are committed; run the same command again to resume`;
      throw new SluiceError('RUN_FAILED', `${stopReason.message} (${kept})`, { cause: stopReason.cause });
    }
    throw stopReason;
  }

  const counts = [...committed.values()].reduce((c, e) => addCounts(c, e.counts), emptyCounts());
  const ended = new Date();
  const seconds = (ended.getTime() - started.getTime()) / 1000;
  const thisRun = counts.read - base.read;
  const summary: RunSummary = {
    name: graph.name,
    counts,
    partitions: { total: record.partitions.length, committed: committed.size, resumed },
    startTime: started.toISOString(),
    endTime: ended.toISOString(),
    seconds,
    recordsPerSecond: seconds > 0 ? Math.round(thisRun / seconds) : 0,
    workers: graph.workers,
    planFingerprint: record.planFingerprint,
    configFingerprint: record.configFingerprint,
    input: plan.listing,
    model: (facts['/model'] ?? null) as Json,
    chain: graph.summary,
    outputs: outputDirs(graph),
    versions: versions(),
    maxRssBytes: process.resourceUsage().maxRSS * 1024,
    stageFacts: summarizeFacts(graph, [...committed.values()]),
    warnings,
  };
  const why = overBudget(counts, budget, true);
  if (why) throw new SluiceError(counts.written === 0 ? 'NOTHING_SUCCEEDED' : 'ERROR_BUDGET', why);
  const reports = await writing(outputDirs(graph), () => finishSinks(graph, [...committed.values()]));
  if (Object.keys(reports).length) summary.reports = reports;
  await writing(outputDirs(graph), () => committer.succeed(summary));
  return summary;
}

/** Runs a write to the output directories; a storage failure becomes one line naming them (exit 1). */
async function writing<T>(dirs: string[], work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof SluiceError) throw err;
    throw new SluiceError('RUN_FAILED', `cannot write the output ${dirs.join(', ')}: ${describeIoError(err)}`, { cause: err });
  }
}

/**
 * The facts stages reported per committed partition (this run's and earlier runs'), summarised
 * per stage by its `summarizeFacts`, else the facts of the last partition. Shared with the
 * distributed coordinator.
 */
export function summarizeFacts(graph: Graph, entries: ManifestEntry[]): Record<string, Json> {
  const out: Record<string, Json> = {};
  const ordered = [...entries].sort((a, b) => a.id - b.id);
  for (const t of graph.transforms) {
    const list = ordered.flatMap((e) => (e.facts?.[t.path] ? [e.facts[t.path]!] : []));
    if (!list.length) continue;
    out[t.path] = t.def.summarizeFacts ? t.def.summarizeFacts(list, t.options) : (list[list.length - 1] as Json);
  }
  return out;
}

/**
 * Facts every stage reports about itself (a model's file hashes), keyed by config path.
 * Exported for the distributed coordinator (src/distributed/), whose fingerprints must match.
 */
export async function describeStages(graph: Graph): Promise<Record<string, Json>> {
  const out: Record<string, Json> = {};
  for (const s of [graph.source, ...graph.transforms, ...graph.sinks, graph.errors]) {
    if (!s.def.describe) continue;
    try {
      out[s.path] = await s.def.describe(s.options, s.ctx);
    } catch (err) {
      if (err instanceof SluiceError) throw err; // already one line naming its config path
      // A file that vanished between the checks and now: still a problem of the input (exit 2).
      throw new SluiceError('CONFIG_INVALID', `${s.path}: ${describeError(err)}`, { cause: err });
    }
  }
  return out;
}

export type { ManifestEntry };
