/**
 * Gzip input for every byte-stream source (jsonl, csv, tfrecord): detection by option, name or
 * magic bytes, and the decompressed byte stream. Gzip is not splittable (a reader cannot start in
 * the middle of a deflate stream), so a gzip file is always one partition, read from its start.
 */
import type Highland from 'highland';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { byteStream } from '../../../src/core/partitioning.js';
import type { Storage } from '../../../src/storage/types.js';

/** The `compression` option of a source. */
export type Compression = 'auto' | 'none' | 'gzip';

/** The schema property of the `compression` option. */
export const compressionOption = {
  compression: {
    type: 'string',
    enum: ['auto', 'none', 'gzip'],
    default: 'auto',
    description:
      'auto: gzip when the file name ends in .gz or the file starts with the gzip magic bytes 1f 8b; none; gzip. A gzip file is one partition (gzip cannot be split), read from its start; a cut or corrupt gzip stream keeps the records before the damage and gives one Failure (code "gzip") for the rest.',
  },
} as const;

/**
 * A zlib error (a corrupt or cut gzip stream) rather than a storage error: zlib codes start with `Z_`.
 *
 * @example
 * if (isZlibError(err)) push(null, [gzipFailure]); else push(err);
 */
export function isZlibError(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'string' && code.startsWith('Z_');
}

/**
 * True when the file is gzip: by option, by its `.gz` name, or by its first two bytes (1f 8b);
 * the last costs one 2-byte ranged read.
 *
 * @example
 * await isGzip(ctx.storage, { uri: 'data/a.jsonl.gz', size: 1234 }, 'auto') // true
 */
export async function isGzip(storage: Storage, file: { uri: string; size: number }, compression: Compression): Promise<boolean> {
  if (compression !== 'auto') return compression === 'gzip';
  if (/\.gz$/i.test(file.uri)) return true;
  if (file.size < 2) return false;
  const readable = storage.read(file.uri, { start: 0, end: 2 });
  const parts: Buffer[] = [];
  try {
    for await (const chunk of readable as AsyncIterable<Buffer>) parts.push(chunk);
  } finally {
    readable.destroy();
  }
  const head = Buffer.concat(parts);
  return head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b;
}

/**
 * The bytes of `readable`, gunzipped when `gzip`; a zlib error reaches the consumer as a stream
 * error (test it with `isZlibError`), a storage error stays a storage error (retried).
 *
 * @example
 * const bytes = maybeGunzip(ctx.storage.read(p.uri), gzip);
 */
export function maybeGunzip(readable: Readable, gzip: boolean): Highland.Stream<Buffer> {
  if (!gzip) return byteStream(readable);
  const gunzip = createGunzip();
  // A storage error must stay a storage error (retried), not pass as a gzip corruption.
  readable.once('error', (err) => gunzip.destroy(err));
  // byteStream destroys gunzip when the stream ends or is abandoned; the file must close with it.
  gunzip.once('close', () => readable.destroy());
  readable.pipe(gunzip);
  return byteStream(gunzip);
}

/**
 * A chunk of a gzip file's records with `offset` null: an offset in the uncompressed stream
 * would name no byte of the file, so error rows and keys use the record index instead.
 *
 * @example
 * maybeGunzip(readable, true).consume(lineRecords(p)).map(withoutOffsets)
 */
export function withoutOffsets<T extends { offset: number | null }>(chunk: T[]): T[] {
  for (const r of chunk) r.offset = null;
  return chunk;
}
