/**
 * Fault injection for the tests, as a preload module (`execution.preload`, src/graph/preload.ts):
 * the run imports it in every thread and calls its default export with the faults to inject, which
 * it installs through the same hooks a user's preload has (`wrapStorage`, `wrapPredict`). Nothing
 * in src/ knows about it. Tests name it with `faultArgs` (test/helpers/faults.ts).
 *
 * - `worker-exit` — the worker thread calls `process.exit(70)` at the first write of partition
 *   `partition`'s output, on attempts 1..`attempts` (default: every attempt).
 * - `worker-throw` — an uncaught exception in the worker thread, there.
 * - `write-error` — the write stream of that partition's files fails with errno `code` (ENOSPC,
 *   EACCES, EIO…) at its first write.
 * - `slow` — every write of partition output waits `ms` first (stretches a run so a test can
 *   signal or kill it mid-way).
 * - `remove-after-plan` — `file` is deleted when a worker thread first reads it: it disappears
 *   between planning (in the coordinator) and reading.
 * - `wasm-abort-above` — a model call on more than `rows` records throws what an aborted wasm
 *   module throws (`RuntimeError: Aborted()`), so the fresh-worker recovery can be tested without
 *   filling 4 GB.
 */
import fs from 'node:fs';
import { Writable } from 'node:stream';
import { isMainThread } from 'node:worker_threads';
import { wrapPredict, wrapStorage, type Storage } from '../../src/sdk.js';

export interface Fault {
  kind: 'worker-exit' | 'worker-throw' | 'write-error' | 'slow' | 'remove-after-plan' | 'wasm-abort-above';
  partition?: number;
  attempts?: number;
  code?: string;
  ms?: number;
  file?: string;
  rows?: number;
}

/** Installs `faults` in this thread (called once per thread by the preload mechanism). */
export default function install({ faults = [] }: { faults?: Fault[] }): void {
  const writes = faults.filter((f) => ['worker-exit', 'worker-throw', 'write-error', 'slow'].includes(f.kind));
  const removed = faults.filter((f) => f.kind === 'remove-after-plan' && f.file).map((f) => f.file!);
  if (writes.length || removed.length) wrapStorage((storage) => faulty(storage, writes, removed));
  for (const f of faults.filter((f) => f.kind === 'wasm-abort-above')) {
    wrapPredict((predict) => async (records) => {
      if (records.length > f.rows!) throw new (globalThis as any).WebAssembly.RuntimeError('Aborted(). Build with -sASSERTIONS for more info.');
      return predict(records);
    });
  }
}

function faulty(storage: Storage, writes: Fault[], removed: string[]): Storage {
  const vanish = (uri: string) => {
    if (!isMainThread && removed.includes(uri)) fs.rmSync(uri, { force: true });
  };
  // Partition outputs are opened with `stage` (the commit protocol) or `createWriteStream`.
  return {
    ...storage,
    createWriteStream: (uri) => failing(storage.createWriteStream(uri), uri, writes),
    stage: (staging, final) => failing(storage.stage(staging, final), staging, writes),
    read: (uri, range) => (vanish(uri), storage.read(uri, range)),
    readAll: (uri) => (vanish(uri), storage.readAll(uri)),
  };
}

/** Partition id and attempt from an attempt's temporary file name (`<run>-00002-attempt1.jsonl`). */
function attemptOf(uri: string): { partition: number; attempt: number } | undefined {
  const m = /-(\d{5})-attempt(\d+)\.[^/\\]*$/.exec(uri);
  return m ? { partition: Number(m[1]), attempt: Number(m[2]) } : undefined;
}

function applies(f: Fault, uri: string): boolean {
  const at = attemptOf(uri);
  if (!at) return false;
  if (f.partition !== undefined && f.partition !== at.partition) return false;
  return f.attempts === undefined || at.attempt <= f.attempts;
}

/** `inner` with the faults that apply to `uri` fired at its first write. */
function failing(inner: Writable, uri: string, writes: Fault[]): Writable {
  const mine = writes.filter((f) => applies(f, uri));
  if (mine.length === 0) return inner;
  let first = true;
  return new Writable({
    write(chunk, encoding, done) {
      const go = () => {
        if (first) {
          first = false;
          for (const f of mine) {
            if (f.kind === 'worker-exit') process.exit(70);
            if (f.kind === 'worker-throw') setImmediate(() => { throw new Error('injected fault: worker-throw'); });
            if (f.kind === 'write-error') {
              const code = f.code ?? 'EIO';
              return done(Object.assign(new Error(`${code}: injected write failure, write '${uri}'`), { code }));
            }
          }
        }
        inner.write(chunk, encoding, done);
      };
      const slow = mine.find((f) => f.kind === 'slow');
      if (slow) setTimeout(go, slow.ms ?? 50);
      else go();
    },
    final(done) {
      inner.end(done);
    },
    destroy(err, done) {
      inner.destroy();
      done(err);
    },
  });
}
