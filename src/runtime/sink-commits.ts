/**
 * The second half of a sink's lifecycle, run by the committer: `commit` of every sink that has
 * one, after a partition's manifest entry (retried, since it must be idempotent), and `abort` of
 * an attempt that ended but will never be committed. See `SinkDefinition.commit`.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { SluiceError, describeError } from '../core/errors.js';
import type { Json, Partition } from '../core/types.js';
import type { Graph } from '../graph/build.js';
import { partitionWhere } from './manifest.js';

/** What the committer calls around a partition's commit point. */
export interface SinkCommits {
  /** True when some sink has a `commit` hook (manifest entries then record whether it ran). */
  readonly any: boolean;
  /** Runs every sink's `commit` for a committed partition; throws RUN_FAILED once retries are spent. */
  commit(partition: Partition, states: (Json | null)[]): Promise<void>;
  /** Runs every sink's `abort` for an ended attempt that is dropped; never throws. */
  abort(partition: Partition, states: (Json | null)[]): Promise<void>;
}

/** No sink with hooks: what tests and tools without a graph use. */
export const NO_SINK_COMMITS: SinkCommits = { any: false, commit: async () => undefined, abort: async () => undefined };

/**
 * The hooks of a graph's sinks (by sink position, as in `ManifestEntry.states`).
 *
 * @example
 * const committer = new OutputCommitter(storage, outputDirs(graph), lease, sinkCommits(graph));
 */
export function sinkCommits(graph: Graph, backoffMs = (n: number) => Math.min(200 * 2 ** (n - 1), 5000)): SinkCommits {
  const attempts = graph.config.execution.maxAttempts;
  return {
    any: graph.sinks.some((s) => s.def.commit),
    async commit(partition, states) {
      for (const [i, s] of graph.sinks.entries()) {
        const commit = s.call.commit;
        if (!commit) continue;
        for (let n = 1; ; n++) {
          try {
            await commit(states[i] ?? null, partition);
            break;
          } catch (err) {
            if (n >= attempts) {
              throw new SluiceError(
                'RUN_FAILED',
                `${s.label}: partition ${partition.id} (${partitionWhere(partition)}) is committed but was not delivered after ${n} attempt${n > 1 ? 's' : ''}: ${describeError(err)}; running the same command again delivers it`,
                { cause: err },
              );
            }
            await sleep(backoffMs(n));
          }
        }
      }
    },
    async abort(partition, states) {
      await Promise.allSettled(graph.sinks.map(async (s, i) => s.call.abort?.(states[i] ?? null, partition)));
    },
  };
}
