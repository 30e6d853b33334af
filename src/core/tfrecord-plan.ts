/**
 * Planning a large TFRecord file: where its records start, found without reading payloads.
 *
 * Two ways, giving the same cuts: walking the 12-byte record headers (`tfrecordBoundaries`),
 * or reading an index file as NVIDIA DALI's `tfrecord2idx` writes it (`indexBoundaries`).
 */
import fs from 'node:fs';
import fsp, { type FileHandle } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { FOOTER_BYTES, HEADER_BYTES, MAX_RECORD_BYTES, maskCrc } from './tfrecord.js';
import { nominalCuts } from './partitioning.js';
import type { FileInfo, Storage } from './storage.js';

/**
 * CRC32C (Castagnoli, reflected polynomial 0x82f63b78) slicing-by-8 tables: table k maps a byte
 * followed by k zero bytes. The walk checks one 8-byte length per record; eight lookups cost less
 * than a call into the native CRC (and the `subarray` it needs) per header.
 */
const T = (() => {
  const t = new Uint32Array(8 * 256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    t[n] = c >>> 0;
  }
  for (let s = 1; s < 8; s++) {
    for (let n = 0; n < 256; n++) {
      const prev = t[(s - 1) * 256 + n]!;
      t[s * 256 + n] = (prev >>> 8) ^ t[prev & 0xff]!;
    }
  }
  return t;
})();

/**
 * The data length the 12-byte TFRecord header at `o` declares, or -1 when its masked CRC32C
 * does not match (or the length is 2 GiB or more, which TensorFlow never writes).
 *
 * @example
 * headerLength(frameRecord(Buffer.from('abc')), 0) // 3
 */
export function headerLength(buf: Uint8Array, o: number): number {
  const lo = (buf[o]! | (buf[o + 1]! << 8) | (buf[o + 2]! << 16) | (buf[o + 3]! << 24)) >>> 0;
  const hi = (buf[o + 4]! | (buf[o + 5]! << 8) | (buf[o + 6]! << 16) | (buf[o + 7]! << 24)) >>> 0;
  const a = (lo ^ 0xffffffff) >>> 0;
  let c = T[7 * 256 + (a & 0xff)]! ^ T[6 * 256 + ((a >>> 8) & 0xff)]! ^ T[5 * 256 + ((a >>> 16) & 0xff)]! ^ T[4 * 256 + (a >>> 24)]!;
  c ^= T[3 * 256 + (hi & 0xff)]! ^ T[2 * 256 + ((hi >>> 8) & 0xff)]! ^ T[256 + ((hi >>> 16) & 0xff)]! ^ T[hi >>> 24]!;
  const masked = maskCrc(~c >>> 0);
  const stored = (buf[o + 8]! | (buf[o + 9]! << 8) | (buf[o + 10]! << 16) | (buf[o + 11]! << 24)) >>> 0;
  if (masked !== stored || hi !== 0 || lo >= MAX_RECORD_BYTES) return -1;
  return lo;
}

/**
 * How the walk reads: past a jump of `jumpBytes` (or a record that long) it reopens its read at
 * the next header, reading `probeBytes` there; `direct`: positional reads of a local file into one
 * reused buffer instead of `storage.read`.
 */
export interface WalkReads {
  jumpBytes: number;
  probeBytes: number;
  direct: boolean;
}

/**
 * Local files: a new read costs an open and a system call (~50 µs), about what reading on through
 * 256 KiB of page cache costs, so a longer jump reopens. Object storage: a ranged GET costs tens
 * of milliseconds, the time to stream several MiB, so the walk streams on through jumps below 8 MiB.
 */
export const LOCAL_READS: WalkReads = { jumpBytes: 256 * 1024, probeBytes: 4096, direct: true };
export const REMOTE_READS: WalkReads = { jumpBytes: 8 * 1024 * 1024, probeBytes: 64 * 1024, direct: false };

/** `s3://…`, `gs://…` and other schemes are remote; plain paths and `file://` are local. */
export function readsFor(uri: string): WalkReads {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(uri) && !/^file:/i.test(uri) ? REMOTE_READS : LOCAL_READS;
}

/**
 * Record boundaries of a plain TFRecord file for a plan (`BoundaryFinder`): for each nominal cut
 * (every `partitionBytes`), the first record start at or after it. Found by walking the record
 * headers only — each header's length, its CRC verified, gives the next header's offset:
 *
 * - while records are small, one sequential read (one ranged GET on object storage) is parsed in
 *   place, chunk by chunk, with no allocation per record;
 * - past a jump longer than `reads.jumpBytes` (a big payload), the read is closed and a short one
 *   (`probeBytes`) opened at the next header, so big payloads are skipped, never read.
 *
 * A corrupt length stops the walk: the rest stays in the last range, whose reader reports it. The
 * walk ends at the last cut.
 *
 * @example
 * const cuts = await tfrecordBoundaries(storage, file, 64 * 1024 * 1024);
 */
export async function tfrecordBoundaries(storage: Storage, file: FileInfo, partitionBytes: number, reads: WalkReads = readsFor(file.uri)): Promise<number[]> {
  const local = reads.direct ? await LocalReads.open(file.uri) : null;
  try {
    return await walk(local ? (start, end) => local.chunks(start, end) : (start, end) => storage.read(file.uri, { start, end }) as unknown as Chunks, file.size, partitionBytes, reads);
  } finally {
    await local?.close();
  }
}

/** Bytes [start, end) of the file as chunks; each chunk is valid only until the next is asked for. */
type Chunks = AsyncIterable<Buffer> & { destroy?(): void };

/**
 * Positional reads of a local file into one reused 4 MiB buffer. Not `storage.read`: its 64 KiB
 * stream chunks cost ~1.4 s of CPU per GiB in stream machinery and buffers, 4 MiB reads 0.17 s.
 */
class LocalReads {
  private readonly buf = Buffer.allocUnsafe(4 * 1024 * 1024);
  private constructor(private readonly fh: FileHandle) {}

  static async open(uri: string): Promise<LocalReads> {
    return new LocalReads(await fsp.open(/^file:/i.test(uri) ? fileURLToPath(uri) : uri, 'r'));
  }

  async *chunks(start: number, end: number): AsyncGenerator<Buffer> {
    // A probe (a few KiB at the next header of a big record) is read synchronously: a trip
    // through the thread pool costs more than the read, up to a millisecond on a busy machine.
    if (end - start <= LOCAL_READS.probeBytes) {
      const n = fs.readSync(this.fh.fd, this.buf, 0, end - start, start);
      if (n > 0) yield this.buf.subarray(0, n);
      return;
    }
    for (let p = start; p < end; ) {
      const { bytesRead } = await this.fh.read(this.buf, 0, Math.min(this.buf.length, end - p), p);
      if (bytesRead === 0) return;
      yield this.buf.subarray(0, bytesRead);
      p += bytesRead;
    }
  }

  close(): Promise<void> {
    return this.fh.close();
  }
}

async function walk(read: (start: number, end: number) => Chunks, size: number, partitionBytes: number, reads: WalkReads): Promise<number[]> {
  const cuts = nominalCuts(0, size, partitionBytes);
  const out: number[] = [];
  let c = 0;
  let pos = 0; // the offset of the next header
  let big = false; // the last record was longer than a jump: read a probe, not on to the end
  const head = Buffer.alloc(HEADER_BYTES); // a header cut by the end of a chunk
  /** One header at `o` of `buf` (whose header is at file offset `pos`): false when the walk is over. */
  const step = (buf: Uint8Array, o: number): boolean => {
    if (pos >= cuts[c]!) {
      out.push(pos);
      while (c < cuts.length && cuts[c]! <= pos) c++;
      if (c >= cuts.length) return false;
    }
    const len = headerLength(buf, o);
    if (len < 0) return false;
    big = len > reads.jumpBytes;
    pos += HEADER_BYTES + len + FOOTER_BYTES;
    return pos + HEADER_BYTES <= size;
  };
  while (c < cuts.length && pos + HEADER_BYTES <= size) {
    const end = big ? Math.min(size, pos + Math.max(reads.probeBytes, HEADER_BYTES)) : size;
    const from = pos;
    const readable = read(pos, end);
    let at = pos; // the file offset of the next chunk's first byte
    let held = 0; // bytes of `head` filled from earlier chunks
    try {
      for await (const chunk of readable as AsyncIterable<Buffer>) {
        const chunkEnd = at + chunk.length;
        let o = pos - at;
        if (held > 0) {
          const n = Math.min(HEADER_BYTES - held, chunk.length);
          chunk.copy(head, held, 0, n);
          held += n;
          at = chunkEnd;
          if (held < HEADER_BYTES) continue;
          held = 0;
          if (!step(head, 0)) return out;
          o = pos - (chunkEnd - chunk.length);
        }
        while (o + HEADER_BYTES <= chunk.length) {
          if (!step(chunk, o)) return out;
          o = pos - (chunkEnd - chunk.length);
        }
        if (o < chunk.length) {
          held = chunk.length - o;
          chunk.copy(head, 0, o);
        }
        at = chunkEnd;
        // Past a big payload, or a long jump: close this read (`finally`); the next opens at `pos`.
        if (pos > at && (big || pos - at > reads.jumpBytes)) break;
      }
    } finally {
      readable.destroy?.();
    }
    if (pos === from) return out; // a read that gave nothing: never loop on it
  }
  return out;
}

/** What an index gives a plan: the record starts chosen as cuts, and the record sizes it states there. */
export interface IndexCuts {
  cuts: number[];
  /** Where the index is checked against the file: [offset, size] of the first record, each cut's record, and the last record. */
  checks: [number, number][];
}

/**
 * Cuts from the text of a record index as NVIDIA DALI's `tfrecord2idx` (and the `tfrecord`
 * Python package's) writes it: one line per record, `<offset> <size>`, decimal, where size counts
 * the whole framed record (12-byte header, data, 4-byte CRC). The same cuts as
 * `tfrecordBoundaries`: for each nominal cut, the first record start at or after it. Returns a
 * one-line reason instead when the index cannot describe this file: a malformed line, records
 * that do not follow each other from offset 0, or a total other than the file's size. One pass
 * over the bytes, nothing kept per line.
 *
 * @example
 * indexCuts(Buffer.from('0 20\n20 30\n'), 50, 20) // { cuts: [20], checks: [[0, 20], [20, 30], [20, 30]] }
 */
export function indexCuts(text: Uint8Array, fileSize: number, partitionBytes: number): IndexCuts | string {
  const nominal = nominalCuts(0, fileSize, partitionBytes);
  const cuts: number[] = [];
  const checks: [number, number][] = [];
  let c = 0;
  let expected = 0; // where the next record must start
  let line = 0;
  let last: [number, number] | null = null;
  let i = 0;
  const n = text.length;
  const number = (): number => {
    while (i < n && (text[i] === 0x20 || text[i] === 0x09)) i++;
    let v = 0;
    const from = i;
    while (i < n && text[i]! >= 0x30 && text[i]! <= 0x39) v = v * 10 + (text[i++]! - 0x30);
    return i > from && i - from <= 16 ? v : -1;
  };
  while (i < n) {
    line++;
    const offset = number();
    const size = number();
    while (i < n && (text[i] === 0x20 || text[i] === 0x09 || text[i] === 0x0d)) i++;
    if (offset < 0 && size < 0 && (i >= n || text[i] === 0x0a)) {
      // A blank line: allowed only as the last one.
      if (i < n - 1) return `line ${line}: expected "<offset> <size>", got a blank line`;
      line--;
      break;
    }
    if (offset < 0 || size < 0 || (i < n && text[i] !== 0x0a)) return `line ${line}: expected "<offset> <size>" (two decimal numbers)`;
    i++;
    if (offset !== expected) return `line ${line}: record at byte offset ${offset}, expected ${expected} (the end of the record before it)`;
    if (size < HEADER_BYTES + FOOTER_BYTES) return `line ${line}: record size ${size} is below the ${HEADER_BYTES + FOOTER_BYTES} bytes of a record's framing`;
    if (line === 1) checks.push([offset, size]);
    if (c < nominal.length && offset >= nominal[c]!) {
      cuts.push(offset);
      checks.push([offset, size]);
      while (c < nominal.length && nominal[c]! <= offset) c++;
    }
    expected = offset + size;
    last = [offset, size];
  }
  if (expected !== fileSize) return `its ${line} records end at byte ${expected}, the file has ${fileSize} bytes`;
  if (last) checks.push(last);
  return { cuts, checks };
}

/**
 * Checks records the index names against the file's own headers: each `[offset, size]` must
 * start with a header whose CRC holds and whose length is `size` minus the framing. Reads 12
 * bytes per check, all at once. Returns the first mismatch as one line, or null.
 *
 * @example
 * await checkIndex(storage, file.uri, [[0, 1044], [1044, 1044]]) // null
 */
export async function checkIndex(storage: Storage, uri: string, checks: [number, number][]): Promise<string | null> {
  const heads = await Promise.all(checks.map(([offset]) => readBytes(storage, uri, offset, offset + HEADER_BYTES)));
  for (let k = 0; k < checks.length; k++) {
    const [offset, size] = checks[k]!;
    const head = heads[k]!;
    const len = head.length === HEADER_BYTES ? headerLength(head, 0) : -1;
    if (len < 0) return `record at byte offset ${offset}: the file has no valid record header there`;
    if (len + HEADER_BYTES + FOOTER_BYTES !== size) return `record at byte offset ${offset}: the index says ${size} bytes, its header says ${len + HEADER_BYTES + FOOTER_BYTES}`;
  }
  return null;
}

/** Bytes [start, end) of an object, read whole (a short read when the object is shorter). */
async function readBytes(storage: Storage, uri: string, start: number, end: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of storage.read(uri, { start, end }) as AsyncIterable<Buffer>) parts.push(chunk);
  return Buffer.concat(parts);
}
