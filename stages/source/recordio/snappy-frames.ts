/**
 * The Snappy framing format (google/snappy framing_format.txt), as Go's `snappy.NewWriter`
 * writes it for RecordIO's snappy chunks: a stream identifier, then chunks of type 0x00
 * (compressed: masked CRC32C of the uncompressed data + a Snappy block) or 0x01 (uncompressed),
 * each at most 64 KiB uncompressed; 0x80–0xfe are skippable padding. Blocks are decoded with
 * hyparquet's Snappy block decoder (already a dependency for Parquet): no extra package.
 */
import { snappyUncompress } from 'hyparquet';
import { maskedCrc32c } from '../../../src/core/tfrecord.js';

const STREAM_ID = Buffer.from('sNaPpY');

/** The uncompressed length in a Snappy block's preamble (a varint). */
function blockLength(block: Uint8Array): number {
  let len = 0;
  for (let i = 0, shift = 0; i < 5 && i < block.length; i++, shift += 7) {
    len += (block[i]! & 0x7f) * 2 ** shift;
    if ((block[i]! & 0x80) === 0) return len;
  }
  throw new Error('corrupt Snappy block preamble');
}

/**
 * The bytes of a Snappy framing-format stream; throws on a corrupt frame or checksum.
 *
 * @example
 * const data = unframeSnappy(chunkBytes);
 */
export function unframeSnappy(input: Uint8Array): Buffer {
  const buf = Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  const parts: Buffer[] = [];
  let pos = 0;
  while (pos < buf.length) {
    if (pos + 4 > buf.length) throw new Error(`snappy frame header cut at byte ${pos}`);
    const type = buf[pos]!;
    const len = buf.readUIntLE(pos + 1, 3);
    const body = buf.subarray(pos + 4, pos + 4 + len);
    if (body.length < len) throw new Error(`snappy frame at byte ${pos} declares ${len} bytes, ${body.length} left`);
    pos += 4 + len;
    if (type === 0xff) {
      if (!body.equals(STREAM_ID)) throw new Error('bad snappy stream identifier');
    } else if (type === 0x00 || type === 0x01) {
      let data: Buffer;
      if (type === 0x01) data = body.subarray(4);
      else {
        const block = body.subarray(4);
        data = Buffer.alloc(blockLength(block));
        snappyUncompress(block, data);
      }
      if (body.readUInt32LE(0) !== maskedCrc32c(data)) throw new Error('snappy frame checksum mismatch');
      parts.push(data);
    } else if (type < 0x80) throw new Error(`unskippable snappy frame type 0x${type.toString(16)}`);
  }
  return Buffer.concat(parts);
}
