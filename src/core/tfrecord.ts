/**
 * TFRecord framing, as TensorFlow writes it (tensorflow/core/lib/io/record_writer.cc):
 *
 *   uint64 length (little-endian) | uint32 masked crc32c(length bytes) | data | uint32 masked crc32c(data)
 *
 * Shared by `source/tfrecord` (the incremental parser below) and `sink/tfrecord` (`frameRecord`).
 */
import { crc32c } from './crc32c.js';

/** Bytes before a record's data: the length and its CRC. */
export const HEADER_BYTES = 12;
/** Bytes after a record's data: the data's CRC. */
export const FOOTER_BYTES = 4;
/** A length TensorFlow never writes (2 GiB or more): a header declaring it is corrupt. */
export const MAX_RECORD_BYTES = 2 ** 31;
const MASK_DELTA = 0xa282ead8;

/**
 * The masked CRC32C TFRecord stores: `((crc >>> 15) | (crc << 17)) + 0xa282ead8` mod 2^32.
 * Masking keeps a CRC of data that itself holds CRCs from being trivially zero.
 *
 * @example
 * maskedCrc32c(new Uint8Array(8)) // the length CRC of an empty record
 */
export function maskedCrc32c(data: Uint8Array): number {
  return maskCrc(crc32c(data) >>> 0);
}

/** TFRecord's mask of a CRC32C value (see `maskedCrc32c`). */
export function maskCrc(crc: number): number {
  return ((((crc >>> 15) | (crc << 17)) >>> 0) + MASK_DELTA) >>> 0;
}

/**
 * One framed record: header, data and footer in one buffer.
 *
 * @example
 * out.write(frameRecord(exampleBytes));
 */
export function frameRecord(data: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(HEADER_BYTES + data.length + FOOTER_BYTES);
  out.writeUInt32LE(data.length >>> 0, 0);
  out.writeUInt32LE(Math.floor(data.length / 2 ** 32), 4);
  out.writeUInt32LE(maskedCrc32c(out.subarray(0, 8)), 8);
  out.set(data, HEADER_BYTES);
  out.writeUInt32LE(maskedCrc32c(data), HEADER_BYTES + data.length);
  return out;
}

/** What the parser finds: a record, a record whose data CRC failed, or the end of what is readable. */
export type FrameEvent =
  | { kind: 'record'; data: Buffer; index: number; offset: number }
  | { kind: 'crc'; data: Buffer; index: number; offset: number; message: string }
  | { kind: 'too-large'; index: number; offset: number; size: number }
  | { kind: 'stop'; code: 'bad-length' | 'truncated'; index: number; offset: number; message: string };

const hex = (n: number) => `0x${n.toString(16).padStart(8, '0')}`;

/**
 * An incremental TFRecord parser: feed it the bytes of a stream in any chunking; it returns the
 * records complete so far. Only the one record that spans chunks is copied; every other record
 * is a view into its chunk. A record whose length (its CRC verified) exceeds `maxRecordBytes` is
 * skipped without being held: its bytes are counted off as they pass, then it is one `too-large`
 * event. After a `stop` event it ignores the rest of the stream.
 *
 * @example
 * const p = new FrameParser(true);
 * for (const chunk of chunks) events.push(...p.push(chunk));
 * events.push(...p.end());
 */
export class FrameParser {
  /** Byte offset (in the uncompressed stream) of the next record's header. */
  offset = 0;
  /** Index of the next record. */
  index = 0;
  stopped = false;
  private carry: Buffer[] = [];
  private carried = 0;

  /** False in a range of a split file: record indexes there count from the range, so messages leave them out. */
  indexed = true;

  /** How messages name a record: `record 7 at byte offset 120`, or `record at byte offset 120`. */
  private where(index = this.index, offset = this.offset): string {
    return this.indexed ? `record ${index} at byte offset ${offset}` : `record at byte offset ${offset}`;
  }

  /** Bytes of a too-large record still to skip, and its data length. */
  private skipLeft = 0;
  private skipLen = 0;

  constructor(private readonly verifyCrc: boolean, private readonly maxRecordBytes: number = MAX_RECORD_BYTES) {}

  /** The records completed by `chunk`. */
  push(chunk: Buffer): FrameEvent[] {
    const out: FrameEvent[] = [];
    if (this.stopped || chunk.length === 0) return out;
    let pos = 0;
    if (this.skipLeft > 0) {
      pos = this.skip(chunk, 0, out);
      if (this.skipLeft > 0) return out;
      chunk = chunk.subarray(pos);
      pos = 0;
    }
    if (this.carried > 0) {
      // A record spans chunks: join only its own bytes, then parse the rest of `chunk` in place.
      const before = this.carried;
      this.carry.push(chunk);
      this.carried += chunk.length;
      if (this.carried < HEADER_BYTES) return out;
      const head = this.carry[0]!.length >= HEADER_BYTES ? this.carry[0]! : Buffer.concat(this.carry, HEADER_BYTES);
      const len = this.length(head, 0);
      if (len === null) return this.flushStop(out);
      const total = HEADER_BYTES + len + FOOTER_BYTES;
      if (len > this.maxRecordBytes) {
        // Too large: drop what is held, skip the rest of it in `chunk` and in the reads after.
        this.carry = [];
        this.carried = 0;
        this.skipLen = len;
        this.skipLeft = total - before;
        pos = this.skip(chunk, 0, out);
        if (this.skipLeft > 0) return out;
        return [...out, ...this.push(chunk.subarray(pos))];
      }
      if (this.carried < total) return out;
      this.carry.pop();
      const whole = Buffer.concat([...this.carry, chunk.subarray(0, total - before)], total);
      this.carry = [];
      this.carried = 0;
      out.push(this.record(whole, 0, len));
      pos = total - before;
    }
    const buf = chunk;
    while (pos < buf.length) {
      const rest = buf.length - pos;
      if (rest < HEADER_BYTES) break;
      const len = this.length(buf, pos);
      if (len === null) return this.flushStop(out);
      if (len > this.maxRecordBytes) {
        this.skipLen = len;
        this.skipLeft = HEADER_BYTES + len + FOOTER_BYTES;
        pos = this.skip(buf, pos, out);
        if (this.skipLeft > 0) return out;
        continue;
      }
      if (rest < HEADER_BYTES + len + FOOTER_BYTES) break;
      out.push(this.record(buf, pos, len));
      pos += HEADER_BYTES + len + FOOTER_BYTES;
    }
    if (pos < buf.length) {
      this.carry = [buf.subarray(pos)];
      this.carried = buf.length - pos;
    }
    return out;
  }

  /** Skips bytes of a too-large record from `pos`; returns the position after them (a `too-large` event when it ends). */
  private skip(buf: Buffer, pos: number, out: FrameEvent[]): number {
    const n = Math.min(this.skipLeft, buf.length - pos);
    this.skipLeft -= n;
    if (this.skipLeft === 0) {
      out.push({ kind: 'too-large', index: this.index++, offset: this.offset, size: this.skipLen });
      this.offset += HEADER_BYTES + this.skipLen + FOOTER_BYTES;
    }
    return pos + n;
  }

  /** At the end of the stream: a `truncated` stop when a partial record is left over. */
  end(): FrameEvent[] {
    if (this.stopped) return [];
    if (this.skipLeft > 0) {
      this.stopped = true;
      const message = `${this.where()}: truncated: it declares ${this.skipLen} data bytes (above maxRecordBytes, so it was skipped, not read), and the file ends ${this.skipLeft} bytes before its end`;
      return [{ kind: 'stop', code: 'truncated', index: this.index, offset: this.offset, message }];
    }
    if (this.carried === 0) return [];
    const buf = Buffer.concat(this.carry, this.carried);
    this.carry = [];
    this.carried = 0;
    this.stopped = true;
    const at = this.where();
    const message =
      buf.length < HEADER_BYTES
        ? `${at}: truncated: expected a ${HEADER_BYTES}-byte record header, got ${buf.length} bytes before the end of the file`
        : `${at}: truncated: expected ${HEADER_BYTES + buf.readUInt32LE(0) + FOOTER_BYTES} bytes (header, ${buf.readUInt32LE(0)} data bytes, CRC), got ${buf.length} before the end of the file`;
    return [{ kind: 'stop', code: 'truncated', index: this.index, offset: this.offset, message }];
  }

  private pendingStop: FrameEvent | null = null;

  /** The data length of the record at `pos`, or null (and a pending stop) when it is corrupt. */
  private length(buf: Buffer, pos: number): number | null {
    const lo = buf.readUInt32LE(pos);
    const hi = buf.readUInt32LE(pos + 4);
    const at = this.where();
    if (this.verifyCrc) {
      const stored = buf.readUInt32LE(pos + 8);
      const actual = maskedCrc32c(buf.subarray(pos, pos + 8));
      if (stored !== actual) {
        this.stop(`${at}: corrupt length: masked CRC32C of the length is ${hex(stored)} in the file, expected ${hex(actual)}`);
        return null;
      }
    }
    const len = hi * 2 ** 32 + lo;
    if (len >= MAX_RECORD_BYTES) {
      this.stop(`${at}: corrupt length: expected a record under ${MAX_RECORD_BYTES} bytes, got ${len}`);
      return null;
    }
    return len;
  }

  private stop(message: string): void {
    this.stopped = true;
    this.carry = [];
    this.carried = 0;
    this.pendingStop = { kind: 'stop', code: 'bad-length', index: this.index, offset: this.offset, message };
  }

  private flushStop(out: FrameEvent[]): FrameEvent[] {
    if (this.pendingStop) out.push(this.pendingStop);
    this.pendingStop = null;
    return out;
  }

  private record(buf: Buffer, pos: number, len: number): FrameEvent {
    const data = buf.subarray(pos + HEADER_BYTES, pos + HEADER_BYTES + len);
    const index = this.index++;
    const offset = this.offset;
    this.offset += HEADER_BYTES + len + FOOTER_BYTES;
    if (this.verifyCrc) {
      const stored = buf.readUInt32LE(pos + HEADER_BYTES + len);
      const actual = maskedCrc32c(data);
      if (stored !== actual) {
        return { kind: 'crc', data, index, offset, message: `${this.where(index, offset)}: data CRC mismatch: masked CRC32C is ${hex(stored)} in the file, expected ${hex(actual)} for its ${len} data bytes` };
      }
    }
    return { kind: 'record', data, index, offset };
  }
}
