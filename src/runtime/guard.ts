/**
 * Guards around the instances of user stages (loaded from modules): whatever their code throws
 * or emits, the run sees a Failure or an error that names the stage (`/post/1 (my-stage): …`),
 * never an uncaught exception. The same wrapper serves every user stage of a kind; built-in
 * stages are not wrapped (their messages are part of the contract as they are).
 *
 * - A Failure the stage creates (a per-record throw caught by `mapRecords`) gets the label in
 *   front of its message; Failures that merely pass through are left alone.
 * - A stream error, a non-array chunk, or a throw from `transform`/`read`/`open`/`write`/`end`
 *   fails the partition attempt with the label (retried, then the run fails with exit 1):
 *   such an error cannot be pinned on one record.
 */
import h from 'highland';
import type { Chunk, ChunkStream, RowWriter, SinkInstance, SourceInstance, TransformInstance } from '../core/stage.js';
import { describeError } from '../core/errors.js';
import { isFailure } from '../core/failure.js';

/** An Error whose message starts with the stage's label; the original is its cause. */
function labelled(label: string, err: unknown): Error {
  return new Error(`${label}: ${describeError(err)}`, { cause: err });
}

/** Checks the chunks a user stream emits and names the stage on its errors and new Failures. */
function guardOutput<T>(label: string, out: ChunkStream<T>, passed: WeakSet<object>): ChunkStream<T> {
  return out
    .map((chunk: Chunk<T>) => {
      if (!Array.isArray(chunk)) throw new Error(`emitted ${chunk === null ? 'null' : typeof chunk} where a chunk (an array of records) was expected`);
      let copy: Chunk<T> | undefined;
      for (let i = 0; i < chunk.length; i++) {
        const x = chunk[i];
        if (isFailure(x) && !passed.has(x)) {
          copy ??= chunk.slice();
          copy[i] = { ...x, error: `${label}: ${x.error}` };
          passed.add(copy[i] as object);
        }
      }
      return copy ?? chunk;
    })
    .errors((err: unknown, push: (err: Error) => void) => push(err instanceof Error && err.message.startsWith(`${label}: `) ? err : labelled(label, err)));
}

/** A user transform (decode, key, model, post) under guard. */
export function guardTransform<In, Out>(label: string, inst: TransformInstance<In, Out>): TransformInstance<In, Out> {
  return {
    transform(input, part) {
      // Failures that entered the stage pass through it unlabelled: only the stage's own are its.
      const passed = new WeakSet<object>();
      const seen = input.map((chunk: Chunk<In>) => {
        for (const x of chunk) if (isFailure(x)) passed.add(x);
        return chunk;
      });
      let out: ChunkStream<Out>;
      try {
        out = inst.transform(seen, part);
        if (!out || typeof (out as any).map !== 'function') throw new Error(`transform() returned ${typeof out} instead of a highland stream`);
      } catch (err) {
        return h<Chunk<Out>>((push) => push(labelled(label, err), h.nil as any));
      }
      return guardOutput(label, out, passed);
    },
    close: inst.close ? () => guarded(label, () => inst.close!()) : undefined,
  };
}

/** A user source under guard. */
export function guardSource(label: string, inst: SourceInstance): SourceInstance {
  return {
    read(part) {
      try {
        return guardOutput(label, inst.read(part), new WeakSet());
      } catch (err) {
        return h((push) => push(labelled(label, err), h.nil as any));
      }
    },
    close: inst.close ? () => guarded(label, () => inst.close!()) : undefined,
  };
}

/** A user sink under guard: its writer's errors name the stage. */
export function guardSink(label: string, inst: SinkInstance): SinkInstance {
  return {
    open(part) {
      let writer: RowWriter;
      try {
        writer = inst.open(part);
      } catch (err) {
        const e = labelled(label, err);
        return { write: () => Promise.reject(e), end: () => Promise.reject(e) };
      }
      return {
        write: (rows) => guarded(label, () => writer.write(rows)),
        end: () => guarded(label, () => writer.end()),
        abort: () => guarded(label, async () => (writer.abort ? writer.abort() : undefined)),
      };
    },
    close: inst.close ? () => guarded(label, () => inst.close!()) : undefined,
  };
}

/** Runs user code (sync or async) so that whatever it throws comes back labelled, as a rejection. */
export async function guarded<T>(label: string, fn: () => T | Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw labelled(label, err);
  }
}
