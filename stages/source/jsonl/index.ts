import { isUtf8 } from 'node:buffer';
import h from 'highland';
import type Highland from 'highland';
import { defineStage, type Chunk, type ChunkStream } from '../../../src/core/stage.js';
import type { Partition, RawRecord } from '../../../src/core/types.js';
import { byteStream, checkInput, lineBoundaries, planByteRanges, pushChunks, utf8Problem } from '../../../src/core/partitioning.js';
import { RAW_LIMIT, RecordError, toFailure } from '../../../src/core/failure.js';
import { describeError } from '../../../src/core/errors.js';
import { isGzip, isZlibError, maybeGunzip, withoutOffsets } from '../shared/compression.js';
import { DEFAULT_MAX_RECORD_BYTES, recordLimit, textLimit, tooLarge } from '../shared/limits.js';
import { jsonlSourceMeta, type JsonlSourceOptions } from './schema.js';

const LF = 0x0a;
const CR = 0x0d;

/** True when bytes [s, e) hold only spaces and tabs: a blank line, which is not a record. */
function blank(buf: Buffer, s: number, e: number): boolean {
  for (let i = s; i < e; i++) {
    const b = buf[i];
    if (b !== 0x20 && b !== 0x09) return false;
  }
  return true;
}

/**
 * A highland `consume` handler that cuts the bytes of one partition into lines: one RawRecord
 * per non-blank line, `raw` without its `\n` (and `\r`), `offset` its byte offset in the file,
 * `index` its line number among records (null when the file is split: counting would need a
 * second pass). A line cut across reads is carried over; one chunk goes out per read. A line
 * longer than `limit` bytes is a `too-large` Failure: once the carried bytes pass the limit they
 * are dropped and the rest of the line is only counted. A zlib error (a cut gzip file) ends the
 * partition with one `gzip` Failure after the records before it.
 *
 * @example
 * byteStream(readable).consume(lineRecords(partition, 256 * 1024 * 1024))
 */
export function lineRecords(
  partition: Partition,
  limit: number = DEFAULT_MAX_RECORD_BYTES,
): (err: Error, buf: Buffer | Highland.Nil, push: (err: Error | null, value?: Chunk<RawRecord> | Highland.Nil) => void, next: () => void) => void {
  const source = partition.source;
  const counted = !partition.split;
  let index = 0;
  let offset = partition.start; // file offset of the next line's first byte
  let carry: Buffer[] = []; // a line started in earlier reads
  let carried = 0;
  let skipped = -1; // bytes of a too-large line dropped so far, or -1
  let head: Buffer = Buffer.alloc(0); // the first bytes of a skipped line, for its error row

  // Bytes [s, e) of `buf` are one line without its `\n`; `span` is the line's length in the file with it.
  // `checked`: the bytes are known to be valid UTF-8 (their whole read was), so no per-line check.
  const take = (out: Chunk<RawRecord>, buf: Buffer, s: number, e: number, span: number, checked = false): void => {
    if (e > s && buf[e - 1] === CR) e--;
    if (e - s > limit) {
      out.push(tooLarge({ source, index: counted ? index++ : null, offset }, e - s, limit, buf.toString('utf8', s, Math.min(e, s + RAW_LIMIT))));
    } else if (e > s && !((buf[s] === 0x20 || buf[s] === 0x09) && blank(buf, s, e))) {
      // Only a line that starts with a space or tab can be blank: the common line costs one compare.
      let raw = buf.toString('utf8', s, e);
      // A byte-order mark at the start of the file would make JSON.parse fail on a good first line.
      if (offset === 0 && raw.charCodeAt(0) === 0xfeff) raw = raw.slice(1);
      const bad = checked ? null : utf8Problem(buf, s, e);
      const record = { source, index: counted ? index++ : null, offset, raw };
      out.push(bad ? toFailure('source', record, new RecordError('utf8', bad)) : record);
    }
    offset += span;
  };

  // The end of a skipped line (`rest` more bytes, `nl` whether a \n ended it): its Failure.
  const endSkip = (out: Chunk<RawRecord>, rest: number, nl: boolean): void => {
    const size = skipped + rest;
    out.push(tooLarge({ source, index: counted ? index++ : null, offset }, size, limit, head.toString('utf8')));
    offset += size + (nl ? 1 : 0);
    skipped = -1;
  };

  return (err, buf, push, next) => {
    if (err) {
      carry = [];
      carried = 0;
      if (isZlibError(err)) {
        // Records decompressed before the damage are real; the cut line and the rest are one Failure.
        const failure = new RecordError('gzip', `corrupt gzip stream after ${offset} uncompressed bytes: ${describeError(err)}; the rest of the file was not read as records`);
        push(null, [toFailure('source', { source, index: counted ? index : null, offset, raw: null }, failure)]);
      } else push(err); // A storage error fails the partition (the engine retries it); a cut line must not pass as a record.
      push(null, h.nil);
      return;
    }
    if (h.isNil(buf)) {
      const out: Chunk<RawRecord> = [];
      if (skipped >= 0) endSkip(out, 0, false);
      else if (carried > 0) {
        const line = Buffer.concat(carry, carried);
        take(out, line, 0, line.length, line.length);
      }
      pushChunks(out, push);
      push(null, h.nil);
      return;
    }
    const out: Chunk<RawRecord> = [];
    let pos = 0;
    let nl = buf.indexOf(LF, 0);
    if (skipped >= 0) {
      if (nl === -1) {
        skipped += buf.length;
        next();
        return;
      }
      endSkip(out, nl, true);
      pos = nl + 1;
      nl = buf.indexOf(LF, pos);
    } else if (carried > 0) {
      if (nl === -1) {
        carry.push(buf);
        carried += buf.length;
        if (carried > limit) {
          // Past the limit: stop holding the line, keep only its start for the error row.
          head = Buffer.concat(carry, carried).subarray(0, RAW_LIMIT);
          skipped = carried;
          carry = [];
          carried = 0;
        }
        next();
        return;
      }
      // Only the one line that spans reads is copied; every other line decodes straight from the read.
      carry.push(buf.subarray(0, nl));
      const line = Buffer.concat(carry, carried + nl);
      carry = [];
      carried = 0;
      take(out, line, 0, line.length, line.length + 1);
      pos = nl + 1;
      nl = buf.indexOf(LF, pos);
    }
    // One check of the whole read instead of one per line (a line of a valid read is valid: a
    // newline byte is never inside a multi-byte character). A read that starts or ends inside a
    // character fails it, and its lines are checked one by one.
    const checked = nl !== -1 && isUtf8(buf);
    while (nl !== -1) {
      take(out, buf, pos, nl, nl - pos + 1, checked);
      pos = nl + 1;
      nl = buf.indexOf(LF, pos);
    }
    if (pos < buf.length) {
      if (buf.length - pos > limit) {
        head = Buffer.from(buf.subarray(pos, pos + RAW_LIMIT));
        skipped = buf.length - pos;
      } else {
        carry.push(buf.subarray(pos));
        carried = buf.length - pos;
      }
    }
    pushChunks(out, push);
    next();
  };
}

/**
 * `source/jsonl`: one record per line of JSON Lines files. Large files are cut into byte ranges
 * aligned on line starts at plan time (one short read per cut).
 *
 * @example
 * { "type": "jsonl", "uri": "data/ratings-*.jsonl" }
 */
export default defineStage<JsonlSourceOptions>()({
  ...jsonlSourceMeta,
  examples: [{ uri: 'data/ratings-*.jsonl' }, { uri: 'data/' }],
  check: (options, ctx) => checkInput(options.uri, ctx),
  plan: (options, ctx) =>
    planByteRanges(
      options.uri,
      ctx,
      (file, bytes) => lineBoundaries(ctx.storage, file, bytes),
      (file) => isGzip(ctx.storage, file, options.compression ?? 'auto'),
    ),
  create(options, ctx) {
    const limit = textLimit(recordLimit(options));
    return {
      read(part): ChunkStream<RawRecord> {
        const p = part.partition;
        // An empty file is a partition too (the plan names every input file), with nothing to read.
        if (p.end <= p.start) return h<Chunk<RawRecord>>([]);
        if (p.split) return byteStream(ctx.storage.read(p.uri, { start: p.start, end: p.end })).consume(lineRecords(p, limit));
        // A whole file may be gzip (a cut range never is): its lines are known by index, not offset.
        return h(isGzip(ctx.storage, p, options.compression ?? 'auto'))
          .map((gzip) => {
            const lines = maybeGunzip(ctx.storage.read(p.uri, { start: p.start, end: p.end }), gzip).consume(lineRecords(p, limit));
            return gzip ? lines.map(withoutOffsets) : lines;
          })
          .sequence() as unknown as ChunkStream<RawRecord>;
      },
    };
  },
});
