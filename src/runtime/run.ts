/**
 * A local run: the run loop (`execute.ts`) with its partitions on worker threads of this process.
 */
import { SluiceError, describeError } from '../core/errors.js';
import type { Json, Partition } from '../core/types.js';
import { applySet, type LoadedConfig } from '../config/load.js';
import type { Graph } from '../graph/build.js';
import type { Storage } from '../storage/index.js';
import { partitionWhere as where } from './commit.js';
import { LiveCounters } from './counts.js';
import type { PartitionResult } from './partition.js';
import { attemptPartition, type AttemptPolicy } from './attempts.js';
import { execute, type ExecuteOptions, type PartitionQueue, type QueueRun, type RunSummary, type Tally } from './execute.js';
import { startPool, type PartitionPool } from './pool.js';

export interface RunOptions extends ExecuteOptions {
  /** Worker threads started early (see `startPool`); `run` destroys them when it ends. */
  pool?: PartitionPool;
}

export type { RunSummary };
export type { ManifestEntry } from './commit.js';

/** Runs a checked graph on worker threads of this process (see `execute` for the sequence). */
export function run(loaded: LoadedConfig, graph: Graph, storage: Storage, options: RunOptions = {}): Promise<RunSummary> {
  return execute(graph, storage, new ThreadQueue(loaded, graph, options.pool), options);
}

/** `loaded` with `overrides` applied (a copy), or undefined when nothing changes. */
function withOverrides(loaded: LoadedConfig, overrides: Record<string, Json>): LoadedConfig | undefined {
  const config = structuredClone(loaded.config);
  for (const [path, value] of Object.entries(overrides)) applySet(config, `${path}=${JSON.stringify(value)}`);
  return JSON.stringify(config) === JSON.stringify(loaded.config) ? undefined : { ...loaded, config };
}

/** The in-process queue: `graph.workers` loops taking partitions in turn, each attempt on a worker thread. */
class ThreadQueue implements PartitionQueue {
  readonly sharedTemporaries = false;
  private readonly counters = new LiveCounters();

  constructor(
    /** The config tasks carry: a worker's reset request (see core/worker-reset.ts) changes it for every later task. */
    private current: LoadedConfig,
    private readonly graph: Graph,
    private pool: PartitionPool | undefined,
  ) {}

  live(): Tally & { bytesRead: number } {
    return this.counters.snapshot();
  }

  async drain(run: QueueRun): Promise<void> {
    const { graph } = this;
    for (const e of run.entries.values()) this.counters.add(e.counts.read, e.counts.written, e.counts.failed);
    const lanes = Math.min(graph.workers, run.todo.length);
    const pool = (this.pool ??= lanes ? startPool(this.current, lanes) : undefined);
    const queue = [...run.todo];
    const policy: AttemptPolicy = {
      maxAttempts: graph.config.execution.maxAttempts,
      partitionTimeoutMs: graph.config.execution.partitionTimeoutMs,
      stagePaths: graph.transforms.map((t) => t.path),
      onRetry: run.note,
      reconfigure: (partition, request) => {
        const next = withOverrides(this.current, request.overrides);
        if (!next) return undefined;
        this.current = next;
        const sets = Object.entries(request.overrides).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(', ');
        run.warn(`reset ${sets}`, `partition ${partition.id} (${where(partition)}): ${request.message}; retrying on a fresh worker with ${sets}`);
        return next;
      },
    };
    const attempt = async (partition: Partition): Promise<PartitionResult | undefined> => {
      try {
        return await attemptPartition(pool!, partition, { loaded: this.current, runId: run.runId, counters: this.counters.buffer }, policy, run.halt);
      } catch (err) {
        run.stop(err instanceof SluiceError ? err : new SluiceError('RUN_FAILED', `partition ${partition.id} (${where(partition)}): ${describeError(err)}`, { cause: err }));
        return undefined;
      }
    };
    const lane = async (): Promise<void> => {
      while (!run.halt.aborted) {
        const partition = queue.shift();
        if (!partition) return;
        const result = await attempt(partition);
        if (!result) return;
        for (const [key, message] of Object.entries(result.warnings ?? {})) run.warn(key, message);
        if (run.overBudget(this.counters.snapshot())) return void (await run.committer.discard(partition, result));
        try {
          run.committed(await run.committer.commit(partition, result));
        } catch (err) {
          if (err instanceof SluiceError) return void run.stop(err); // the lease is lost: one line saying to whom
          return void run.stop(new SluiceError('RUN_FAILED', `cannot commit partition ${partition.id} (${where(partition)}): ${describeError(err)}`, { cause: err }));
        }
      }
    };
    try {
      await Promise.all(Array.from({ length: lanes }, lane));
    } finally {
      await pool?.destroy();
    }
  }

  /** The pool is gone, so no attempt is still writing: what it left is only litter now. */
  async stopped(run: QueueRun): Promise<void> {
    await run.committer.removeTemporaries();
  }

  summarize(summary: RunSummary): RunSummary {
    return summary;
  }
}
