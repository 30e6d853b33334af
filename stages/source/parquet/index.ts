import h from 'highland';
import { parquetMetadataAsync, parquetReadObjects, parquetSchema, type AsyncBuffer, type FileMetaData } from 'hyparquet';
import { defineStage, checkInput, listInput, pushChunks, MAX_CHUNK, SluiceError, describeError, type Chunk, type ChunkStream, type StageContext, type Failure, type Partition, type RawRecord, type PlannedPartition } from '../../../src/sdk.js';
import type { FileInfo, Storage } from '../../../src/storage/types.js';
import { RAW_LIMIT } from '../../../src/core/failure.js';
import { recordLimit, tooLarge } from '../shared/limits.js';
import { parquetSourceMeta, type ParquetSourceOptions } from './schema.js';

/** A storage failure under hyparquet: it must stay a stream error (the engine retries), not pass as a corrupt file. */
class StorageReadError extends Error {}

/**
 * An AsyncBuffer over ranged storage reads, so hyparquet fetches only the footer and the column
 * chunks it needs, never the whole file. Ranges fetched while reading one slice of rows are kept
 * for the next slice: without an offset index hyparquet refetches a row group's whole column
 * chunks for every slice, and this keeps that to one fetch per row group.
 */
export class StorageBuffer implements AsyncBuffer {
  private previous = new Map<string, ArrayBuffer>();
  private current = new Map<string, ArrayBuffer>();

  constructor(private readonly storage: Storage, private readonly uri: string, readonly byteLength: number) {}

  async slice(start: number, end: number = this.byteLength): Promise<ArrayBuffer> {
    const key = `${start}:${end}`;
    const hit = this.current.get(key) ?? this.previous.get(key);
    if (hit) {
      this.current.set(key, hit);
      return hit;
    }
    // A footer pointing outside the file is a corrupt file (its rows fail), not a storage outage to retry.
    if (start < 0 || end > this.byteLength || start > end) throw new Error(`the footer points at bytes ${start}-${end}, outside the file's ${this.byteLength} bytes`);
    const bytes = await readRange(this.storage, this.uri, start, end);
    this.current.set(key, bytes);
    return bytes;
  }

  /** Ends a slice of rows: ranges the next slice does not ask for again are dropped after it. */
  nextSlice(): void {
    this.previous = this.current;
    this.current = new Map();
  }
}

async function readRange(storage: Storage, uri: string, start: number, end: number): Promise<ArrayBuffer> {
  const out = new Uint8Array(Math.max(0, end - start));
  if (out.length === 0) return out.buffer;
  const readable = storage.read(uri, { start, end });
  let pos = 0;
  try {
    for await (const chunk of readable as AsyncIterable<Buffer>) {
      out.set(chunk.subarray(0, out.length - pos), pos);
      pos += chunk.length;
    }
  } catch (err) {
    throw new StorageReadError(`reading bytes ${start}-${end} of ${uri}: ${describeError(err)}`, { cause: err });
  } finally {
    readable.destroy();
  }
  if (pos < out.length) throw new StorageReadError(`reading bytes ${start}-${end} of ${uri}: expected ${out.length} bytes, got ${pos}`);
  return out.buffer;
}

/** A file's footer metadata; a storage error is rethrown as is, anything else means the file is not Parquet. */
async function readFooter(ctx: StageContext, file: FileInfo, buffer = new StorageBuffer(ctx.storage, file.uri, file.size)): Promise<FileMetaData> {
  try {
    // Below 12 bytes there is no room for the magic, footer length and trailing magic.
    if (file.size < 12) throw new Error(`${file.size} bytes, too short for the PAR1 header and footer`);
    return await parquetMetadataAsync(buffer);
  } catch (err) {
    if (err instanceof StorageReadError) throw err;
    throw new SluiceError('CONFIG_INVALID', `${ctx.path}/uri: ${ctx.displayName(file.uri)} is not a Parquet file (${describeError(err)})`);
  }
}

/** Top-level column names of a file, in schema order. */
function columnNames(metadata: FileMetaData): string[] {
  return parquetSchema(metadata).children.map((c) => c.element.name);
}

/** The config lines for `columns` a file lacks. */
function missingColumns(options: ParquetSourceOptions, metadata: FileMetaData, file: string, path: string): string[] {
  const names = columnNames(metadata);
  const lines: string[] = [];
  (options.columns ?? []).forEach((c, i) => {
    if (!names.includes(c)) lines.push(`${path}/columns/${i}: expected a column of ${file}, got "${c}" (columns: ${names.join(', ')})`);
  });
  return lines;
}

/**
 * Plans one partition per row group of every file: `start`/`end` are the group's row range
 * [rowStart, rowEnd) in the file, not bytes (Parquet is cut where its writer cut it, so
 * `execution.partitionBytes` does not apply). A file without row groups is one empty partition,
 * so the plan still names it.
 */
async function planRowGroups(options: ParquetSourceOptions, ctx: StageContext): Promise<PlannedPartition[]> {
  const files = await listInput(options.uri, ctx);
  const out: PlannedPartition[] = [];
  const problems: string[] = [];
  for (const file of files) {
    const base = { source: ctx.displayName(file.uri), uri: file.uri, size: file.size, mtimeMs: file.mtimeMs };
    let metadata: FileMetaData;
    try {
      metadata = await readFooter(ctx, file);
    } catch (err) {
      if (!(err instanceof SluiceError)) throw err;
      problems.push(...err.lines);
      continue;
    }
    problems.push(...missingColumns(options, metadata, base.source, ctx.path));
    const groups = metadata.row_groups.map((g) => Number(g.num_rows));
    if (groups.length === 0) out.push({ ...base, start: 0, end: 0, split: false });
    let row = 0;
    for (const rows of groups) {
      out.push({ ...base, start: row, end: row + rows, split: groups.length > 1 });
      row += rows;
    }
  }
  if (problems.length > 0) throw new SluiceError('CONFIG_INVALID', problems);
  return out;
}

/**
 * A Parquet value as JSON can hold it: int64 within 2^53 as a number and beyond as a decimal
 * string (never silently rounded), dates as ISO strings, bytes as base64, lists and structs
 * converted element by element.
 *
 * @example
 * toJsonValue(2n ** 60n) // '1152921504606846976'
 */
export function toJsonValue(v: unknown): unknown {
  if (typeof v === 'bigint') return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
  if (v === null || typeof v !== 'object') return v;
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? null : v.toISOString();
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64');
  if (Array.isArray(v)) return v.map(toJsonValue);
  if (ArrayBuffer.isView(v)) return Array.from(v as unknown as ArrayLike<unknown>, toJsonValue);
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) out[k] = toJsonValue(x);
  return out;
}

/** The rows of one slice as RawRecords: `index` is the row's index in the file. */
function toRecords(p: Partition, rows: Record<string, unknown>[], firstRow: number, maxRecordBytes: number): Array<RawRecord | Failure> {
  return rows.map((row, i) => {
    const fields = toJsonValue(row) as Record<string, unknown>;
    const raw = JSON.stringify(fields);
    const origin = { source: p.source, index: firstRow + i, offset: null };
    // The row is decoded already (hyparquet reads column chunks whole), but it goes no further.
    const size = raw.length > maxRecordBytes / 3 ? Buffer.byteLength(raw) : raw.length;
    if (size > maxRecordBytes) return tooLarge(origin, size, maxRecordBytes, raw.slice(0, RAW_LIMIT));
    return { ...origin, raw, fields };
  });
}

/**
 * One Failure per row of rows [from, to): a row group (or the rest of one) that cannot be decoded
 * still accounts for every row the footer says it holds, so the error budget sees them all.
 */
function rowFailures(p: Partition, from: number, to: number, why: string): Failure[] {
  const out: Failure[] = [];
  const group = `rows ${p.start}-${p.end - 1}`;
  for (let i = from; i < to; i++) {
    out.push({ failed: true, key: null, source: p.source, index: i, offset: null, stage: 'source', code: 'bad-parquet', error: `${p.source}: row ${i} (row group of ${group}) unreadable: ${why}`, raw: null });
  }
  return out;
}

/**
 * Reads one row group in slices of at most `MAX_CHUNK` rows, one slice per pull, so a big row
 * group never sits in memory as objects at once. A slice hyparquet cannot decode (an unsupported
 * codec, a corrupt page or dictionary, offsets past the end of the file) fails every row from it
 * to the end of the row group, one Failure per row (counts from the footer); everything before it
 * is still predicted. Only a storage error fails the partition (the engine retries it).
 */
function readRowGroup(ctx: StageContext, p: Partition, columns: string[] | undefined, maxRecordBytes: number): ChunkStream<RawRecord> {
  const buffer = new StorageBuffer(ctx.storage, p.uri, p.size);
  let metadata: Promise<FileMetaData> | undefined;
  let row = p.start;
  return h<Chunk<RawRecord>>((push, next) => {
    if (row >= p.end) {
      push(null, h.nil);
      return;
    }
    const rowStart = row;
    const rowEnd = Math.min(p.end, row + MAX_CHUNK);
    metadata ??= readFooter(ctx, p, buffer);
    metadata
      .then((md) => parquetReadObjects({ file: buffer, metadata: md, columns, rowStart, rowEnd }))
      .then(
        (rows) => {
          buffer.nextSlice();
          row = rowEnd;
          pushChunks<RawRecord | Failure>(toRecords(p, rows, rowStart, maxRecordBytes), push);
          next();
        },
        (err: unknown) => {
          if (err instanceof StorageReadError) push(err);
          else pushChunks<RawRecord | Failure>(rowFailures(p, rowStart, p.end, describeError(err)), push);
          push(null, h.nil);
        },
      );
  });
}

/**
 * `source/parquet`: Parquet files read with hyparquet, one partition per row group, through
 * ranged reads only (footer, then the selected columns' chunks). Each row is a RawRecord with
 * `fields` (the row) and `raw` (its JSON text, for error rows); decode it with `decode/json`.
 *
 * @example
 * { "type": "parquet", "uri": "data/*.parquet", "columns": ["id", "pixels"] }
 */
export default defineStage<ParquetSourceOptions>()({
  ...parquetSourceMeta,
  examples: [{ uri: 'data/*.parquet' }, { uri: 'data/train.parquet', columns: ['id', 'pixels'] }],
  async check(options, ctx) {
    const missing = await checkInput(options.uri, ctx);
    if (missing.length > 0) return missing;
    try {
      await planRowGroups(options, ctx);
      return [];
    } catch (err) {
      if (err instanceof SluiceError) return err.lines;
      throw err;
    }
  },
  plan: planRowGroups,
  create(options, ctx) {
    const columns = options.columns ?? undefined;
    return {
      read(part): ChunkStream<RawRecord> {
        return readRowGroup(ctx, part.partition, columns, recordLimit(options));
      },
    };
  },
});
