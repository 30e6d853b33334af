import { Readable, Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import type { StorageBackend } from './types.js';

/**
 * A backend whose module loads on first use: the S3 and GCS SDKs cost hundreds of milliseconds
 * to import, which a run over local files must never pay. Async methods wait for the load;
 * streams are returned at once and start when the backend is there.
 *
 * @example
 * lazyBackend(['s3'], async () => (await import('./s3.js')).createS3Backend(settings.s3))
 */
export function lazyBackend(schemes: string[], load: () => Promise<StorageBackend>): StorageBackend {
  let loading: Promise<StorageBackend> | undefined;
  const backend = () => (loading ??= load());
  return {
    schemes,
    list: async (p) => (await backend()).list(p),
    stat: async (u) => (await backend()).stat(u),
    exists: async (u) => (await backend()).exists(u),
    read: (u, r) => Readable.from(lazyChunks(backend, (b) => b.read(u, r)), { objectMode: false }),
    readAll: async (u) => (await backend()).readAll(u),
    createWriteStream: (u) => lazyWritable(async () => (await backend()).createWriteStream(u)),
    writeAtomic: async (u, d) => (await backend()).writeAtomic(u, d),
    createExclusive: async (u, d) => (await backend()).createExclusive(u, d),
    stage: (s, f) => lazyWritable(async () => (await backend()).stage(s, f)),
    commitStaged: async (s, f) => (await backend()).commitStaged(s, f),
    abortStaged: async (s, f) => (await backend()).abortStaged(s, f),
    remove: async (u, o) => (await backend()).remove(u, o),
    children: async (u) => (await backend()).children(u),
  };
}

async function* lazyChunks(backend: () => Promise<StorageBackend>, open: (b: StorageBackend) => Readable): AsyncGenerator<Buffer> {
  const inner = open(await backend());
  try {
    for await (const chunk of inner) yield chunk as Buffer;
  } finally {
    inner.destroy();
  }
}

/** A Writable that forwards to the one `open` resolves to, with its backpressure, finish and errors. */
function lazyWritable(open: () => Promise<Writable>): Writable {
  let inner: Promise<Writable> | undefined;
  const outer: Writable = new Writable({
    write(chunk, _enc, cb) {
      target().then((w) => {
        if (w.write(chunk)) cb();
        else w.once('drain', () => cb());
      }, cb);
    },
    final(cb) {
      target().then((w) => {
        finished(w).then(() => cb(), cb);
        w.end();
      }, cb);
    },
    destroy(err, cb) {
      if (!inner) return cb(err);
      inner.then((w) => w.destroy(err ?? undefined), () => undefined).finally(() => cb(err));
    },
  });
  const target = () =>
    (inner ??= open().then((w) => {
      // An error of the inner stream between writes (a failed part upload) fails the outer one.
      w.on('error', (err) => outer.destroy(err));
      return w;
    }));
  return outer;
}
