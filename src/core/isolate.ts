/**
 * The one mechanism that keeps a record's failure to that record in every stage that maps records
 * one to one (decode, key, post; built-in or custom). Built-in stages already turn a throw for
 * one record into a Failure (`mapRecords`), but a custom stage may map whole chunks, run async
 * work, or let its stream error: without this, one bad record would fail its whole partition
 * (and, after the retries, the run). The model stage batches across chunks and isolates itself
 * by bisection (`predictIsolating` in stages/model/tfjs).
 */
import h from 'highland';
import type { Chunk, ChunkStream, PartitionContext, StageReport, TransformInstance } from './stage.js';
import type { StageKind } from './types.js';
import { RecordError, isFailure, toFailure } from './failure.js';
import { describeError } from './errors.js';
import { mapAsync } from './stream.js';
import { LeakGuard, liveTensors } from './tensors.js';

/** Which stage a wrapper runs, for Failures and warnings: its kind, config path and type. */
export interface StageLabel {
  kind: StageKind;
  path: string;
  type: string;
}

/** Runs one chunk through the stage on a stream of its own; rejects when the stage throws or its stream errors. */
function runChunk<In, Out>(instance: TransformInstance<In, Out>, chunk: Chunk<In>, part: PartitionContext): Promise<Chunk<Out>> {
  return new Promise((resolve, reject) => {
    try {
      instance
        .transform(h([chunk]), part)
        .collect()
        .toCallback((err, chunks) => (err ? reject(err) : resolve((chunks ?? []).flat())));
    } catch (err) {
      reject(err);
    }
  });
}

/**
 * Wraps a one-to-one stage so that each chunk runs through it alone; when a chunk fails, its
 * halves are tried again, recursively, down to single records, and only a record that fails on
 * its own becomes a Failure of this stage (with the stage's message; an unexpected error is
 * prefixed with the stage's path and type). Clean chunks cost one extra tiny stream each.
 * Also meters TensorFlow.js tensors around each chunk and warns (once) when the stage leaks.
 *
 * @example
 * const safe = isolateRecords({ kind: 'post', path: '/post/1', type: 'my-step' }, instance);
 * // a chunk of 1000 where record 412 throws: 999 pass, record 412 becomes a Failure at stage post
 */
export function isolateRecords<In, Out>(label: StageLabel, instance: TransformInstance<In, Out>): TransformInstance<In, Out> {
  const name = `${label.path} (${label.kind}/${label.type})`;
  const guard = new LeakGuard(name);

  const fail = (record: In, err: unknown) =>
    toFailure(label.kind, record as object as Parameters<typeof toFailure>[1], err instanceof RecordError ? err : new RecordError('error', `${name}: ${describeError(err)}`));

  const isolate = async (chunk: Chunk<In>, part: PartitionContext): Promise<Chunk<Out>> => {
    try {
      return await runChunk(instance, chunk, part);
    } catch (err) {
      if (chunk.length === 1) {
        const only = chunk[0]!;
        return [isFailure(only) ? only : fail(only as In, err)];
      }
      const mid = Math.ceil(chunk.length / 2);
      const left = await isolate(chunk.slice(0, mid), part);
      return left.concat(await isolate(chunk.slice(mid), part));
    }
  };

  return {
    transform: (input: ChunkStream<In>, part: PartitionContext): ChunkStream<Out> =>
      input.through(
        mapAsync(
          async (chunk: Chunk<In>) => {
            const before = liveTensors();
            const out = await isolate(chunk, part);
            guard.observe(before, liveTensors());
            return out;
          },
          { concurrency: 1, ordered: true },
        ),
      ),
    report(): StageReport {
      const inner = instance.report?.() ?? {};
      const leak = guard.warning();
      return leak ? { ...inner, warnings: { ...inner.warnings, 'tensor-leak': leak } } : inner;
    },
    close: () => instance.close?.(),
  };
}
