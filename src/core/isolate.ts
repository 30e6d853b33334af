/**
 * The one mechanism that keeps a record's failure to that record in every stage that maps records
 * one to one (decode, key, post; built-in or custom). Built-in stages already turn a throw for
 * one record into a Failure (`mapRecords`), but a custom stage may map whole chunks, run async
 * work, or let its stream error: without this, one bad record would fail its whole partition
 * (and, after the retries, the run). The model stage batches across chunks and isolates itself
 * with the same bisection (`core/bisect.ts`).
 */
import h from 'highland';
import type Highland from 'highland';
import type { Chunk, ChunkStream, PartitionContext, StageReport, TransformInstance } from './stage.js';
import type { Failure, StageKind } from './types.js';
import { RecordError, isFailure, toFailure } from './failure.js';
import { bisectFailed, type Bisection } from './bisect.js';
import { describeError } from './errors.js';
import { LeakGuard, liveTensors } from './tensors.js';

/** Which stage a wrapper runs, for Failures and warnings: its kind, config path and type. */
export interface StageLabel {
  kind: StageKind;
  path: string;
  type: string;
}

/**
 * Runs one chunk through the stage on a stream of its own; `done` gets the stage's error (a throw,
 * a stream error, a rejection) or its output. Callbacks, not `collect()` and promises: highland's
 * `collect` costs ~0.2 ms of CPU per call, `each`/`done` a tenth of that, and this runs per chunk
 * and per stage.
 */
function runChunk<In, Out>(instance: TransformInstance<In, Out>, chunk: Chunk<In>, part: PartitionContext, done: (failure: { error: unknown } | null, out?: Chunk<Out>) => void): void {
  let stream: ChunkStream<Out>;
  try {
    stream = instance.transform(h([chunk]), part);
  } catch (error) {
    done({ error });
    return;
  }
  const got: Chunk<Out>[] = [];
  let failure: { error: unknown } | null = null;
  stream
    .stopOnError((error: unknown) => (failure ??= { error }))
    .each((c: Chunk<Out>) => void got.push(c))
    .done(() => (failure ? done(failure) : done(null, got.length === 1 ? got[0]! : got.flat())));
}

const runChunkAsync = <In, Out>(instance: TransformInstance<In, Out>, chunk: Chunk<In>, part: PartitionContext): Promise<Chunk<Out>> =>
  new Promise((resolve, reject) => runChunk(instance, chunk, part, (failure, out) => (failure ? reject(failure.error) : resolve(out!))));

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

  // An error already labelled by the user-stage guard (runtime/guard.ts) keeps its one label.
  const labelled = (err: unknown) => (describeError(err).startsWith(`${label.path} (`) ? describeError(err) : `${name}: ${describeError(err)}`);
  const fail = (record: In, err: unknown) =>
    toFailure(label.kind, record as object as Parameters<typeof toFailure>[1], err instanceof RecordError ? err : new RecordError('error', labelled(err)));

  // A single record fails alone (a Failure passing through stays as it is); a longer chunk is tried in halves.
  const bisection = (part: PartitionContext): Bisection<In | Failure, Out> => ({
    run: (chunk) => runChunkAsync(instance, chunk as Chunk<In>, part) as Promise<Out[]>,
    alone: (only, err) => (isFailure(only) ? only : fail(only, err)) as Out,
  });
  const afterFailure = (chunk: Chunk<In>, err: unknown, part: PartitionContext): Promise<Chunk<Out>> =>
    bisectFailed(chunk as (In | Failure)[], err, bisection(part)) as Promise<Chunk<Out>>;

  return {
    transform: (input: ChunkStream<In>, part: PartitionContext): ChunkStream<Out> =>
      input.consume((err: Error, chunk: Chunk<In> | Highland.Nil, push: (err: Error | null, x?: Chunk<Out> | Highland.Nil) => void, next: () => void) => {
        if (err) {
          push(err);
          next();
          return;
        }
        if (h.isNil(chunk)) {
          push(null, h.nil);
          return;
        }
        const before = liveTensors();
        const emit = (out: Chunk<Out>) => {
          guard.observe(before, liveTensors());
          push(null, out);
          next();
        };
        // The whole chunk first (the common, clean case); halves only when it fails.
        runChunk(instance, chunk, part, (failure, out) => {
          if (!failure) return emit(out!);
          afterFailure(chunk, failure.error, part).then(emit, (e: unknown) => {
            push(e as Error);
            next();
          });
        });
      }),
    report(): StageReport {
      const inner = instance.report?.() ?? {};
      const leak = guard.warning();
      return leak ? { ...inner, warnings: { ...inner.warnings, 'tensor-leak': leak } } : inner;
    },
    close: () => instance.close?.(),
  };
}
