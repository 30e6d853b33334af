import h from 'highland';
import path from 'node:path';
import { defineStage, checkInput, defaultPartitionBytes, groupBySize, listInput, describeError, type Chunk, type ChunkStream, type StageContext, type Failure, type PartitionFile, type RawRecord, type PlannedPartition } from '../../../src/sdk.js';
import type { Storage } from '../../../src/storage/types.js';
import { DEFAULT_MAX_RECORD_BYTES, recordLimit, tooLarge } from '../shared/limits.js';
import { filesSourceMeta, type FilesSourceOptions } from './schema.js';

/**
 * Errors that belong to one file rather than to the storage: the file vanished, cannot be
 * opened, or is a directory now. They become a Failure for that file; any other error (a
 * storage outage) stays a stream error, so the engine retries the partition.
 */
const FILE_ERRORS = new Set(['ENOENT', 'EACCES', 'EPERM', 'EISDIR', 'ENOTDIR', 'ELOOP', 'NoSuchKey', 'NotFound', 'AccessDenied']);

function fileError(err: unknown): boolean {
  const e = err as { code?: unknown; name?: unknown } | null;
  return FILE_ERRORS.has(String(e?.code)) || FILE_ERRORS.has(String(e?.name));
}

/** Reads one whole file into memory (an image is decoded whole anyway), or the bytes counted once they pass `limit` (the file grew since it was listed). */
async function readFile(storage: Storage, uri: string, limit: number): Promise<Uint8Array | number> {
  const parts: Buffer[] = [];
  let size = 0;
  const readable = storage.read(uri);
  try {
    for await (const chunk of readable as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > limit) return size;
      parts.push(chunk);
    }
  } finally {
    readable.destroy();
  }
  const whole = Buffer.concat(parts);
  return new Uint8Array(whole.buffer, whole.byteOffset, whole.byteLength);
}

/**
 * The record of one file: its bytes, and fields naming it for keys and forwarding. A file that
 * cannot be read (missing, forbidden, a directory) is a Failure naming it.
 *
 * @example
 * await fileRecord(storage, { source: 'photos/a.jpg', uri: '/p/photos/a.jpg', size: 1234, mtimeMs: 0 })
 * // { source: 'photos/a.jpg', index: 0, offset: 0, raw: <bytes>, fields: { path: 'photos/a.jpg', name: 'a.jpg', size: 1234 } }
 */
export async function fileRecord(storage: Storage, file: PartitionFile, limit: number = DEFAULT_MAX_RECORD_BYTES): Promise<RawRecord | Failure> {
  const name = path.posix.basename(file.source.replace(/\\/g, '/'));
  const fields = { path: file.source, name, size: file.size };
  const origin = { source: file.source, index: 0, offset: 0 };
  // Its listed size says it is too large: not a byte of it is read.
  if (file.size > limit) return { ...tooLarge(origin, file.size, limit, null), fields };
  try {
    const raw = await readFile(storage, file.uri, limit);
    if (typeof raw === 'number') return { ...tooLarge(origin, raw, limit, null), fields };
    return { source: file.source, index: 0, offset: 0, raw, fields: { ...fields, size: raw.byteLength } };
  } catch (err) {
    if (!fileError(err)) throw err;
    return {
      failed: true,
      key: null,
      source: file.source,
      index: 0,
      offset: 0,
      stage: 'source',
      code: 'unreadable',
      error: `${file.source}: cannot read the file: ${describeError(err)}`,
      raw: null,
      fields,
    };
  }
}

/**
 * Plans whole files into partitions of about `execution.partitionBytes` (else the default size)
 * each, balanced by bytes and in listing order (see `groupBySize`).
 */
export async function planFiles(uri: string, ctx: StageContext): Promise<PlannedPartition[]> {
  const listed = await listInput(uri, ctx);
  const files: PartitionFile[] = listed.map((f) => ({ source: ctx.displayName(f.uri), uri: f.uri, size: f.size, mtimeMs: f.mtimeMs }));
  const total = files.reduce((n, f) => n + f.size, 0);
  const bytes = ctx.execution.partitionBytes ?? defaultPartitionBytes(total, ctx.execution.workers);
  return groupBySize(
    files.map((f) => f.size),
    bytes,
  ).map(([from, to]) => {
    const group = files.slice(from, to);
    const first = group[0]!;
    const size = group.reduce((n, f) => n + f.size, 0);
    return { source: first.source, uri: first.uri, size, mtimeMs: first.mtimeMs, start: 0, end: size, split: false, files: group };
  });
}

/**
 * `source/files`: one record per file (a photo, a document), its bytes as `raw`, e.g. for
 * `decode/image`. Files are grouped into partitions by size; each is read whole when its turn
 * comes, one at a time, so memory holds the files in flight, not the partition.
 *
 * @example
 * { "type": "files", "uri": "photos/*.jpg" }
 */
export default defineStage<FilesSourceOptions>()({
  ...filesSourceMeta,
  examples: [{ uri: 'photos/' }, { uri: 'photos/**/*.{jpg,jpeg,png}' }],
  check: (options, ctx) => checkInput(options.uri, ctx),
  plan: (options, ctx) => planFiles(options.uri, ctx),
  create(options, ctx) {
    const limit = recordLimit(options);
    return {
      read(part): ChunkStream<RawRecord> {
        const p = part.partition;
        // A partition made without `files` (by hand, in a test) is its one file.
        const files: PartitionFile[] = p.files ?? [{ source: p.source, uri: p.uri, size: p.size, mtimeMs: p.mtimeMs }];
        let next = 0;
        // One file per pull: reading is paced by the stages downstream.
        return h<Chunk<RawRecord>>((push, more) => {
          if (next >= files.length) {
            push(null, h.nil);
            return;
          }
          const file = files[next++]!;
          fileRecord(ctx.storage, file, limit).then(
            (record) => {
              push(null, [record]);
              more();
            },
            (err: unknown) => {
              // A storage failure, not the file's: the engine retries the partition.
              push(err as Error);
              push(null, h.nil);
            },
          );
        });
      },
    };
  },
});
