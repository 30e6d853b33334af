/**
 * Byte ranges of input files: how big a partition is, how a file is cut into ranges aligned on
 * record boundaries at plan time, and how a source reads one range. Shared by the line-oriented
 * sources (`jsonl`, `csv`); each brings its own way to find record boundaries.
 */
import { isUtf8 } from 'node:buffer';
import h from 'highland';
import type Highland from 'highland';
import type { Readable } from 'node:stream';
import type { Partition } from './types.js';
import type { StageContext } from './stage.js';
import type { FileInfo, Storage } from './storage.js';
import { SluiceError } from './errors.js';

const MiB = 1024 * 1024;
/** Smallest default partition: below this, per-partition overhead (a part file, a commit) dominates. */
export const MIN_PARTITION_BYTES = MiB;
/** Largest default partition (CONTRACT: at most 64 MB), so a retry never redoes much work. */
export const MAX_PARTITION_BYTES = 64 * MiB;

/** A planned partition: the engine adds `id` and `of`. */
export type PlannedPartition = Omit<Partition, 'id' | 'of'>;

/**
 * The default partition size: enough partitions for each worker to get 4 (so a slow partition
 * does not leave the others idle at the end), clamped to [1 MiB, 64 MiB]; small inputs stay whole.
 *
 * @example
 * defaultPartitionBytes(10 * 1024 ** 3, 8) // 64 MiB (10 GiB / 32 = 320 MiB, clamped)
 * defaultPartitionBytes(100_000, 8)        // 1 MiB
 */
export function defaultPartitionBytes(totalBytes: number, workers: number): number {
  const even = Math.ceil(totalBytes / (Math.max(1, workers) * 4));
  return Math.min(MAX_PARTITION_BYTES, Math.max(MIN_PARTITION_BYTES, even));
}

/**
 * The line for a source URI that matches no file.
 *
 * @example
 * noInputLine('data/*.jsonl', ctx) // '/source/uri: no file matches "data/*.jsonl" (resolved to /home/me/p/data/*.jsonl)'
 */
export function noInputLine(uri: string, ctx: StageContext): string {
  return `${ctx.path}/uri: no file matches "${uri}" (resolved to ${ctx.resolve(uri)})`;
}

/**
 * The input files of a source URI (a file, a directory's files, or a glob), sorted; throws
 * `INPUT_MISSING` (exit 2) when nothing matches.
 *
 * @example
 * const files = await listInput('data/*.jsonl', ctx);
 */
export async function listInput(uri: string, ctx: StageContext): Promise<FileInfo[]> {
  const files = await ctx.storage.list(ctx.resolve(uri));
  if (files.length === 0) throw new SluiceError('INPUT_MISSING', noInputLine(uri, ctx));
  return files;
}

/**
 * A source's `check`: the one line of `noInputLine` when the URI matches no file, else none.
 *
 * @example
 * check: (options, ctx) => checkInput(options.uri, ctx)
 */
export async function checkInput(uri: string, ctx: StageContext): Promise<string[]> {
  const files = await ctx.storage.list(ctx.resolve(uri));
  return files.length === 0 ? [noInputLine(uri, ctx)] : [];
}

/**
 * Finds the record boundaries of one file for the nominal cut points of a plan: returns
 * ascending offsets where a record ends and the next begins (each the first boundary at or
 * after some nominal cut), all inside (0, size).
 */
export type BoundaryFinder = (file: FileInfo, partitionBytes: number) => Promise<number[]>;

/**
 * Plans the partitions of a source: lists `uri`, then cuts each file larger than the partition
 * size (`execution.partitionBytes`, else `defaultPartitionBytes`) at the boundaries `find`
 * returns. Ranges cover each file exactly, without gaps or overlaps; every range of a cut file
 * has `split: true`. A whole file, even an empty one, is one partition, so the plan (and its
 * fingerprint) names every input file; so is a file that `unsplittable` says cannot be cut.
 *
 * @example
 * plan: (options, ctx) => planByteRanges(options.uri, ctx, (file, bytes) => lineBoundaries(ctx.storage, file, bytes))
 */
export async function planByteRanges(
  uri: string,
  ctx: StageContext,
  find: BoundaryFinder,
  unsplittable: (file: FileInfo) => Promise<boolean> = async () => false,
): Promise<PlannedPartition[]> {
  return planFileRanges(await listInput(uri, ctx), ctx, find, unsplittable);
}

/**
 * `planByteRanges` over files already listed (a source that drops some of its listing, such as
 * `tfrecord` dropping the index files beside its data).
 *
 * @example
 * plan: async (options, ctx) => planFileRanges(dataFiles(await listInput(options.uri, ctx)), ctx, find)
 */
export async function planFileRanges(
  files: FileInfo[],
  ctx: StageContext,
  find: BoundaryFinder,
  unsplittable: (file: FileInfo) => Promise<boolean> = async () => false,
): Promise<PlannedPartition[]> {
  const total = files.reduce((n, f) => n + f.size, 0);
  const bytes = ctx.execution.partitionBytes ?? defaultPartitionBytes(total, ctx.execution.workers);
  const out: PlannedPartition[] = [];
  for (const file of files) {
    const base = { source: ctx.displayName(file.uri), uri: file.uri, size: file.size, mtimeMs: file.mtimeMs };
    // Only a file that would be cut is asked whether it can be (e.g. gzip cannot): one short read at most.
    const cuts = file.size > bytes && !(await unsplittable(file)) ? await find(file, bytes) : [];
    const edges = [0, ...cuts.filter((c) => c > 0 && c < file.size), file.size];
    const ranges: [number, number][] = [];
    for (let i = 1; i < edges.length; i++) if (edges[i]! > edges[i - 1]!) ranges.push([edges[i - 1]!, edges[i]!]);
    if (ranges.length <= 1) {
      out.push({ ...base, start: 0, end: file.size, split: false });
      continue;
    }
    for (const [start, end] of ranges) out.push({ ...base, start, end, split: true });
  }
  return out;
}

/**
 * Nominal cut points of a file: every `partitionBytes` after `dataStart` (the first byte of the
 * first record; a CSV header does not count toward partition 0), strictly before `size`.
 *
 * @example
 * nominalCuts(0, 250, 100) // [100, 200]
 */
export function nominalCuts(dataStart: number, size: number, partitionBytes: number): number[] {
  const cuts: number[] = [];
  for (let c = dataStart + partitionBytes; c < size; c += partitionBytes) cuts.push(c);
  return cuts;
}

/**
 * Record boundaries of a line-oriented file (JSONL): for each nominal cut, a ranged read from
 * the byte before it up to the next `\n`; the boundary is just after that `\n`. A line longer
 * than the partition size swallows the cuts inside it. Costs one short read per cut.
 *
 * @example
 * const cuts = await lineBoundaries(storage, file, 64 * 1024 * 1024);
 */
export async function lineBoundaries(storage: Storage, file: FileInfo, partitionBytes: number): Promise<number[]> {
  const out: number[] = [];
  let last = 0;
  for (const cut of nominalCuts(0, file.size, partitionBytes)) {
    if (cut <= last) continue;
    // Start one byte early: when the byte before the cut is `\n`, the cut is already a boundary.
    const end = await nextNewline(storage, file.uri, cut - 1, file.size);
    if (end >= file.size) break;
    out.push(end);
    last = end;
  }
  return out;
}

/** Past a jump this long to the next header, `headerBoundaries` reopens its read there instead of reading on. */
const JUMP_BYTES = 4 * 1024 * 1024;

/**
 * Record (or chunk) boundaries of a file of length-prefixed units (TFRecord records, RecordIO
 * chunks), found by walking their headers only: `next(header, pos)` reads the `headerBytes` at
 * `pos` and returns the offset of the next header, or null when the header is corrupt (the walk
 * stops; the rest stays in the last range, whose reader reports it). The first unit start at or
 * after each nominal cut is a boundary. The walk reads sequentially while units are small and
 * reopens its read at the next header past a 4 MiB jump, so big payloads are jumped over, never
 * read; it ends at the last cut.
 *
 * @example
 * const cuts = await headerBoundaries(storage, file, bytes, 12, (head, pos) => pos + 16 + head.readUInt32LE(0));
 */
export async function headerBoundaries(
  storage: Storage,
  file: FileInfo,
  partitionBytes: number,
  headerBytes: number,
  next: (header: Buffer, pos: number) => number | null,
): Promise<number[]> {
  const cuts = nominalCuts(0, file.size, partitionBytes);
  const out: number[] = [];
  let c = 0;
  let pos = 0; // the offset of the next header
  reading: while (c < cuts.length && pos + headerBytes <= file.size) {
    const readable = storage.read(file.uri, { start: pos, end: file.size });
    let buf: Buffer = Buffer.alloc(0); // unread bytes from file offset `bufAt`
    let bufAt = pos;
    try {
      for await (const read of readable as AsyncIterable<Buffer>) {
        // Only a header cut by the previous read is left over: join it.
        buf = buf.length === 0 ? read : Buffer.concat([buf, read]);
        const drop = (): void => {
          const n = Math.min(pos - bufAt, buf.length);
          buf = buf.subarray(n);
          bufAt += n;
        };
        drop();
        while (pos === bufAt && buf.length >= headerBytes) {
          if (pos >= cuts[c]!) {
            out.push(pos);
            while (c < cuts.length && cuts[c]! <= pos) c++;
            if (c >= cuts.length) return out;
          }
          const after = next(buf, pos);
          if (after === null || after <= pos) return out;
          pos = after;
          drop();
        }
        if (pos + headerBytes > file.size) return out;
        if (pos - bufAt > JUMP_BYTES) continue reading; // `finally` closes this read
      }
    } finally {
      readable.destroy();
    }
    return out;
  }
  return out;
}

/** The offset just after the first `\n` at or after `from`, or `size` when there is none. */
async function nextNewline(storage: Storage, uri: string, from: number, size: number): Promise<number> {
  const readable = storage.read(uri, { start: from, end: size });
  let pos = from;
  try {
    for await (const chunk of readable as AsyncIterable<Buffer>) {
      const i = chunk.indexOf(0x0a);
      if (i !== -1) return pos + i + 1;
      pos += chunk.length;
    }
  } finally {
    readable.destroy();
  }
  return size;
}

/**
 * The bytes of a Node stream as a highland stream that pulls (via `pipe`, so reading is paced by
 * the consumer), turns a storage error into a stream error (the engine retries the partition),
 * and destroys the Node stream when the highland stream ends or is destroyed, so no file
 * descriptor outlives an abandoned partition.
 *
 * @example
 * const bytes = byteStream(ctx.storage.read(uri, { start, end }));
 */
export function byteStream(readable: Readable): Highland.Stream<Buffer> {
  return h<Buffer>(readable, (r, done) => {
    r.once('error', done);
    return () => {
      r.removeListener('error', done);
      // A late error after cleanup must not become an unhandled 'error' event.
      r.on('error', () => {});
      (r as Readable).destroy();
    };
  });
}

/** Records per chunk at most: big enough to amortise highland's per-element cost, small enough to batch well. */
export const MAX_CHUNK = 2048;

/**
 * Pushes `records` as chunks of at most `MAX_CHUNK` (nothing when empty).
 *
 * @example
 * pushChunks(records, push);
 */
export function pushChunks<T>(records: T[], push: (err: Error | null, value?: T[]) => void): void {
  if (records.length <= MAX_CHUNK) {
    if (records.length > 0) push(null, records);
    return;
  }
  for (let i = 0; i < records.length; i += MAX_CHUNK) push(null, records.slice(i, i + MAX_CHUNK));
}

/**
 * Groups whole files into partitions of about `partitionBytes` each, deterministically: files
 * keep their (sorted) listing order, the number of groups is `ceil(total / partitionBytes)`, and
 * each cut falls on the file boundary nearest to an even share of the bytes, so groups are
 * balanced by size rather than filled greedily (which leaves a small last group). A file larger
 * than the partition size is a group of its own. Empty files count as one byte, so a listing of
 * empty files is still spread. Returns index ranges [from, to) into `sizes`.
 *
 * @example
 * groupBySize([100, 100, 100, 100], 200) // [[0, 2], [2, 4]]
 * groupBySize([500, 10, 10], 100)        // [[0, 1], [1, 3]]
 */
export function groupBySize(sizes: readonly number[], partitionBytes: number): [number, number][] {
  if (sizes.length === 0) return [];
  const weights = sizes.map((s) => Math.max(1, s));
  const total = weights.reduce((a, b) => a + b, 0);
  const groups = Math.min(sizes.length, Math.max(1, Math.ceil(total / partitionBytes)));
  const cuts = new Set<number>();
  // Prefix sums: before[i] is the bytes of files [0, i).
  const before = [0];
  for (const w of weights) before.push(before[before.length - 1]! + w);
  let i = 1;
  for (let k = 1; k < groups; k++) {
    const target = (total * k) / groups;
    while (i < sizes.length && before[i + 1]! <= target) i++;
    // Cut before file i or after it, whichever lands nearer the target (never at 0 or the end).
    const cut = i + 1 < sizes.length && target - before[i]! > before[i + 1]! - target ? i + 1 : i;
    if (cut > 0 && cut < sizes.length) cuts.add(cut);
  }
  // A file larger than the partition size stands alone: cut on both sides of it.
  weights.forEach((w, j) => {
    if (w > partitionBytes) {
      if (j > 0) cuts.add(j);
      if (j + 1 < sizes.length) cuts.add(j + 1);
    }
  });
  const edges = [0, ...[...cuts].sort((a, b) => a - b), sizes.length];
  const out: [number, number][] = [];
  for (let e = 1; e < edges.length; e++) if (edges[e]! > edges[e - 1]!) out.push([edges[e - 1]!, edges[e]!]);
  return out;
}

/**
 * Why bytes [s, e) of `buf` are not valid UTF-8 (naming the first bad byte, from the record's
 * start), or null when they are. Line-oriented sources check each record: decoding invalid bytes
 * would silently turn them into U+FFFD, changing keys and values without a trace.
 *
 * @example
 * utf8Problem(Buffer.from([0x61, 0xff]), 0, 2) // 'invalid UTF-8 at byte 1 of the record (0xff)'
 */
export function utf8Problem(buf: Buffer, s: number, e: number): string | null {
  const bytes = buf.subarray(s, e);
  if (isUtf8(bytes)) return null;
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    const need = b < 0x80 ? 0 : b >= 0xc2 && b <= 0xdf ? 1 : b >= 0xe0 && b <= 0xef ? 2 : b >= 0xf0 && b <= 0xf4 ? 3 : -1;
    let good = need >= 0 && i + need < bytes.length;
    for (let k = 1; good && k <= need; k++) good = (bytes[i + k]! & 0xc0) === 0x80;
    // Overlong forms, surrogates and code points past U+10FFFF.
    if (good && need === 2) good = !(b === 0xe0 && bytes[i + 1]! < 0xa0) && !(b === 0xed && bytes[i + 1]! > 0x9f);
    if (good && need === 3) good = !(b === 0xf0 && bytes[i + 1]! < 0x90) && !(b === 0xf4 && bytes[i + 1]! > 0x8f);
    if (!good) return `invalid UTF-8 at byte ${i} of the record (0x${b.toString(16).padStart(2, '0')})`;
    i += need + 1;
  }
  return 'invalid UTF-8';
}
