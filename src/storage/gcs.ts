/**
 * `gs://bucket/key` storage on @google-cloud/storage 7.x (loaded only when a URI needs it; 8.x
 * needs Node 22). Credentials are Application Default Credentials; `apiEndpoint` (or the
 * client's own STORAGE_EMULATOR_HOST) points it at an emulator. Retries are the client's
 * (exponential backoff on 408/429/5xx and connection errors), `maxAttempts` per request, for
 * every operation: each of ours is safe to repeat (uploads of the same bytes to the same name,
 * deletes that ignore a missing object).
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { isMainThread } from 'node:worker_threads';
import { IdempotencyStrategy, Storage as GcsClient, type StorageOptions } from '@google-cloud/storage';
import type { GcsSettings, StorageBackend } from './types.js';
import { childNames, existsByStat, keysUnder, listObjects, parseObjectUri, type ListPage, type ObjectEntry, type ObjectLister } from './object-store.js';
import { isNotFound, notFound, StorageError } from './errors.js';

const DEFAULT_MAX_ATTEMPTS = 5;
/** Deletes in flight at once in a recursive remove (the JSON API deletes one object per request). */
const DELETE_CONCURRENCY = 16;

/** The client options for the settings: only what is set overrides the client's own defaults. */
export function gcsClientOptions(settings: GcsSettings = {}): StorageOptions {
  const options: StorageOptions = {
    retryOptions: {
      autoRetry: true,
      maxRetries: (settings.maxAttempts ?? DEFAULT_MAX_ATTEMPTS) - 1,
      retryDelayMultiplier: 2,
      maxRetryDelay: 32,
      totalTimeout: 600,
      idempotencyStrategy: IdempotencyStrategy.RetryAlways,
    },
  };
  if (settings.apiEndpoint !== undefined) options.apiEndpoint = settings.apiEndpoint;
  if (settings.projectId !== undefined) options.projectId = settings.projectId;
  return options;
}

/**
 * The reasons in a GCS client message, on one line. The client joins several reasons (e.g. a
 * 500's status text and its body) under "Multiple errors occurred … see the `errors` array",
 * an array the user never sees: give the reasons themselves.
 *
 * @example
 * gcsReason('Multiple errors occurred during the request. Please see the `errors` array for complete details.\n\n    1. Internal Server Error\n    2. backend down\n\n') // 'Internal Server Error; backend down'
 */
export function gcsReason(message: string): string {
  const lines = message.split('\n').map((l) => l.trim()).filter(Boolean);
  if (lines[0]?.startsWith('Multiple errors occurred')) return [...new Set(lines.slice(1).map((l) => l.replace(/^\d+\.\s*/, '')))].join('; ') || 'request failed';
  return lines[0] || 'request failed';
}

/**
 * A GCS error as one line naming the URI: 404 is a missing object (`ENOENT`), or a missing
 * bucket when listing (STORAGE_MISSING, exit 2); anything else is STORAGE_FAILED (exit 1).
 */
export function gcsError(err: unknown, uri: string, listing = false): Error {
  if (err instanceof StorageError || isNotFound(err)) return err as Error;
  const e = err as { code?: number | string; message?: string };
  if (e?.code === 404) {
    return listing ? new StorageError('STORAGE_MISSING', uri, `bucket "${parseObjectUri(uri).bucket}" does not exist`, { cause: err }) : notFound(uri);
  }
  const message = gcsReason(e?.message ?? String(err));
  return new StorageError('STORAGE_FAILED', uri, typeof e?.code === 'number' ? `HTTP ${e.code}: ${message}` : message, { cause: err });
}

/**
 * The GCS backend: listing pages through objects.list, reads are ranged media GETs, atomic writes
 * are single-request uploads, and staged outputs are committed by one single-request upload of
 * the staged bytes to the final name.
 *
 * Why staged outputs work this way: a GCS object appears whole when its upload request (or a
 * resumable upload's last request) completes. A resumable session left open until commit would be
 * the closest match to S3's multipart commit, but the Cloud Storage emulator finalizes a resumable
 * upload on its first PUT and answers 501 to copy/rewrite, so the one path that is tested against
 * a real server is: the attempt spools its output to a local file and uploads it to
 * `<staging>` (under `_temporary/`) in one request when it finishes; the commit downloads it
 * and uploads it to `final` in one request (atomic: readers see no object, or all of it), then
 * deletes `<staging>`. Both uploads are retried from files, so a throttled request costs a retry,
 * not a run. The cost is that the commit moves the bytes once more.
 *
 * @example
 * const gcs = createGcsBackend({ apiEndpoint: 'http://127.0.0.1:9199', projectId: 'demo' });
 */
export function createGcsBackend(settings: GcsSettings = {}, options: { pageSize?: number } = {}): StorageBackend {
  const client = new GcsClient(gcsClientOptions(settings));
  const file = (uri: string) => {
    const at = parseObjectUri(uri);
    return client.bucket(at.bucket).file(at.key);
  };

  const lister = (bucketName: string, uri: string): ObjectLister => {
    const bucket = client.bucket(bucketName);
    return {
      async head(key) {
        try {
          const [m] = await bucket.file(key).getMetadata();
          return entry(key, m);
        } catch (err) {
          if ((err as { code?: unknown }).code === 404) return undefined;
          throw gcsError(err, uri);
        }
      },
      async *pages(prefix, delimiter): AsyncIterable<ListPage> {
        let pageToken: string | undefined;
        do {
          let files, next, response;
          try {
            [files, next, response] = await bucket.getFiles({ prefix, delimiter, autoPaginate: false, maxResults: options.pageSize, pageToken });
          } catch (err) {
            throw gcsError(err, uri, true);
          }
          const objects = files.map((f) => entry(f.name, f.metadata));
          yield { objects, prefixes: ((response as { prefixes?: string[] } | undefined)?.prefixes ?? []) };
          pageToken = (next as { pageToken?: string } | null)?.pageToken;
        } while (pageToken);
      },
    };
  };

  const stat = async (uri: string) => {
    const at = parseObjectUri(uri);
    const found = await lister(at.bucket, uri).head(at.key);
    if (!found) throw notFound(uri);
    return { uri, size: found.size, mtimeMs: found.mtimeMs, etag: found.etag };
  };

  /** Uploads a local file to `uri` in one request (retried by the client, which rereads the file). */
  const uploadFile = async (local: string, uri: string) => {
    const at = parseObjectUri(uri);
    try {
      await client.bucket(at.bucket).upload(local, { destination: at.key, resumable: false, validation: 'crc32c' });
    } catch (err) {
      throw gcsError(err, uri);
    }
  };

  const remove = async (uri: string) => {
    try {
      await file(uri).delete({ ignoreNotFound: true });
    } catch (err) {
      throw gcsError(err, uri);
    }
  };

  return {
    schemes: ['gs'],
    list(pattern) {
      const at = parseObjectUri(pattern);
      return listObjects(at, lister(at.bucket, pattern));
    },
    stat,
    exists: (uri) => existsByStat(stat, uri),

    read(uri, range) {
      if (range && range.end <= range.start) return Readable.from([]);
      // A ranged read cannot be checked against the object's hash: validation is off for ranges only.
      const stream = file(uri).createReadStream(range ? { start: range.start, end: range.end - 1, validation: false } : {});
      async function* body() {
        try {
          for await (const chunk of stream) yield chunk as Buffer;
        } catch (err) {
          throw gcsError(err, uri);
        } finally {
          stream.destroy();
        }
      }
      return Readable.from(body(), { objectMode: false, highWaterMark: 64 * 1024 });
    },

    async readAll(uri) {
      try {
        const [bytes] = await file(uri).download();
        return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      } catch (err) {
        throw gcsError(err, uri);
      }
    },

    createWriteStream(uri) {
      // One request streamed from the writer: not retried (a stream cannot be replayed).
      return file(uri).createWriteStream({ resumable: false });
    },

    async writeAtomic(uri, data) {
      try {
        await file(uri).save(typeof data === 'string' ? Buffer.from(data) : Buffer.from(data.buffer, data.byteOffset, data.byteLength), { resumable: false });
      } catch (err) {
        throw gcsError(err, uri);
      }
    },

    async createExclusive(uri, data) {
      // ifGenerationMatch: 0 — "only if no live object has this name": 412 otherwise.
      try {
        await file(uri).save(typeof data === 'string' ? Buffer.from(data) : Buffer.from(data.buffer, data.byteOffset, data.byteLength), {
          resumable: false,
          preconditionOpts: { ifGenerationMatch: 0 },
        });
        return true;
      } catch (err) {
        if ((err as { code?: unknown }).code === 412) return false;
        throw gcsError(err, uri);
      }
    },

    stage(staging) {
      return spooledUpload((local) => uploadFile(local, staging));
    },

    async commitStaged(staging, final) {
      const local = spoolPath();
      try {
        try {
          await file(staging).download({ destination: local });
        } catch (err) {
          const e = gcsError(err, staging);
          if (isNotFound(e)) throw new Error(`${staging}: no staged output to commit (the attempt did not finish)`);
          throw e;
        }
        await uploadFile(local, final);
      } finally {
        await fsp.rm(local, { force: true });
      }
      await remove(staging);
    },

    abortStaged: (staging) => remove(staging),

    async remove(uri, opts) {
      if (!opts?.recursive) return remove(uri);
      const at = parseObjectUri(uri);
      const keys = await keysUnder(at.key, lister(at.bucket, uri));
      for (let i = 0; i < keys.length; i += DELETE_CONCURRENCY) {
        await Promise.all(keys.slice(i, i + DELETE_CONCURRENCY).map((k) => remove(`gs://${at.bucket}/${k}`)));
      }
    },

    children(uri) {
      const at = parseObjectUri(uri);
      return childNames(at.key, lister(at.bucket, uri));
    },
  };
}

function entry(key: string, m: { size?: string | number; updated?: string; etag?: string }): ObjectEntry {
  return { key, size: Number(m.size ?? 0), mtimeMs: m.updated ? Date.parse(m.updated) : 0, etag: m.etag };
}

// Spool files live in one directory per process, which the main thread removes at exit: a worker
// thread stopped mid-write (an interrupted run) cannot remove its own.
const spoolDir = path.join(os.tmpdir(), `sluice-gcs-spool-${process.pid}`);
if (isMainThread) process.once('exit', () => fs.rmSync(spoolDir, { recursive: true, force: true }));

/** A fresh path for a local spool file (removed by whoever made it). */
function spoolPath(): string {
  fs.mkdirSync(spoolDir, { recursive: true });
  return path.join(spoolDir, randomBytes(8).toString('hex'));
}

/**
 * A Writable that spools to a local file and, when it finishes, hands the file to `upload`; the
 * stream finishes when the upload has. Destroying it (an abandoned attempt) uploads nothing. The
 * file is removed either way.
 */
function spooledUpload(upload: (local: string) => Promise<void>): Writable {
  const local = spoolPath();
  const out = fs.createWriteStream(local, { highWaterMark: 1 << 20 });
  out.on('error', () => undefined); // reported through write/final
  return new Writable({
    highWaterMark: 1 << 20,
    write(chunk, _enc, cb) {
      if (out.write(chunk)) cb();
      else out.once('drain', () => cb());
    },
    final(cb) {
      out.end();
      finished(out)
        .then(() => upload(local))
        .finally(() => fsp.rm(local, { force: true }))
        .then(() => cb(), cb);
    },
    destroy(err, cb) {
      out.destroy();
      fsp.rm(local, { force: true }).finally(() => cb(err));
    },
  });
}
