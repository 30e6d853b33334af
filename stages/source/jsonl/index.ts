import h from 'highland';
import type Highland from 'highland';
import { defineStage, byteStream, checkInput, lineBoundaries, planByteRanges, pushChunks, utf8Problem, RecordError, toFailure, type Chunk, type ChunkStream, type Partition, type RawRecord } from '../../../src/sdk.js';
import { jsonlSourceSchema, type JsonlSourceOptions } from './schema.js';

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
 * second pass). A line cut across reads is carried over; one chunk goes out per read.
 *
 * @example
 * byteStream(readable).consume(lineRecords(partition))
 */
export function lineRecords(
  partition: Partition,
): (err: Error, buf: Buffer | Highland.Nil, push: (err: Error | null, value?: Chunk<RawRecord> | Highland.Nil) => void, next: () => void) => void {
  const source = partition.source;
  const counted = !partition.split;
  let index = 0;
  let offset = partition.start; // file offset of the next line's first byte
  let carry: Buffer[] = []; // a line started in earlier reads
  let carried = 0;

  // Bytes [s, e) of `buf` are one line without its `\n`; `span` is the line's length in the file with it.
  const take = (out: Chunk<RawRecord>, buf: Buffer, s: number, e: number, span: number): void => {
    if (e > s && buf[e - 1] === CR) e--;
    // Only a line that starts with a space or tab can be blank: the common line costs one compare.
    if (e > s && !((buf[s] === 0x20 || buf[s] === 0x09) && blank(buf, s, e))) {
      let raw = buf.toString('utf8', s, e);
      // A byte-order mark at the start of the file would make JSON.parse fail on a good first line.
      if (offset === 0 && raw.charCodeAt(0) === 0xfeff) raw = raw.slice(1);
      const bad = utf8Problem(buf, s, e);
      const record = { source, index: counted ? index++ : null, offset, raw };
      out.push(bad ? toFailure('source', record, new RecordError('utf8', bad)) : record);
    }
    offset += span;
  };

  return (err, buf, push, next) => {
    if (err) {
      // A storage error fails the partition (the engine retries it); a cut line must not pass as a record.
      carry = [];
      carried = 0;
      push(err);
      push(null, h.nil);
      return;
    }
    if (h.isNil(buf)) {
      if (carried > 0) {
        const line = Buffer.concat(carry, carried);
        const out: Chunk<RawRecord> = [];
        take(out, line, 0, line.length, line.length);
        pushChunks(out, push);
      }
      push(null, h.nil);
      return;
    }
    const out: Chunk<RawRecord> = [];
    let pos = 0;
    let nl = buf.indexOf(LF, 0);
    if (carried > 0) {
      if (nl === -1) {
        carry.push(buf);
        carried += buf.length;
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
    while (nl !== -1) {
      take(out, buf, pos, nl, nl - pos + 1);
      pos = nl + 1;
      nl = buf.indexOf(LF, pos);
    }
    if (pos < buf.length) {
      carry.push(buf.subarray(pos));
      carried = buf.length - pos;
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
  kind: 'source',
  type: 'jsonl',
  summary: 'Reads JSON Lines files (one record per line, blank lines skipped); large files are split into line-aligned byte ranges.',
  optionsSchema: jsonlSourceSchema,
  accepts: 'Partition',
  emits: 'RawRecord',
  examples: [{ uri: 'data/ratings-*.jsonl' }, { uri: 'data/' }],
  check: (options, ctx) => checkInput(options.uri, ctx),
  plan: (options, ctx) => planByteRanges(options.uri, ctx, (file, bytes) => lineBoundaries(ctx.storage, file, bytes)),
  create(_options, ctx) {
    return {
      read(part): ChunkStream<RawRecord> {
        const p = part.partition;
        // An empty file is a partition too (the plan names every input file), with nothing to read.
        if (p.end <= p.start) return h<Chunk<RawRecord>>([]);
        return byteStream(ctx.storage.read(p.uri, { start: p.start, end: p.end })).consume(lineRecords(p));
      },
    };
  },
});
