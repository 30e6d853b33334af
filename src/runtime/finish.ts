import { SluiceError, describeError } from '../core/errors.js';
import type { SinkReport } from '../core/stage.js';
import type { Json } from '../core/types.js';
import type { Graph } from '../graph/build.js';
import type { ManifestEntry } from './commit.js';

/**
 * Calls the `finish` hook of every sink that has one, with the states of all committed
 * partitions (from their manifest entries, so partitions of an earlier, resumed run count),
 * in partition order. Returns the reports by the sink's config path (e.g. `/sink/1`).
 *
 * A partition committed without a state for such a sink (an output written by a version
 * without states) fails the run with a message naming `--overwrite`: merging without it would
 * give a wrong result silently.
 *
 * @example
 * summary.reports = await finishSinks(graph, [...committed.values()]);
 */
export async function finishSinks(graph: Graph, entries: ManifestEntry[]): Promise<Record<string, SinkReport>> {
  const ordered = [...entries].sort((a, b) => a.id - b.id);
  const reports: Record<string, SinkReport> = {};
  for (const [i, sink] of graph.sinks.entries()) {
    const finish = sink.call.finish;
    if (!finish) continue;
    const states: Json[] = [];
    for (const e of ordered) {
      const state = e.states?.[i];
      if (state === undefined || state === null) {
        throw new SluiceError('RUN_FAILED', `${sink.path}: partition ${e.id} (${e.source}) was committed without its ${sink.def.type} state; rerun with --overwrite`);
      }
      states.push(state);
    }
    try {
      reports[sink.path] = await finish(states);
    } catch (err) {
      throw new SluiceError('RUN_FAILED', `${sink.path}: ${sink.def.type} could not finish: ${describeError(err)}`, { cause: err });
    }
  }
  return reports;
}
