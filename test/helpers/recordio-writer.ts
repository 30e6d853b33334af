/**
 * An independent RecordIO writer for tests: a faithful port of the reference writer,
 * github.com/wangkuiyi/recordio (writer.go, chunk.go, header.go; the format ElasticDL uses),
 * with Snappy chunks framed as github.com/golang/snappy's buffered `Writer` frames them
 * (encode.go: stream identifier, then ≤ 64 KiB blocks, a block stored uncompressed when Snappy
 * saves less than 1/8 of it, each with the masked CRC32C of its uncompressed bytes).
 */
import { gzipSync } from 'node:zlib';
import { crc32 } from '@node-rs/crc32';
import { snappyCompress } from 'hyparquet-writer/src/snappy.js';
import { maskedCrc32c } from '../../src/core/tfrecord.js';

/** header.go: NoCompression, Snappy, Gzip. */
export const NO_COMPRESSION = 0;
export const SNAPPY = 1;
export const GZIP = 2;
const MAGIC = 0x01020304;
const DEFAULT_MAX_CHUNK_SIZE = 32 * 1024 * 1024; // writer.go defaultMaxChunkSize
const MAX_BLOCK = 65536; // golang/snappy maxBlockSize

/** golang/snappy Writer: the framing format of `data` (Close after writing it all). */
function snappyFrames(data: Buffer): Buffer {
  const out: Buffer[] = [Buffer.from([0xff, 0x06, 0x00, 0x00, ...Buffer.from('sNaPpY')])];
  for (let p = 0; p < data.length; p += MAX_BLOCK) {
    const block = data.subarray(p, p + MAX_BLOCK);
    const compressed = Buffer.from(snappyCompress(block));
    const raw = compressed.length >= block.length - Math.floor(block.length / 8);
    const body = raw ? block : compressed;
    const head = Buffer.alloc(8);
    head[0] = raw ? 0x01 : 0x00;
    head.writeUIntLE(body.length + 4, 1, 3);
    head.writeUInt32LE(maskedCrc32c(block), 4);
    out.push(head, body);
  }
  return Buffer.concat(out);
}

/** chunk.go `compress`: each record as uint32 LE length + bytes, through the compressor. */
function compress(records: Uint8Array[], compressor: number): Buffer {
  const plain = Buffer.concat(records.flatMap((r) => {
    const len = Buffer.alloc(4);
    len.writeUInt32LE(r.length);
    return [len, Buffer.from(r)];
  }));
  if (compressor === NO_COMPRESSION) return plain;
  if (compressor === SNAPPY) return snappyFrames(plain);
  if (compressor === GZIP) return gzipSync(plain);
  throw new Error(`Unknown compressor ID: ${compressor}`);
}

/** writer.go `Writer`: records into chunks of at most `maxChunkSize` record bytes; `close()` returns the file. */
export class RecordioWriter {
  private out: Buffer[] = [];
  private chunk: Uint8Array[] = [];
  private numBytes = 0;
  private closed = false;

  constructor(private readonly maxChunkSize = DEFAULT_MAX_CHUNK_SIZE, private readonly compressor = SNAPPY) {
    if (this.maxChunkSize <= 0) this.maxChunkSize = DEFAULT_MAX_CHUNK_SIZE;
  }

  write(record: Uint8Array): number {
    if (this.closed) throw new Error('Cannot write since writer had been closed');
    if (record.length >= this.maxChunkSize) throw new Error('Cannot write big record close to the chunk size');
    if (this.numBytes + record.length > this.maxChunkSize) this.flush();
    this.chunk.push(record);
    this.numBytes += record.length;
    return record.length;
  }

  close(): Buffer {
    this.flush();
    this.closed = true;
    return Buffer.concat(this.out);
  }

  /** chunk.go `write`: header (magic, checksum, compressor, compressed size, count), then the data. */
  private flush(): void {
    if (this.chunk.length === 0) return;
    const data = compress(this.chunk, this.compressor);
    const header = Buffer.alloc(20);
    header.writeUInt32LE(MAGIC, 0);
    header.writeUInt32LE(crc32(data) >>> 0, 4);
    header.writeUInt32LE(this.compressor, 8);
    header.writeUInt32LE(data.length, 12);
    header.writeUInt32LE(this.chunk.length, 16);
    this.out.push(header, data);
    this.chunk = [];
    this.numBytes = 0;
  }
}
