import { SluiceError } from '../core/errors.js';

/**
 * An object that does not exist, reported as Node's fs does (`code: 'ENOENT'`), so callers treat
 * a missing local file and a missing S3/GCS object alike.
 *
 * @example
 * throw notFound('s3://b/data/x.jsonl'); // message: "s3://b/data/x.jsonl: no such object"
 */
export function notFound(uri: string): Error & { code: string } {
  return Object.assign(new Error(`${uri}: no such object`), { code: 'ENOENT' });
}

/** True for an error that says an object does not exist (any backend). */
export function isNotFound(err: unknown): boolean {
  return (err as { code?: unknown } | null)?.code === 'ENOENT';
}

/**
 * A storage failure as one line naming the URI: a missing bucket (exit 2, like a missing input),
 * or a server that cannot be reached or refused the request after the client's retries (exit 1).
 * The message holds the server's error name and text, never credentials.
 *
 * @example
 * throw new StorageError('STORAGE_FAILED', 's3://b/out/_manifest', 'connect ECONNREFUSED 127.0.0.1:4568');
 * // "s3://b/out/_manifest: connect ECONNREFUSED 127.0.0.1:4568"
 */
export class StorageError extends SluiceError {
  constructor(code: 'STORAGE_MISSING' | 'STORAGE_FAILED', uri: string, why: string, options?: { cause?: unknown }) {
    super(code, `${uri}: ${why}`, options);
    this.name = 'StorageError';
  }
}

/** True for a storage error that is not the config's fault: the store is down or refused (exit 1). */
export function isStorageFailure(err: unknown): boolean {
  return err instanceof SluiceError && err.code === 'STORAGE_FAILED';
}
