/**
 * `sluice worker`: joins the queue on Redis and runs partitions with its own worker threads (the
 * same piscina pool and runPartition as a local run), committing each one it finishes. Workers
 * may join or leave at any time: BullMQ hands each job to one worker under a lock the worker
 * renews while the partition runs; a worker that dies stops renewing, and another worker's
 * stalled-job check puts the job back in the queue.
 */
import os from 'node:os';
import { Worker, type Job } from 'bullmq';
import { SluiceError, describeError } from '../core/errors.js';
import { LiveCounters } from '../runtime/counts.js';
import { startPool, type PartitionPool } from '../runtime/pool.js';
import { layoutFor } from '../model/threads.js';
import { storageFor, type Storage } from '../storage/index.js';
import { buildGraph } from '../graph/build.js';
import { loadRegistry } from '../graph/plugins.js';
import { sinkCommits } from '../runtime/sink-commits.js';
import { attemptPartition, type AttemptPolicy } from '../runtime/attempts.js';
import type { Graph } from '../graph/build.js';
import { builtinCatalog } from '../../stages/catalog.js';
import { partitionWhere, type PartitionJob, type PartitionOutcome } from './jobs.js';
import { QUEUE_NAME, RedisWatch, bullConnection, printableUrl, within } from './redis.js';
import { commitAttempt } from './worker-commit.js';

export interface WorkerProcessOptions {
  /** The Redis URL. */
  coordinator: string;
  /** Worker threads (partitions run at once). */
  threads: number;
  /** BullMQ lock on a job, renewed every half of it while the partition runs (ms). */
  lockDuration: number;
  /** How often this worker looks for jobs whose lock expired (ms). */
  stalledInterval: number;
  /** A job redelivered more often than this fails (a partition that kills every worker). */
  maxStalledCount: number;
  /** Leave after this long without a job (ms); undefined: stay until stopped. */
  idleExit?: number;
  /** Give up (exit 1) when Redis has been unreachable this long (ms). */
  redisTimeout: number;
  /** Aborted on SIGINT/SIGTERM: finish the partitions in hand, then leave. */
  signal: AbortSignal;
  log: (line: string) => void;
}

/** This process's name in the queue (BullMQ stores it on the jobs it takes) and in summaries. */
export function workerName(): string {
  return `${os.hostname()}-${process.pid}`;
}

/**
 * Runs until stopped (the signal: active partitions finish and commit first), idle for
 * `idleExit`, or Redis is unreachable for `redisTimeout` (rejects with a one-line reason).
 */
export async function runWorkerProcess(o: WorkerProcessOptions): Promise<void> {
  const watch = await RedisWatch.connect(o.coordinator, o.redisTimeout);
  const name = workerName();
  // Temporary file names carry the worker, so two workers on one partition never share a file.
  const tag = name.replace(/[^A-Za-z0-9.-]/g, '_');
  // One pool per thread count and kind: tensorflow runs' pools hold the process's model host
  // (one TensorFlow runtime per process, docs/native.md), wasm/cpu ones load a model per thread.
  const pools = new Map<string, PartitionPool>();
  let active = 0;
  let lastActivity = Date.now();

  // Each run's graph, for its sinks' commit hooks and its stage paths (built once per run key:
  // a graph costs no I/O).
  const graphs = new Map<string, Promise<Graph>>();
  const graphFor = (job: PartitionJob, storage: Storage): Promise<Graph> => {
    let g = graphs.get(job.runKey);
    if (!g) {
      g = loadRegistry(job.loaded, builtinCatalog).then((registry) => buildGraph(job.loaded, registry, storage));
      g.catch(() => graphs.delete(job.runKey));
      graphs.set(job.runKey, g);
    }
    return g;
  };

  const processor = async (job: Job<PartitionJob, PartitionOutcome>): Promise<PartitionOutcome> => {
    const data = job.data;
    const p = data.partition;
    const label = `partition ${p.id} of ${p.of} of "${data.loaded.config.name}" (${partitionWhere(p)})`;
    active++;
    lastActivity = Date.now();
    const t0 = performance.now();
    o.log(`sluice: worker: ${label}: started${job.attemptsStarted > 1 ? ` (attempt ${job.attemptsStarted})` : ''}`);
    // The first job's config starts the threads loading its model; a later run's config is
    // loaded by each thread on its first task of that run (runtime/worker.ts caches by config).
    const layout = layoutFor(data.loaded.config as unknown as Record<string, unknown>, o.threads);
    const poolKey = `${layout.workers}${layout.host ? ' + model host' : ''}`;
    let pool = pools.get(poolKey);
    if (!pool) {
      if (layout.note) o.log(`sluice: worker: "${data.loaded.config.name}": ${layout.note}`);
      pools.set(poolKey, (pool = startPool(data.loaded, layout.workers)));
    }
    const counters = new LiveCounters();
    // Live counts for the coordinator's progress and error budget.
    const beat = setInterval(() => void job.updateProgress(counters.snapshot()).catch(() => undefined), 1000);
    try {
      // Storage as the job's config sets it up (its `storage` section: endpoints, regions).
      const storage = storageFor(data.loaded.config);
      const graph = await graphFor(data, storage);
      // The same watchdog as a local run's (call and partition timeouts, a hung call narrowed to
      // its record), with one attempt: a failed job is retried by the queue, maybe elsewhere.
      const policy: AttemptPolicy = {
        maxAttempts: 1,
        partitionTimeoutMs: graph.config.execution.partitionTimeoutMs,
        stagePaths: graph.transforms.map((t) => t.path),
        onRetry: (line) => o.log(`sluice: worker: ${label}: ${line}`),
      };
      // The job's attempt is in the run id: temporary names stay unique across the queue's
      // redeliveries and this worker's own retries of a hung call.
      const task = { loaded: data.loaded, runId: `${data.runKey}-${tag}-j${job.attemptsStarted}`, counters: counters.buffer };
      const result = await attemptPartition(pool, p, task, policy, new AbortController().signal);
      if (!result) throw new Error('abandoned'); // never: its signal is never aborted
      const outcome = await commitAttempt(storage, data, result, sinkCommits(graph));
      const seconds = (performance.now() - t0) / 1000;
      if ('superseded' in outcome) {
        o.log(`sluice: worker: ${label}: not committed: ${outcome.superseded}`);
        return { ...outcome, worker: name };
      }
      o.log(
        `sluice: worker: ${label}: ${outcome.duplicate ? 'already committed by another worker; this attempt was discarded' : `committed ${outcome.entry.counts.read} records`} in ${seconds.toFixed(1)} s`,
      );
      return { ...outcome, worker: name, seconds };
    } catch (err) {
      o.log(`sluice: worker: ${label}: failed: ${describeError(err)}`);
      throw err;
    } finally {
      clearInterval(beat);
      active--;
      lastActivity = Date.now();
    }
  };

  const worker = new Worker<PartitionJob, PartitionOutcome>(QUEUE_NAME, processor, {
    connection: bullConnection(o.coordinator),
    name,
    concurrency: o.threads,
    lockDuration: o.lockDuration,
    stalledInterval: o.stalledInterval,
    maxStalledCount: o.maxStalledCount,
    // An idle worker waits for a job up to this long (s) between polls; BullMQ wakes one
    // waiting worker per job added, so a short wait lets idle workers join a burst sooner.
    drainDelay: 1,
    autorun: false,
  });
  // Connection errors are reported by the watch below, once, instead of on every retry.
  worker.on('error', () => undefined);

  let lost: SluiceError | undefined;
  let wake!: () => void;
  const leave = new Promise<void>((resolve) => (wake = resolve));
  watch.watch(
    o.redisTimeout,
    (why) => {
      lost = new SluiceError('RUN_FAILED', `sluice: worker: ${why}; partitions in hand are abandoned and will be redelivered`);
      wake();
    },
    () => o.log(`sluice: worker: Redis at ${printableUrl(o.coordinator)} is not answering; retrying for up to ${o.redisTimeout / 1000} s`),
  );
  const onStop = () => wake();
  if (o.signal.aborted) wake();
  o.signal.addEventListener('abort', onStop, { once: true });
  const idle = o.idleExit === undefined ? undefined : setInterval(() => active === 0 && Date.now() - lastActivity > o.idleExit! && wake(), 250);

  void worker.run().catch((err) => {
    lost ??= new SluiceError('RUN_FAILED', `sluice: worker: ${describeError(err)}`, { cause: err });
    wake();
  });
  await worker.waitUntilReady();
  o.log(
    `sluice: worker: ${name} joined ${printableUrl(o.coordinator)} (queue ${QUEUE_NAME}) with ${o.threads} thread${o.threads === 1 ? '' : 's'}; ` +
      `lock ${o.lockDuration / 1000} s, stalled check every ${o.stalledInterval / 1000} s`,
  );

  await leave;
  if (idle) clearInterval(idle);
  o.signal.removeEventListener('abort', onStop);
  if (!lost) o.log(`sluice: worker: leaving${active ? ` after the ${active} partition${active === 1 ? '' : 's'} in hand` : ''}`);
  // Graceful: wait for the partitions in hand to commit. Redis lost: their jobs are not ours any
  // more (the lock cannot be renewed), so stop at once; another worker redoes them.
  await (lost ? within(worker.close(true), 1000) : worker.close());
  watch.close();
  await Promise.all([...pools.values()].map((p) => p.destroy()));
  if (lost) throw lost;
}
