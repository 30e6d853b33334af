/**
 * `sluice run` with `execution.coordinator` (or `--coordinator`): the coordinator plans the
 * partitions and prepares the output exactly as a local run does (same plan, fingerprints,
 * manifest, so either kind of run resumes the other's output), then, instead of a thread pool,
 * enqueues one BullMQ job per uncommitted partition and waits while `sluice worker` processes
 * run and commit them. It writes `_SUCCESS` once every partition is in the manifest.
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Queue, QueueEvents } from 'bullmq';
import { SluiceError, describeError } from '../core/errors.js';
import type { Json } from '../core/types.js';
import type { LoadedConfig } from '../config/load.js';
import { outputDirs, type Graph } from '../graph/build.js';
import { overBudget } from '../runtime/budget.js';
import { OutputCommitter, manifestEntryUri, type ManifestEntry } from '../runtime/commit.js';
import { OutputLease } from '../runtime/lease.js';
import { sinkCommits } from '../runtime/sink-commits.js';
import { addCounts, emptyCounts } from '../runtime/counts.js';
import { configFingerprint, planPartitions } from '../runtime/plan.js';
import type { ProgressReporter } from '../runtime/progress.js';
import { describeStages, summarizeFacts, type RunSummary } from '../runtime/run.js';
import { finishSinks } from '../runtime/finish.js';
import { versions } from '../runtime/versions.js';
import type { Storage } from '../storage/index.js';
import { jobIdOf, partitionWhere, runKeyOf, type PartitionJob, type PartitionOutcome } from './jobs.js';
import { QUEUE_NAME, RedisWatch, bullConnection, printableUrl, within } from './redis.js';

export interface DistributedRunOptions {
  overwrite?: boolean;
  /** Aborted on SIGINT/SIGTERM: take the waiting partitions off the queue and stop. */
  signal?: AbortSignal;
  progress?: ProgressReporter;
  log?: (line: string) => void;
  /** Seconds between checks of every outstanding job's state (events are the fast path). */
  reconcileSeconds?: number;
}

/** The run summary of a distributed run: a local run's, plus where it ran. */
export interface DistributedSummary extends RunSummary {
  coordinator: { url: string; queue: string; workers: string[] };
}

type Counts3 = { read: number; written: number; failed: number };

/** Runs a checked graph through the queue at `graph.config.execution.coordinator`. */
export async function runDistributed(loaded: LoadedConfig, graph: Graph, storage: Storage, options: DistributedRunOptions = {}): Promise<DistributedSummary> {
  const started = new Date();
  const url = graph.config.execution.coordinator!;
  const log = options.log ?? (() => undefined);
  const timeoutMs = graph.config.execution.redisTimeout * 1000;
  // Reach Redis before touching the output: an unreachable coordinator changes nothing.
  const watch = await RedisWatch.connect(url, timeoutMs);
  const queue = new Queue<PartitionJob, PartitionOutcome>(QUEUE_NAME, { connection: bullConnection(url) });
  const events = new QueueEvents(QUEUE_NAME, { connection: bullConnection(url) });
  queue.on('error', () => undefined); // the watch reports an outage once, with its reason
  events.on('error', () => undefined);
  try {
    return await coordinate(loaded, graph, storage, options, { started, url, log, timeoutMs, watch, queue, events });
  } finally {
    watch.close();
    // Closing waits for Redis; when it is gone, do not wait for it.
    await within(Promise.allSettled([events.close(), queue.close()]), 2000);
    await within(Promise.allSettled([events.disconnect(), queue.disconnect()]), 1000);
  }
}

interface Wiring {
  started: Date;
  url: string;
  log: (line: string) => void;
  timeoutMs: number;
  watch: RedisWatch;
  queue: Queue<PartitionJob, PartitionOutcome>;
  events: QueueEvents;
}

async function coordinate(loaded: LoadedConfig, graph: Graph, storage: Storage, options: DistributedRunOptions, w: Wiring): Promise<DistributedSummary> {
  const log = w.log;
  const plan = await planPartitions(graph);
  const facts = await describeStages(graph);
  const outputs = outputDirs(graph);
  const fresh = { planFingerprint: plan.fingerprint, configFingerprint: configFingerprint(graph, facts), partitions: plan.partitions, createdAt: w.started.toISOString() };
  // The key follows from the output and fingerprints: a restarted coordinator has the same one.
  const runKey = runKeyOf(outputs[0]!, fresh.planFingerprint, fresh.configFingerprint);
  // Workers commit under this lease (their job's run key must match it); nothing is written before it is ours.
  const lease = await OutputLease.acquire(storage, outputs[0]!, {
    runId: `${w.started.getTime().toString(36)}-${randomBytes(3).toString('hex')}`,
    runKey,
    startTime: w.started,
    onTakeover: log,
  });
  try {
    return await coordinateUnderLease(loaded, graph, storage, options, w, { plan, facts, outputs, fresh, runKey, lease });
  } finally {
    await lease.release().catch(() => undefined);
  }
}

interface Leased {
  plan: Awaited<ReturnType<typeof planPartitions>>;
  facts: Record<string, Json>;
  outputs: string[];
  fresh: Parameters<OutputCommitter['prepare']>[0];
  runKey: string;
  lease: OutputLease;
}

async function coordinateUnderLease(loaded: LoadedConfig, graph: Graph, storage: Storage, options: DistributedRunOptions, w: Wiring, l: Leased): Promise<DistributedSummary> {
  const { queue, events, log } = w;
  const { plan, facts, outputs, fresh, runKey } = l;
  const committer = new OutputCommitter(storage, outputs, l.lease, sinkCommits(graph));
  const { record, committed } = await committer.prepare(fresh, options.overwrite ?? false, { keepTemporaries: true });
  await committer.publishPending(record.partitions, committed);
  const resumed = committed.size;
  const total = record.partitions.length;
  const budget = { maxErrors: graph.config.execution.maxErrors, maxErrorRate: graph.config.execution.maxErrorRate };
  const base = sum([...committed.values()].map((e) => e.counts));

  /** Jobs of this run not yet committed, by job id; live counts of those being worked on. */
  const outstanding = new Map(record.partitions.filter((p) => !committed.has(p.id)).map((p) => [jobIdOf(runKey, p.id), p] as const));
  const inFlight = new Map<string, Counts3>();
  const workers = new Set<string>();

  let stopReason: SluiceError | undefined;
  let redisLost = false;
  let wake!: () => void;
  const finished = new Promise<void>((resolve) => (wake = resolve));
  const stop = (reason: SluiceError) => {
    stopReason ??= reason;
    wake();
  };
  const settle = (jobId: string, entry: ManifestEntry, worker?: string) => {
    if (!outstanding.delete(jobId)) return;
    inFlight.delete(jobId);
    committed.set(entry.id, entry);
    if (worker) workers.add(worker);
    if (outstanding.size === 0) wake();
  };
  const failed = (jobId: string, why: string) => {
    const p = outstanding.get(jobId);
    if (p) stop(new SluiceError('RUN_FAILED', `partition ${p.id} (${partitionWhere(p)}) failed on the workers: ${why}`));
  };
  const completed = (jobId: string, value: unknown) => {
    const outcome = (typeof value === 'string' ? JSON.parse(value) : value) as PartitionOutcome | null;
    if (!outcome || !outstanding.has(jobId)) return;
    if ('superseded' in outcome) return failed(jobId, `the worker did not commit it: ${outcome.superseded}`);
    settle(jobId, outcome.entry, outcome.worker);
  };

  // Listening before enqueueing, so that no completion falls between the two.
  events.on('completed', ({ jobId, returnvalue }) => completed(jobId, returnvalue));
  events.on('failed', ({ jobId, failedReason }) => failed(jobId, failedReason));
  events.on('progress', ({ jobId, data }) => {
    if (outstanding.has(jobId) && data && typeof data === 'object') inFlight.set(jobId, data as Counts3);
  });
  await events.waitUntilReady();

  w.watch.watch(w.timeoutMs, (why) => {
    redisLost = true;
    stop(new SluiceError('RUN_FAILED', `${why}; the ${committed.size} committed partitions are kept; run the same command again to resume`));
  });
  const interrupted = () =>
    new SluiceError(
      'INTERRUPTED',
      `interrupted: ${committed.size} of ${total} partitions are committed (workers finish and commit those in hand); run the same command again to resume`,
    );
  const onInterrupt = () => stop(interrupted());
  if (options.signal?.aborted) onInterrupt();
  options.signal?.addEventListener('abort', onInterrupt, { once: true });

  const progress = options.progress;
  const liveCounts = () => sum([...[...committed.values()].map((e) => e.counts), ...inFlight.values()]);
  const doneBytes = () => [...committed.values()].reduce((n, e) => n + (e.end - e.start), 0);
  progress?.start({ partitions: total, bytes: record.partitions.reduce((n, p) => n + (p.end - p.start), 0), chain: graph.summary });
  const tick = setInterval(() => {
    const live = liveCounts();
    const why = overBudget(live, budget, false);
    if (why) stop(new SluiceError('ERROR_BUDGET', why));
    progress?.update({ ...live, base, partitionsDone: committed.size, bytesDone: doneBytes() });
  }, 200); // ref'd: it keeps the process up while Redis reconnects

  const job = (p: (typeof record.partitions)[number]): PartitionJob => ({
    loaded,
    partition: p,
    runKey,
    outputs,
    planFingerprint: record.planFingerprint,
    configFingerprint: record.configFingerprint,
  });
  const attempts = graph.config.execution.maxAttempts;
  const enqueue = async (jobId: string): Promise<void> => {
    // Settled meanwhile (an event, or the other of dispatch and reconcile, got there first): done.
    const p = outstanding.get(jobId);
    if (!p) return;
    const state = await queue.getJobState(jobId);
    if (!outstanding.has(jobId)) return;
    if (state === 'completed' && (await storage.exists(manifestEntryUri(outputs[0]!, p.id)))) {
      const done = await queue.getJob(jobId);
      return completed(jobId, done?.returnvalue);
    }
    if (state === 'completed' || state === 'failed') {
      // Failed for good in an earlier run, or completed for an output that was since removed:
      // this run tries it afresh.
      await queue.remove(jobId);
    } else if (state !== 'unknown') {
      return; // waiting, delayed or being worked on: already ours (a restarted coordinator)
    }
    // A deterministic id makes this idempotent: adding a job id that exists is a no-op.
    await queue.add('partition', job(p), {
      jobId,
      attempts,
      backoff: { type: 'exponential', delay: 500 },
      removeOnComplete: { age: 7 * 24 * 3600 },
      removeOnFail: { age: 7 * 24 * 3600 },
    });
  };
  /** The safety net under events: asks for each outstanding job's state (lost events, a Redis restarted empty). */
  const reconcile = async (): Promise<void> => {
    for (const jobId of [...outstanding.keys()]) {
      if (stopReason) return;
      const state = await queue.getJobState(jobId);
      if (state === 'completed') completed(jobId, (await queue.getJob(jobId))?.returnvalue);
      else if (state === 'failed') failed(jobId, (await queue.getJob(jobId))?.failedReason ?? 'failed');
      else if (state === 'unknown') await enqueue(jobId);
    }
  };

  const dispatch = (async () => {
    for (const jobId of [...outstanding.keys()]) {
      if (stopReason) return;
      await enqueue(jobId);
    }
    if (!stopReason && total > resumed) {
      log(`sluice: ${outstanding.size} partition${outstanding.size === 1 ? '' : 's'} queued on ${printableUrl(w.url)} (queue ${QUEUE_NAME}, run ${runKey}); waiting for \`sluice worker\` processes`);
    }
    let lastHint = Date.now();
    while (!stopReason && outstanding.size > 0) {
      await Promise.race([finished, sleep((options.reconcileSeconds ?? 5) * 1000, undefined, { ref: false })]);
      if (stopReason || outstanding.size === 0) return;
      await reconcile();
      // Say so when nobody is working, once a minute: the usual cause is no worker started.
      if (inFlight.size === 0 && Date.now() - lastHint > 60_000 && (await queue.getWorkersCount()) === 0) {
        lastHint = Date.now();
        log(`sluice: no worker is connected to ${printableUrl(w.url)}; start some with: sluice worker --coordinator ${printableUrl(w.url)}`);
      }
    }
  })().catch((err) => stop(new SluiceError('RUN_FAILED', `the queue on ${printableUrl(w.url)} failed: ${describeError(err)}`, { cause: err })));

  if (outstanding.size === 0) wake();
  try {
    await finished;
  } finally {
    clearInterval(tick);
    options.signal?.removeEventListener('abort', onInterrupt);
    progress?.stop();
  }

  if (stopReason) {
    // Stop handing out partitions: waiting jobs leave the queue (an active one is locked and
    // cannot be removed; its worker commits it, which a rerun then finds). Skipped when Redis
    // itself is gone. Temporaries stay: workers may still be writing them.
    if (!redisLost) {
      await within(Promise.allSettled([...outstanding.keys()].map((id) => queue.remove(id))), 5000);
    }
    throw stopReason.code === 'INTERRUPTED' ? interrupted() : stopReason; // the count as it is now
  }
  await dispatch;

  // Every partition must have its commit point in the manifest: trust storage, not messages.
  const missing = await committer.missing(record.partitions);
  if (missing.length) {
    throw new SluiceError('RUN_FAILED', `the workers reported ${missing.length} partition(s) committed that have no manifest entry (first: ${missing[0]!.id}); run the same command again to redo them`);
  }

  const counts = [...committed.values()].reduce((c, e) => addCounts(c, e.counts), emptyCounts());
  const ended = new Date();
  const seconds = (ended.getTime() - w.started.getTime()) / 1000;
  const summary: DistributedSummary = {
    name: graph.name,
    counts,
    partitions: { total, committed: committed.size, resumed },
    startTime: w.started.toISOString(),
    endTime: ended.toISOString(),
    seconds,
    recordsPerSecond: seconds > 0 ? Math.round((counts.read - base.read) / seconds) : 0,
    workers: workers.size,
    planFingerprint: record.planFingerprint,
    configFingerprint: record.configFingerprint,
    input: plan.listing,
    model: (facts['/model'] ?? null) as Json,
    chain: graph.summary,
    outputs,
    versions: versions(),
    maxRssBytes: process.resourceUsage().maxRSS * 1024,
    // Facts and sink states travel in the manifest entries the workers committed; warnings are
    // printed by each worker process itself.
    stageFacts: summarizeFacts(graph, [...committed.values()]),
    warnings: [],
    coordinator: { url: printableUrl(w.url), queue: QUEUE_NAME, workers: [...workers].sort() },
  };
  const why = overBudget(counts, budget, true);
  if (why) throw new SluiceError(counts.written === 0 ? 'NOTHING_SUCCEEDED' : 'ERROR_BUDGET', why);
  const reports = await finishSinks(graph, [...committed.values()]);
  if (Object.keys(reports).length) summary.reports = reports;
  await committer.succeed(summary);
  return summary;
}

function sum(list: Counts3[]): Counts3 {
  return list.reduce<Counts3>((a, c) => ({ read: a.read + c.read, written: a.written + c.written, failed: a.failed + c.failed }), { read: 0, written: 0, failed: 0 });
}
