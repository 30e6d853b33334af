import h from 'highland';
import type Highland from 'highland';
import { constants as bufferConstants } from 'node:buffer';
import { gunzipSync } from 'node:zlib';
import { crc32 } from '@node-rs/crc32';
import { defineStage, type Chunk, type ChunkStream } from '../../../src/core/stage.js';
import type { Failure, Partition, RawRecord } from '../../../src/core/types.js';
import { byteStream, checkInput, headerBoundaries, planByteRanges, pushChunks } from '../../../src/core/partitioning.js';
import { describeError } from '../../../src/core/errors.js';
import type { FileInfo, Storage } from '../../../src/storage/types.js';
import { recordLimit, tooLarge } from '../shared/limits.js';
import { unframeSnappy } from './snappy-frames.js';
import { recordioSourceMeta, type RecordioSourceOptions } from './schema.js';

/** RecordIO's chunk header (wangkuiyi/recordio header.go): magic, checksum, compressor, compressed size, record count. */
const MAGIC = 0x01020304;
const HEADER_BYTES = 20;
const COMPRESSORS = ['none', 'snappy', 'gzip'];

interface ChunkHeader {
  crc: number;
  compressor: number;
  size: number;
  count: number;
}

function parseHeader(buf: Buffer): ChunkHeader | null {
  if (buf.readUInt32LE(0) !== MAGIC) return null;
  return { crc: buf.readUInt32LE(4), compressor: buf.readUInt32LE(8), size: buf.readUInt32LE(12), count: buf.readUInt32LE(16) };
}

/** Chunk starts for a plan: the walk reads only the 20-byte headers, jumping over chunk data. */
function chunkBoundaries(storage: Storage, file: FileInfo, partitionBytes: number): Promise<number[]> {
  return headerBoundaries(storage, file, partitionBytes, HEADER_BYTES, (head, pos) => (head.readUInt32LE(0) === MAGIC ? pos + HEADER_BYTES + head.readUInt32LE(12) : null));
}

/** Records in the chunks before `start` (a range's first chunk), from their headers: records keep file-wide indexes. */
async function recordsBefore(storage: Storage, uri: string, start: number): Promise<number> {
  let n = 0;
  for (let pos = 0; pos < start; ) {
    const parts: Buffer[] = [];
    const readable = storage.read(uri, { start: pos, end: pos + HEADER_BYTES });
    try {
      for await (const b of readable as AsyncIterable<Buffer>) parts.push(b);
    } finally {
      readable.destroy();
    }
    const head = parseHeader(Buffer.concat(parts));
    // The plan walked these same headers: a change means the file changed under the run.
    if (!head) throw new Error(`${uri}: no RecordIO chunk header at byte ${pos} (the file changed since it was planned?)`);
    n += head.count;
    pos += HEADER_BYTES + head.size;
  }
  return n;
}

/** The decompressed data of a chunk. */
function decompress(data: Buffer, head: ChunkHeader, limit: number): Buffer {
  if (head.compressor === 0) return data;
  if (head.compressor === 1) return unframeSnappy(data);
  if (head.compressor === 2) return gunzipSync(data, { maxOutputLength: Math.min(bufferConstants.MAX_LENGTH, (limit + 4) * Math.max(1, head.count)) });
  throw new Error(`unknown compressor ${head.compressor} (expected 0 none, 1 snappy, 2 gzip)`);
}

/**
 * A highland `consume` handler that reads the chunks of one range: each chunk is held (at most
 * `maxRecordBytes` of compressed data; a larger one is skipped unread), its CRC32 checked,
 * decompressed and cut into records. A chunk that fails (checksum, decompression, framing, a
 * truncated tail) gives one Failure per record its header counts, so every record is accounted
 * for; a bad magic number, after which no chunk can be found, ends the range with one Failure.
 *
 * @example
 * byteStream(readable).consume(recordioChunks(partition, firstIndex, limit))
 */
export function recordioChunks(p: Partition, firstIndex: number, limit: number) {
  let index = firstIndex;
  let offset = p.start; // the current chunk's offset
  let parts: Buffer[] = [];
  let held = 0;
  let head: ChunkHeader | null = null;
  let skip = -1; // bytes of a too-large chunk still to skip, or -1
  let stopped = false;

  const fail = (code: string, count: number, error: string): Failure[] => {
    const out: Failure[] = [];
    for (let i = 0; i < count; i++) out.push({ failed: true, key: null, source: p.source, index: index++, offset, stage: 'source', code, error: `${p.source}: chunk at byte offset ${offset}: ${error}`, raw: null });
    return out;
  };

  const chunk = (h: ChunkHeader, data: Buffer): Array<RawRecord | Failure> => {
    const actual = crc32(data) >>> 0;
    if (actual !== h.crc) return fail('crc', h.count, `CRC32 of its ${h.size} data bytes is 0x${actual.toString(16)}, the header says 0x${h.crc.toString(16)}; its ${h.count} records were not read`);
    let plain: Buffer;
    try {
      plain = decompress(data, h, limit);
    } catch (err) {
      return fail('bad-chunk', h.count, `${COMPRESSORS[h.compressor] ?? h.compressor} data cannot be decompressed: ${describeError(err)}; its ${h.count} records were not read`);
    }
    const out: Array<RawRecord | Failure> = [];
    let pos = 0;
    for (let i = 0; i < h.count; i++) {
      const len = pos + 4 <= plain.length ? plain.readUInt32LE(pos) : -1;
      if (len < 0 || pos + 4 + len > plain.length) {
        out.push(...fail('bad-chunk', h.count - i, `record ${i} of ${h.count} runs past the chunk's ${plain.length} decompressed bytes; the rest of its records were not read`));
        return out;
      }
      if (len > limit) out.push(tooLarge({ source: p.source, index: index++, offset }, len, limit, null));
      else out.push({ source: p.source, index: index++, offset, raw: plain.subarray(pos + 4, pos + 4 + len) });
      pos += 4 + len;
    }
    return out;
  };

  return (err: Error, buf: Buffer | Highland.Nil, push: (err: Error | null, value?: Chunk<RawRecord> | Highland.Nil) => void, next: () => void): void => {
    if (stopped) return;
    if (err) {
      push(err); // a storage error: the engine retries the partition
      push(null, h.nil);
      return;
    }
    const out: Array<RawRecord | Failure> = [];
    if (h.isNil(buf)) {
      if (skip > 0 && head) out.push(...fail('truncated', head.count, `truncated: the file ends ${skip} bytes before the end of this chunk (skipped unread: ${head.size} bytes is above maxRecordBytes)`));
      else if (head) out.push(...fail('truncated', head.count, `truncated: the file ends ${head.size - held} bytes before the end of the chunk's ${head.size} data bytes; its ${head.count} records were not read`));
      else if (held > 0) out.push(...fail('truncated', 1, `truncated: a ${held}-byte tail where a ${HEADER_BYTES}-byte chunk header should be`));
      pushChunks(out, push);
      push(null, h.nil);
      return;
    }
    let pos = 0;
    while (pos < buf.length) {
      if (skip >= 0) {
        const n = Math.min(skip, buf.length - pos);
        skip -= n;
        pos += n;
        if (skip > 0) break;
        out.push(...fail('too-large', head!.count, `its ${head!.size} compressed bytes are above maxRecordBytes (${limit}); skipped unread, its ${head!.count} records fail`));
        offset += HEADER_BYTES + head!.size;
        head = null;
        skip = -1;
        continue;
      }
      const want = head ? head.size : HEADER_BYTES;
      const n = Math.min(want - held, buf.length - pos);
      parts.push(buf.subarray(pos, pos + n));
      held += n;
      pos += n;
      if (held < want) break;
      const whole = parts.length === 1 ? parts[0]! : Buffer.concat(parts, held);
      parts = [];
      held = 0;
      if (!head) {
        head = parseHeader(whole);
        if (!head) {
          stopped = true;
          out.push(...fail('bad-chunk', 1, `no chunk magic 0x01020304 (found 0x${whole.readUInt32LE(0).toString(16)}); the rest of the range (${p.end - offset} bytes) was not read as records`));
          pushChunks(out, push);
          push(null, h.nil);
          return;
        }
        if (head.size > limit) skip = head.size;
        else if (head.size === 0) {
          out.push(...chunk(head, Buffer.alloc(0)));
          offset += HEADER_BYTES;
          head = null;
        }
        continue;
      }
      // Records are views into the chunk's bytes: copy a chunk held as a view of a read.
      out.push(...chunk(head, whole));
      offset += HEADER_BYTES + head.size;
      head = null;
    }
    pushChunks(out, push);
    next();
  };
}

/**
 * `source/recordio`: RecordIO files as ElasticDL and wangkuiyi/recordio write them. Large files
 * are cut into ranges of whole chunks, planned from the chunk headers alone; every record keeps
 * its index in the file.
 *
 * @example
 * { "type": "recordio", "uri": "data/*.recordio" }
 */
export default defineStage<RecordioSourceOptions>()({
  ...recordioSourceMeta,
  examples: [{ uri: 'data/*.recordio' }],
  check: (options, ctx) => checkInput(options.uri, ctx),
  plan: (options, ctx) => planByteRanges(options.uri, ctx, (file, bytes) => chunkBoundaries(ctx.storage, file, bytes)),
  create(options, ctx) {
    const limit = recordLimit(options);
    return {
      read(part): ChunkStream<RawRecord> {
        const p = part.partition;
        if (p.end <= p.start) return h<Chunk<RawRecord>>([]);
        return h(recordsBefore(ctx.storage, p.uri, p.start))
          .map((first) => byteStream(ctx.storage.read(p.uri, { start: p.start, end: p.end })).consume(recordioChunks(p, first, limit)))
          .sequence() as unknown as ChunkStream<RawRecord>;
      },
    };
  },
});
