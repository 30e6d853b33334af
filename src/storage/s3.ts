/**
 * `s3://bucket/key` storage on @aws-sdk/client-s3 v3 (loaded only when a URI needs it). The
 * client takes the standard credential chain and region (AWS_PROFILE, AWS_ACCESS_KEY_ID …,
 * AWS_REGION, AWS_ENDPOINT_URL), overridden by the config's `storage.s3` section. Retries are
 * the SDK's standard strategy (exponential backoff with jitter on throttling such as 503
 * SlowDown, on 5xx and on connection errors), `maxAttempts` per request.
 */
import { Readable, Writable, PassThrough } from 'node:stream';
import {
  S3Client,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { StorageBackend, S3Settings } from './types.js';
import { childNames, existsByStat, keysUnder, listObjects, objectUri, parseObjectUri, type ListPage, type ObjectEntry, type ObjectLister } from './object-store.js';
import { isNotFound, notFound } from './errors.js';
import { abortStagedUpload, completeStagedUpload, isStagingRecord, S3StagedWriter, stagingRecordKey } from './s3-upload.js';
import { s3Error } from './s3-errors.js';

// The SDK warns on every run under Node < 22 that *later* SDK releases will need Node 22; the
// lockfile pins a release that supports Node 20 (Sluice's floor), so the warning would only be
// noise on a CLI's stderr. A user who sets the variable keeps their choice.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

/** Default attempts per request: the SDK's 3 is short for a batch job that must not lose a run to a throttled burst. */
const DEFAULT_MAX_ATTEMPTS = 5;
/** Keys per DeleteObjects request (the API's limit). */
const DELETE_BATCH = 1000;

/** The S3 client config for the settings: only what is set overrides the SDK's own chain. */
export function s3ClientConfig(settings: S3Settings = {}): S3ClientConfig {
  const config: S3ClientConfig = {
    maxAttempts: settings.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
    retryMode: 'standard',
    // A bucket in another region than the configured one is followed instead of failing.
    followRegionRedirects: true,
  };
  if (settings.endpoint !== undefined) config.endpoint = settings.endpoint;
  if (settings.forcePathStyle !== undefined) config.forcePathStyle = settings.forcePathStyle;
  if (settings.region !== undefined) config.region = settings.region;
  if (settings.requestChecksumCalculation !== undefined) config.requestChecksumCalculation = settings.requestChecksumCalculation;
  return config;
}

/**
 * The S3 backend. Listing pages through ListObjectsV2 (1,000 keys a page, or `pageSize`); reads
 * are ranged GETs (`bytes=a-b`, never suffix ranges); staged outputs are multipart uploads to
 * the final key completed at commit (see s3-upload.ts).
 *
 * @example
 * const s3 = createS3Backend({ endpoint: 'http://127.0.0.1:4568', forcePathStyle: true, region: 'us-east-1' });
 * await s3.list('s3://bucket/data/*.jsonl');
 */
export function createS3Backend(settings: S3Settings = {}, options: { pageSize?: number; client?: S3Client } = {}): StorageBackend {
  const client = options.client ?? new S3Client(s3ClientConfig(settings));
  const partSize = settings.partSize;

  const lister = (bucket: string, uri: string): ObjectLister => ({
    async head(key) {
      try {
        const r = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
        return { key, size: r.ContentLength ?? 0, mtimeMs: r.LastModified?.getTime() ?? 0, etag: r.ETag };
      } catch (err) {
        const e = s3Error(err, objectUri('s3', bucket, key));
        if (isNotFound(e)) return undefined;
        throw e;
      }
    },
    async *pages(prefix, delimiter): AsyncIterable<ListPage> {
      let token: string | undefined;
      do {
        let r;
        try {
          r = await client.send(
            new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, Delimiter: delimiter, ContinuationToken: token, MaxKeys: options.pageSize }),
          );
        } catch (err) {
          throw s3Error(err, uri);
        }
        const objects: ObjectEntry[] = (r.Contents ?? []).map((o) => ({ key: o.Key!, size: o.Size ?? 0, mtimeMs: o.LastModified?.getTime() ?? 0, etag: o.ETag }));
        yield { objects, prefixes: (r.CommonPrefixes ?? []).map((p) => p.Prefix!) };
        token = r.IsTruncated ? r.NextContinuationToken : undefined;
      } while (token);
    },
  });

  const stat = async (uri: string) => {
    const at = parseObjectUri(uri);
    const found = await lister(at.bucket, uri).head(at.key);
    if (!found) throw notFound(uri);
    return { uri, size: found.size, mtimeMs: found.mtimeMs, etag: found.etag };
  };

  const del = async (bucket: string, keys: string[], uri: string) => {
    for (let i = 0; i < keys.length; i += DELETE_BATCH) {
      const batch = keys.slice(i, i + DELETE_BATCH);
      try {
        const r = await client.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true } }));
        const failed = r.Errors?.[0];
        if (failed) throw Object.assign(new Error(failed.Message ?? 'delete failed'), { name: failed.Code ?? 'DeleteFailed' });
      } catch (err) {
        throw s3Error(err, uri);
      }
    }
  };

  return {
    schemes: ['s3'],
    list: (pattern) => {
      const at = parseObjectUri(pattern);
      return listObjects(at, lister(at.bucket, pattern));
    },
    stat,
    exists: (uri) => existsByStat(stat, uri),

    read(uri, range) {
      if (range && range.end <= range.start) return Readable.from([]);
      const at = parseObjectUri(uri);
      // The request starts on the first read (so an unread stream costs nothing) and the body is
      // destroyed when the consumer stops early. Always a closed range: suffix ranges are avoided.
      async function* body() {
        let r;
        try {
          r = await client.send(new GetObjectCommand({ Bucket: at.bucket, Key: at.key, Range: range ? `bytes=${range.start}-${range.end - 1}` : undefined }));
        } catch (err) {
          throw s3Error(err, uri);
        }
        const stream = r.Body as Readable;
        try {
          for await (const chunk of stream) yield chunk as Buffer;
        } catch (err) {
          throw s3Error(err, uri);
        } finally {
          stream.destroy();
        }
      }
      return Readable.from(body(), { objectMode: false, highWaterMark: 64 * 1024 });
    },

    async readAll(uri) {
      const at = parseObjectUri(uri);
      try {
        const r = await client.send(new GetObjectCommand({ Bucket: at.bucket, Key: at.key }));
        return await r.Body!.transformToByteArray();
      } catch (err) {
        throw s3Error(err, uri);
      }
    },

    createWriteStream(uri) {
      // lib-storage streams the body: one PutObject when small, a multipart upload when large
      // (aborted by lib-storage on failure). The stream finishes when the object is complete.
      const at = parseObjectUri(uri);
      const body = new PassThrough();
      const upload = new Upload({ client, params: { Bucket: at.bucket, Key: at.key, Body: body }, ...(partSize ? { partSize } : {}) });
      const done = upload.done();
      done.catch(() => undefined);
      return new Writable({
        write(chunk, _enc, cb) {
          if (body.write(chunk)) cb();
          else body.once('drain', () => cb());
        },
        final(cb) {
          body.end();
          done.then(() => cb(), (err) => cb(s3Error(err, uri)));
        },
        destroy(err, cb) {
          if (err) void upload.abort().catch(() => undefined);
          body.destroy();
          cb(err);
        },
      });
    },

    async writeAtomic(uri, data) {
      // One PutObject: S3 makes an object visible whole or not at all.
      const at = parseObjectUri(uri);
      try {
        await client.send(new PutObjectCommand({ Bucket: at.bucket, Key: at.key, Body: typeof data === 'string' ? Buffer.from(data) : data }));
      } catch (err) {
        throw s3Error(err, uri);
      }
    },

    async createExclusive(uri, data) {
      // A conditional PUT (If-None-Match: *): S3 answers 412 when the key exists, and 409 when a
      // concurrent conditional write to it is in progress (that one wins).
      const at = parseObjectUri(uri);
      try {
        await client.send(new PutObjectCommand({ Bucket: at.bucket, Key: at.key, IfNoneMatch: '*', Body: typeof data === 'string' ? Buffer.from(data) : data }));
        return true;
      } catch (err) {
        const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
        if (status === 412 || status === 409) return false;
        throw s3Error(err, uri);
      }
    },

    stage(staging, final) {
      const s = parseObjectUri(staging);
      const f = parseObjectUri(final);
      return new S3StagedWriter(client, { bucket: f.bucket, key: f.key, uri: final }, { bucket: s.bucket, key: stagingRecordKey(s.key) }, partSize);
    },
    commitStaged: (staging, final) => completeStagedUpload(client, staging, final),
    abortStaged: (staging) => abortStagedUpload(client, staging),

    async remove(uri, opts) {
      const at = parseObjectUri(uri);
      if (!opts?.recursive) {
        try {
          await client.send(new DeleteObjectCommand({ Bucket: at.bucket, Key: at.key }));
        } catch (err) {
          const e = s3Error(err, uri);
          if (!isNotFound(e)) throw e;
        }
        return;
      }
      const keys = await keysUnder(at.key, lister(at.bucket, uri));
      // Staged outputs of abandoned attempts: abort their uploads before their records go.
      for (const key of keys.filter(isStagingRecord)) await abortStagedUpload(client, objectUri('s3', at.bucket, key.slice(0, -STAGING_SUFFIX_LENGTH)));
      await del(at.bucket, keys.filter((k) => !isStagingRecord(k)), uri);
    },

    children(uri) {
      const at = parseObjectUri(uri);
      return childNames(at.key, lister(at.bucket, uri));
    },
  };
}

const STAGING_SUFFIX_LENGTH = stagingRecordKey('').length;
