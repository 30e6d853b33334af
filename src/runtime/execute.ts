/**
 * The one run loop, for local and distributed runs alike: plan, take the output's lease,
 * prepare the output (resume, conflict, overwrite), keep the error budget on live counts, stop on
 * a signal or failure, judge the budget, finish the sinks and write `_SUCCESS` last. Where the
 * partitions run is the only difference, and it lives behind `PartitionQueue`: worker threads in
 * this process (`runtime/run.ts`) or a BullMQ queue served by `sluice worker` processes
 * (`distributed/coordinator.ts`).
 */
import { randomBytes } from 'node:crypto';
import { SluiceError, describeError, describeIoError } from '../core/errors.js';
import type { Counts, Json, Partition } from '../core/types.js';
import type { SinkReport } from '../core/stage.js';
import { outputDirs, type Graph } from '../graph/build.js';
import type { Storage } from '../storage/index.js';
import { overBudget } from './budget.js';
import { OutputCommitter, runKeyOf, type ManifestEntry } from './commit.js';
import { OutputLease } from './lease.js';
import { sinkCommits } from './sink-commits.js';
import { addCounts, emptyCounts } from './counts.js';
import { configFingerprint, planPartitions } from './plan.js';
import type { ProgressReporter } from './progress.js';
import { versions } from './versions.js';
import { finishSinks } from './finish.js';

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
  /** Why `workers` is not what `execution.workers` asked (the tensorflow backend's one thread); absent when it is. */
  workersNote?: string;
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

export interface ExecuteOptions {
  overwrite?: boolean;
  /** Aborted on SIGINT/SIGTERM: stop handing out partitions. */
  signal?: AbortSignal;
  progress?: ProgressReporter;
}

/** Records read, written and failed: what the budget judges while a run goes. */
export type Tally = { read: number; written: number; failed: number };

/** What the run loop hands a queue: the partitions to run and how to report on them. */
export interface QueueRun {
  runId: string;
  /** Output + plan + config fingerprints: the same for a restarted run of the same command. */
  runKey: string;
  outputs: string[];
  planFingerprint: string;
  configFingerprint: string;
  /** Every partition of the plan (committed ones included), and those still to run. */
  partitions: Partition[];
  todo: Partition[];
  committer: OutputCommitter;
  /** Committed entries by partition id; the queue adds to it through `committed()`. */
  entries: Map<number, ManifestEntry>;
  /** Aborted once the run stops (a failure, the budget, a signal): hand out nothing more. */
  halt: AbortSignal;
  stop(reason: SluiceError): void;
  /** A partition's entry is in the manifest. */
  committed(entry: ManifestEntry): void;
  /** Stops the run (and returns true) when `live` counts are over the error budget. */
  overBudget(live: Tally): boolean;
  /** A one-line warning, shown and summarised once per key. */
  warn(key: string, message: string): void;
  note(line: string): void;
}

/**
 * Where partitions run. `drain` returns once every partition of `todo` is committed or the run
 * has stopped (`halt`); it reports commits through `run.committed`.
 */
export interface PartitionQueue<S extends RunSummary = RunSummary> {
  /** Attempts of other processes may still be writing under `_temporary/` (keep it on prepare and stop). */
  readonly sharedTemporaries: boolean;
  /** What the message of an interruption adds after the committed count. */
  readonly interruptNote?: string;
  drain(run: QueueRun): Promise<void>;
  /** Live counts: committed and in-flight, as the budget judges them (`bytesRead` for the progress display). */
  live(entries: Map<number, ManifestEntry>): Tally & { bytesRead?: number };
  /** Clean-up after a stop, once `drain` has returned. */
  stopped?(run: QueueRun, reason: SluiceError): Promise<void>;
  /** The summary with what only this kind of run knows (its worker count, where it ran). */
  summarize(summary: RunSummary): S;
}

/** Runs a checked graph through `queue`: the sequence every run follows (see the file's opening comment). */
export async function execute<S extends RunSummary>(graph: Graph, storage: Storage, queue: PartitionQueue<S>, options: ExecuteOptions = {}): Promise<S> {
  const started = new Date();
  const plan = await planPartitions(graph);
  const facts = await describeStages(graph);
  const fresh = { planFingerprint: plan.fingerprint, configFingerprint: configFingerprint(graph, facts), partitions: plan.partitions, createdAt: started.toISOString() };
  const runId = `${started.getTime().toString(36)}-${randomBytes(3).toString('hex')}`;
  const outputs = outputDirs(graph);
  // The key follows from the output and fingerprints: a restarted coordinator has the same one.
  const runKey = runKeyOf(outputs[0]!, fresh.planFingerprint, fresh.configFingerprint);
  const notes: string[] = [];
  // Nothing is written before the lease is ours: a second run on a live output changes nothing.
  const lease = await writing(outputs, () =>
    OutputLease.acquire(storage, outputs[0]!, { runId, runKey, startTime: started, onTakeover: (line) => notes.push(line) }),
  );
  try {
    return await underLease(graph, storage, queue, options, { started, plan, facts, fresh, runId, runKey, outputs, lease, notes });
  } finally {
    await lease.release().catch(() => undefined);
  }
}

interface Leased {
  started: Date;
  plan: Awaited<ReturnType<typeof planPartitions>>;
  facts: Record<string, Json>;
  fresh: Parameters<OutputCommitter['prepare']>[0];
  runId: string;
  runKey: string;
  outputs: string[];
  lease: OutputLease;
  notes: string[];
}

async function underLease<S extends RunSummary>(graph: Graph, storage: Storage, queue: PartitionQueue<S>, options: ExecuteOptions, l: Leased): Promise<S> {
  const { started, outputs } = l;
  const committer = new OutputCommitter(storage, outputs, l.lease, sinkCommits(graph));
  const { record, committed } = await writing(outputs, async () => {
    const prepared = await committer.prepare(l.fresh, options.overwrite ?? false, { keepTemporaries: queue.sharedTemporaries });
    await committer.publishPending(prepared.record.partitions, prepared.committed);
    return prepared;
  });
  const resumed = committed.size;
  const total = record.partitions.length;
  const budget = { maxErrors: graph.config.execution.maxErrors, maxErrorRate: graph.config.execution.maxErrorRate };
  const base = sumCounts([...committed.values()]);

  const halt = new AbortController();
  let stopReason: SluiceError | undefined;
  const stop = (reason: SluiceError) => {
    stopReason ??= reason;
    halt.abort();
  };
  const interrupted = () =>
    new SluiceError('INTERRUPTED', `interrupted: ${committed.size} of ${total} partitions are committed${queue.interruptNote ?? ''}; run the same command again to resume`);
  const onInterrupt = () => stop(interrupted());
  if (options.signal?.aborted) onInterrupt();
  options.signal?.addEventListener('abort', onInterrupt, { once: true });

  const progress = options.progress;
  const warned = new Set<string>();
  const warnings: string[] = [];
  const warn = (key: string, message: string) => {
    if (warned.has(key)) return;
    warned.add(key);
    warnings.push(message);
    progress?.warn?.(message);
  };
  const judge = (live: Tally) => {
    const why = overBudget(live, budget, false);
    if (why) stop(new SluiceError('ERROR_BUDGET', why));
    return why !== null;
  };
  const doneBytes = () => [...committed.values()].reduce((n, e) => n + (e.end - e.start), 0);
  progress?.start({ partitions: total, bytes: record.partitions.reduce((n, p) => n + (p.end - p.start), 0), chain: graph.summary, runId: l.runId, resumedBytes: doneBytes(), outputs });
  for (const line of l.notes) warn(line, line);
  const report = () => {
    const live = queue.live(committed);
    progress?.update({ ...live, base, partitionsDone: committed.size, bytesDone: doneBytes() });
    return live;
  };
  // Ref'd: it keeps the process up while a queue waits on something outside it (Redis reconnecting).
  const tick = setInterval(() => judge(report()), 100);

  const run: QueueRun = {
    runId: l.runId,
    runKey: l.runKey,
    outputs,
    planFingerprint: record.planFingerprint,
    configFingerprint: record.configFingerprint,
    partitions: record.partitions,
    todo: record.partitions.filter((p) => !committed.has(p.id)),
    committer,
    entries: committed,
    halt: halt.signal,
    stop,
    committed: (entry) => void committed.set(entry.id, entry),
    overBudget: judge,
    warn,
    note: (line) => progress?.note?.(line),
  };
  try {
    await queue.drain(run);
  } catch (err) {
    stop(err instanceof SluiceError ? err : new SluiceError('RUN_FAILED', describeError(err), { cause: err }));
  } finally {
    clearInterval(tick);
    options.signal?.removeEventListener('abort', onInterrupt);
    report();
    progress?.stop();
  }
  if (stopReason) {
    await queue.stopped?.(run, stopReason).catch(() => undefined);
    if (stopReason.code === 'INTERRUPTED') throw interrupted(); // the count as it is now
    if (stopReason.code === 'RUN_FAILED' && !stopReason.message.includes('run the same command again')) {
      const kept = `${committed.size} of ${total} partitions are committed; run the same command again to resume`;
      throw new SluiceError('RUN_FAILED', `${stopReason.message} (${kept})`, { cause: stopReason.cause });
    }
    throw stopReason;
  }

  // Every partition must have its commit point in the manifest: trust storage, not messages.
  const missing = await committer.missing(record.partitions);
  if (missing.length) {
    throw new SluiceError('RUN_FAILED', `${missing.length} partition(s) reported committed have no manifest entry (first: ${missing[0]!.id}); run the same command again to redo them`);
  }

  const entries = [...committed.values()];
  const counts = sumCounts(entries);
  const ended = new Date();
  const seconds = (ended.getTime() - started.getTime()) / 1000;
  const summary = queue.summarize({
    name: graph.name,
    counts,
    partitions: { total, committed: committed.size, resumed },
    startTime: started.toISOString(),
    endTime: ended.toISOString(),
    seconds,
    recordsPerSecond: seconds > 0 ? Math.round((counts.read - base.read) / seconds) : 0,
    workers: graph.workers,
    ...(graph.workersNote ? { workersNote: graph.workersNote } : {}),
    planFingerprint: record.planFingerprint,
    configFingerprint: record.configFingerprint,
    input: l.plan.listing,
    model: (l.facts['/model'] ?? null) as Json,
    chain: graph.summary,
    outputs,
    versions: versions(),
    maxRssBytes: process.resourceUsage().maxRSS * 1024,
    // Facts and sink states travel in the manifest entries, wherever the partition ran.
    stageFacts: summarizeFacts(graph, entries),
    warnings,
  });
  const why = overBudget(counts, budget, true);
  if (why) throw new SluiceError(counts.written === 0 ? 'NOTHING_SUCCEEDED' : 'ERROR_BUDGET', why);
  const reports = await writing(outputs, () => finishSinks(graph, entries));
  if (Object.keys(reports).length) summary.reports = reports;
  await writing(outputs, () => committer.succeed(summary));
  return summary;
}

function sumCounts(entries: { counts: Counts }[]): Counts {
  return entries.reduce((c, e) => addCounts(c, e.counts), emptyCounts());
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
 * per stage by its `summarizeFacts`, else the facts of the last partition.
 */
function summarizeFacts(graph: Graph, entries: ManifestEntry[]): Record<string, Json> {
  const out: Record<string, Json> = {};
  const ordered = [...entries].sort((a, b) => a.id - b.id);
  for (const t of graph.transforms) {
    const list = ordered.flatMap((e) => (e.facts?.[t.path] ? [e.facts[t.path]!] : []));
    if (!list.length) continue;
    out[t.path] = t.call.summarizeFacts ? t.call.summarizeFacts(list) : (list[list.length - 1] as Json);
  }
  return out;
}

/**
 * Facts every stage reports about itself (a model's file hashes), keyed by config path: part of
 * the config fingerprint, so a changed model file is a changed run.
 */
export async function describeStages(graph: Graph): Promise<Record<string, Json>> {
  const out: Record<string, Json> = {};
  for (const s of [graph.source, ...graph.transforms, ...graph.sinks, graph.errors]) {
    if (!s.call.describe) continue;
    try {
      out[s.path] = await s.call.describe();
    } catch (err) {
      if (err instanceof SluiceError) throw err; // already one line naming its config path
      // A file that vanished between the checks and now: still a problem of the input (exit 2).
      throw new SluiceError('CONFIG_INVALID', `${s.path}: ${describeError(err)}`, { cause: err });
    }
  }
  return out;
}
