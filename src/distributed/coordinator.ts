/**
 * `sluice run` with `execution.coordinator` (or `--coordinator`): the same run loop as a local
 * run (`runtime/execute.ts`: same plan, fingerprints, lease, manifest, so either kind of run
 * resumes the other's output), with a BullMQ queue in place of the thread pool: one job per
 * uncommitted partition, run and committed by `sluice worker` processes.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Queue, QueueEvents } from 'bullmq';
import { SluiceError, describeError } from '../core/errors.js';
import type { Partition } from '../core/types.js';
import type { LoadedConfig } from '../config/load.js';
import type { Graph } from '../graph/build.js';
import { manifestEntryUri, type ManifestEntry } from '../runtime/commit.js';
import { execute, type ExecuteOptions, type PartitionQueue, type QueueRun, type RunSummary, type Tally } from '../runtime/execute.js';
import type { Storage } from '../storage/index.js';
import { jobIdOf, partitionWhere, type PartitionJob, type PartitionOutcome } from './jobs.js';
import { QUEUE_NAME, RedisWatch, bullConnection, printableUrl, within } from './redis.js';

export interface DistributedRunOptions extends ExecuteOptions {
  log?: (line: string) => void;
  /** Seconds between checks of every outstanding job's state (events are the fast path). */
  reconcileSeconds?: number;
}

/** The run summary of a distributed run: a local run's, plus where it ran. */
export interface DistributedSummary extends RunSummary {
  coordinator: { url: string; queue: string; workers: string[] };
}

/** Runs a checked graph through the queue at `graph.config.execution.coordinator`. */
export async function runDistributed(loaded: LoadedConfig, graph: Graph, storage: Storage, options: DistributedRunOptions = {}): Promise<DistributedSummary> {
  const url = graph.config.execution.coordinator!;
  const timeoutMs = graph.config.execution.redisTimeout * 1000;
  // Reach Redis before touching the output: an unreachable coordinator changes nothing.
  const watch = await RedisWatch.connect(url, timeoutMs);
  const queue = new Queue<PartitionJob, PartitionOutcome>(QUEUE_NAME, { connection: bullConnection(url) });
  const events = new QueueEvents(QUEUE_NAME, { connection: bullConnection(url) });
  queue.on('error', () => undefined); // the watch reports an outage once, with its reason
  events.on('error', () => undefined);
  try {
    const jobs = new BullQueue(loaded, graph, storage, { url, timeoutMs, watch, queue, events }, options);
    return await execute(graph, storage, jobs, options);
  } finally {
    watch.close();
    // Closing waits for Redis; when it is gone, do not wait for it.
    await within(Promise.allSettled([events.close(), queue.close()]), 2000);
    await within(Promise.allSettled([events.disconnect(), queue.disconnect()]), 1000);
  }
}

interface Wiring {
  url: string;
  timeoutMs: number;
  watch: RedisWatch;
  queue: Queue<PartitionJob, PartitionOutcome>;
  events: QueueEvents;
}

/** The BullMQ queue: jobs with deterministic ids, settled by events, with a periodic reconcile under them. */
class BullQueue implements PartitionQueue<DistributedSummary> {
  /** Workers may still be writing attempts there: prepare and stop leave `_temporary/` alone. */
  readonly sharedTemporaries = true;
  readonly interruptNote = ' (workers finish and commit those in hand)';
  /** Jobs of this run not yet committed, by job id; live counts of those being worked on. */
  private outstanding = new Map<string, Partition>();
  private readonly inFlight = new Map<string, Tally>();
  private readonly workers = new Set<string>();
  private redisLost = false;

  constructor(
    private readonly loaded: LoadedConfig,
    private readonly graph: Graph,
    private readonly storage: Storage,
    private readonly w: Wiring,
    private readonly options: DistributedRunOptions,
  ) {}

  live(entries: Map<number, ManifestEntry>): Tally {
    return [...[...entries.values()].map((e) => e.counts), ...this.inFlight.values()].reduce<Tally>(
      (a, c) => ({ read: a.read + c.read, written: a.written + c.written, failed: a.failed + c.failed }),
      { read: 0, written: 0, failed: 0 },
    );
  }

  async drain(run: QueueRun): Promise<void> {
    const { queue, events } = this.w;
    const log = this.options.log ?? (() => undefined);
    const outstanding = (this.outstanding = new Map(run.todo.map((p) => [jobIdOf(run.runKey, p.id), p] as const)));
    const inFlight = this.inFlight;
    if (outstanding.size === 0) return;
    let wake!: () => void;
    const finished = new Promise<void>((resolve) => (wake = resolve));
    run.halt.addEventListener('abort', () => wake(), { once: true });

    const settle = (jobId: string, entry: ManifestEntry, worker?: string) => {
      if (!outstanding.delete(jobId)) return;
      inFlight.delete(jobId);
      run.committed(entry);
      if (worker) this.workers.add(worker);
      if (outstanding.size === 0) wake();
    };
    const failed = (jobId: string, why: string) => {
      const p = outstanding.get(jobId);
      if (p) run.stop(new SluiceError('RUN_FAILED', `partition ${p.id} (${partitionWhere(p)}) failed on the workers: ${why}`));
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
      if (outstanding.has(jobId) && data && typeof data === 'object') inFlight.set(jobId, data as Tally);
    });
    await events.waitUntilReady();

    this.w.watch.watch(this.w.timeoutMs, (why) => {
      this.redisLost = true;
      run.stop(new SluiceError('RUN_FAILED', `${why}; the ${run.entries.size} committed partitions are kept; run the same command again to resume`));
    });

    const job = (p: Partition): PartitionJob => ({
      loaded: this.loaded,
      partition: p,
      runKey: run.runKey,
      outputs: run.outputs,
      planFingerprint: run.planFingerprint,
      configFingerprint: run.configFingerprint,
    });
    const attempts = this.graph.config.execution.maxAttempts;
    const enqueue = async (jobId: string): Promise<void> => {
      // Settled meanwhile (an event, or the other of dispatch and reconcile, got there first): done.
      const p = outstanding.get(jobId);
      if (!p) return;
      const state = await queue.getJobState(jobId);
      if (!outstanding.has(jobId)) return;
      if (state === 'completed' && (await this.storage.exists(manifestEntryUri(run.outputs[0]!, p.id)))) {
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
        if (run.halt.aborted) return;
        const state = await queue.getJobState(jobId);
        if (state === 'completed') completed(jobId, (await queue.getJob(jobId))?.returnvalue);
        else if (state === 'failed') failed(jobId, (await queue.getJob(jobId))?.failedReason ?? 'failed');
        else if (state === 'unknown') await enqueue(jobId);
      }
    };

    const url = printableUrl(this.w.url);
    const dispatch = (async () => {
      for (const jobId of [...outstanding.keys()]) {
        if (run.halt.aborted) return;
        await enqueue(jobId);
      }
      if (!run.halt.aborted) {
        log(`sluice: ${outstanding.size} partition${outstanding.size === 1 ? '' : 's'} queued on ${url} (queue ${QUEUE_NAME}, run ${run.runKey}); waiting for \`sluice worker\` processes`);
      }
      let lastHint = Date.now();
      while (!run.halt.aborted && outstanding.size > 0) {
        await Promise.race([finished, sleep((this.options.reconcileSeconds ?? 5) * 1000, undefined, { ref: false })]);
        if (run.halt.aborted || outstanding.size === 0) return;
        await reconcile();
        // Say so when nobody is working, once a minute: the usual cause is no worker started.
        if (inFlight.size === 0 && Date.now() - lastHint > 60_000 && (await queue.getWorkersCount()) === 0) {
          lastHint = Date.now();
          log(`sluice: no worker is connected to ${url}; start some with: sluice worker --coordinator ${url}`);
        }
      }
    })().catch((err) => run.stop(new SluiceError('RUN_FAILED', `the queue on ${url} failed: ${describeError(err)}`, { cause: err })));

    await finished;
    if (!run.halt.aborted) await dispatch;
  }

  /**
   * Stop handing out partitions: waiting jobs leave the queue (an active one is locked and cannot
   * be removed; its worker commits it, which a rerun then finds). Skipped when Redis itself is
   * gone. Temporaries stay: workers may still be writing them.
   */
  async stopped(): Promise<void> {
    if (this.redisLost) return;
    await within(Promise.allSettled([...this.outstanding.keys()].map((id) => this.w.queue.remove(id))), 5000);
  }

  summarize(summary: RunSummary): DistributedSummary {
    // Warnings are printed by each worker process itself; `execution.workers` (and its note) is not used here.
    const { workersNote: _local, ...rest } = summary;
    return { ...rest, workers: this.workers.size, coordinator: { url: printableUrl(this.w.url), queue: QUEUE_NAME, workers: [...this.workers].sort() } };
  }
}
