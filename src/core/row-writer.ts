import { finished, pipeline } from 'node:stream';
import { createGzip } from 'node:zlib';
import type { Row, RowWriter } from './stage.js';

/** How a text sink writes its partition file: plain, or gzip-compressed on the way out. */
export type Compression = 'none' | 'gzip';

/**
 * A RowWriter over a Node writable stream (a partition's output from `part.createOutput`):
 * `serialise` turns each batch into one string (or one buffer, for binary formats such as
 * TFRecord), written in one call.
 *
 * - Backpressure: when `write` returns false, the batch's promise resolves on `drain` only,
 *   so a fast producer waits for the disk instead of buffering without bound.
 * - `end()` ends the stream and resolves once it has finished (the file is complete), or
 *   rejects with the stream's error; calling it again returns the same promise.
 * - `abort()` destroys the stream: the staged output is abandoned, never committed.
 * - A stream error rejects the pending and every later `write`.
 * - `compression: 'gzip'` puts a zlib gzip stream in front of `out`; backpressure and errors
 *   then come through `pipeline`, and `end()` waits for the compressed bytes to be flushed.
 *
 * @example
 * open(part) {
 *   const out = part.createOutput(dir, 'jsonl');
 *   return createRowWriter(out, (rows) => rows.map((r) => JSON.stringify(r) + '\n').join(''));
 * }
 */
export function createRowWriter(
  out: NodeJS.WritableStream,
  serialise: (rows: Row[]) => string | Uint8Array,
  options: { compression?: Compression } = {},
): RowWriter {
  const gzip = options.compression === 'gzip';
  const target: NodeJS.WritableStream = gzip ? createGzip() : out;
  let error: Error | undefined;
  // Writers waiting for `drain`; one listener serves them all, so none accumulate per batch.
  let waiting: { resolve: () => void; reject: (err: Error) => void }[] = [];
  const settleWaiting = (err?: Error): void => {
    const list = waiting;
    waiting = [];
    for (const w of list) (err ? w.reject(err) : w.resolve());
  };
  target.on('drain', () => settleWaiting());

  const done = new Promise<void>((resolve, reject) => {
    const onDone = (err?: Error | null): void => {
      if (err) {
        error ??= err;
        settleWaiting(error);
        reject(error);
      } else {
        // Finished while a write was waiting (the stream ended under it): nothing is left to drain.
        settleWaiting();
        resolve();
      }
    };
    if (gzip) pipeline(target as NodeJS.ReadWriteStream, out, onDone);
    else finished(out, onDone);
  });
  // The error is reported by write/end; this keeps an unawaited rejection from crashing Node.
  done.catch(() => undefined);

  let ending: Promise<void> | undefined;
  return {
    write(rows) {
      if (error) return Promise.reject(error);
      if (ending) return Promise.reject(new Error('write after end: the partition output is already closed'));
      if (rows.length === 0) return;
      let text: string | Uint8Array;
      try {
        text = serialise(rows);
      } catch (err) {
        // A promise either way, so callers handle a bad batch like a failed write.
        return Promise.reject(err);
      }
      if (text.length === 0 || target.write(text)) return;
      return new Promise<void>((resolve, reject) => waiting.push({ resolve, reject }));
    },
    end() {
      ending ??= (async () => {
        if (!error) target.end();
        await done;
      })();
      return ending;
    },
    abort() {
      // Destroying a staged output abandons it (see StorageBackend.stage); a later end() rejects.
      error ??= new Error('the partition attempt was aborted');
      ending ??= done.catch(() => undefined);
      settleWaiting(error);
      if (gzip) (target as NodeJS.ReadWriteStream & { destroy(e?: Error): void }).destroy(error);
      (out as NodeJS.WritableStream & { destroy(e?: Error): void }).destroy(error);
    },
  };
}
