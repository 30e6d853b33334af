/**
 * Model files from object storage, downloaded once per process: every worker thread loads the
 * model, and the coordinator hashes it for the run's fingerprint, so without this cache a run on
 * W workers would fetch each file W + 1 times. The first thread to want a file downloads it into
 * a directory of this process (`<tmp>/sluice-models-<pid>/`), holding a lock (an exclusive
 * `mkdir`, which threads of one process see at once); the others wait for it and read the local
 * copy. Entries are keyed by URI, size and version (etag or mtime), so a changed object is
 * fetched again. Local files are read in place. The main thread removes the directory at exit.
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { isMainThread } from 'node:worker_threads';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import type { Storage } from '../storage/types.js';
import { schemeOf } from '../storage/index.js';
import { localPath } from '../storage/local.js';

const dir = path.join(os.tmpdir(), `sluice-models-${process.pid}`);
if (isMainThread) process.once('exit', () => fs.rmSync(dir, { recursive: true, force: true }));

/**
 * How long a thread waits for another one's download before downloading it itself (a thread
 * terminated mid-download leaves its lock behind).
 */
const LOCK_WAIT_MS = 2 * 60 * 1000;

/**
 * A local path holding the bytes of `uri`: the file itself for a local URI, else this process's
 * cached copy, downloaded on first use.
 *
 * @example
 * const file = await localCopy(storage, 's3://models/m/weights.bin'); // /tmp/sluice-models-4242/3f1c….bin
 */
export async function localCopy(storage: Storage, uri: string): Promise<string> {
  const scheme = schemeOf(uri);
  if (scheme === '' || scheme === 'file') return localPath(uri);
  const info = await storage.stat(uri);
  const key = createHash('sha256').update(JSON.stringify([uri, info.size, info.etag ?? info.mtimeMs])).digest('hex');
  const file = path.join(dir, key);
  const lock = `${file}.lock`;
  await fsp.mkdir(dir, { recursive: true });
  const started = Date.now();
  for (;;) {
    if (fs.existsSync(file)) return file;
    try {
      await fsp.mkdir(lock);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      // Another thread is downloading it: wait for the file (or for its failure to free the lock).
      if (Date.now() - started < LOCK_WAIT_MS) {
        await sleep(25);
        continue;
      }
    }
    try {
      if (fs.existsSync(file)) return file;
      const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
      await pipeline(storage.read(uri), fs.createWriteStream(tmp));
      await fsp.rename(tmp, file);
      return file;
    } finally {
      await fsp.rm(lock, { recursive: true, force: true });
    }
  }
}

/**
 * The bytes of a model file: a local file through storage (whose local backend reads FIFOs and
 * other special files on the event loop, where a load timeout can still cut them; a plain
 * `fs.readFile` of a FIFO blocks a libuv thread for good), an object through the cache.
 */
export async function readModelFile(storage: Storage, uri: string): Promise<Uint8Array> {
  const scheme = schemeOf(uri);
  if (scheme === '' || scheme === 'file') return storage.readAll(uri);
  return fsp.readFile(await localCopy(storage, uri));
}

/** A model file as a stream, local or cached as `readModelFile` says. */
export async function modelFileStream(storage: Storage, uri: string): Promise<Readable> {
  const scheme = schemeOf(uri);
  if (scheme === '' || scheme === 'file') return storage.read(uri);
  return fs.createReadStream(await localCopy(storage, uri));
}
