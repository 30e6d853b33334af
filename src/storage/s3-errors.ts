import { StorageError, notFound } from './errors.js';
import { parseObjectUri } from './object-store.js';

/**
 * An S3 SDK error as the storage layer reports it, naming the URI in one line: a missing key is
 * `ENOENT` (like a missing local file), a missing bucket is STORAGE_MISSING (exit 2), anything
 * else (connection refused, access denied, 5xx after the SDK's retries) is STORAGE_FAILED
 * (exit 1). Only the error's name, HTTP status and message are kept: never request headers.
 *
 * @example
 * s3Error(err, 's3://b/data/x.jsonl') // StorageError: "s3://b/data/x.jsonl: SlowDown (HTTP 503): Please reduce your request rate."
 */
export function s3Error(err: unknown, uri: string): Error {
  if (err instanceof StorageError || (err as { code?: string })?.code === 'ENOENT') return err as Error;
  const e = err as { name?: string; message?: string; code?: string; $metadata?: { httpStatusCode?: number } };
  const status = e?.$metadata?.httpStatusCode;
  const name = e?.name ?? 'Error';
  if (name === 'NoSuchBucket') {
    return new StorageError('STORAGE_MISSING', uri, `bucket "${parseObjectUri(uri).bucket}" does not exist`, { cause: err });
  }
  if (name === 'NoSuchKey' || name === 'NotFound' || (status === 404 && name !== 'NoSuchUpload')) return notFound(uri);
  let message = (e?.message ?? String(err)).split('\n')[0];
  if (message === 'Region is missing') message += ': set AWS_REGION or storage.s3.region in the pipeline config';
  const what = name !== 'Error' && !message?.startsWith(name) ? `${name}${status ? ` (HTTP ${status})` : ''}: ${message}` : message;
  return new StorageError('STORAGE_FAILED', uri, what || `HTTP ${status ?? '?'}`, { cause: err });
}
