import h from 'highland';
import type Highland from 'highland';
import type { Readable } from 'node:stream';
import { parse, type Options } from 'csv-parse/sync';
import { defineStage, type Chunk, type ChunkStream } from '../../../src/core/stage.js';
import type { Failure, Partition, RawRecord } from '../../../src/core/types.js';
import { SluiceError, describeError } from '../../../src/core/errors.js';
import { RAW_LIMIT, RecordError, toFailure } from '../../../src/core/failure.js';
import { byteStream, checkInput, planByteRanges, pushChunks, utf8Problem } from '../../../src/core/partitioning.js';
import type { FileInfo, Storage } from '../../../src/storage/types.js';
import { QuoteScanner, blankLine, csvBoundaries, csvDialect, dialectProblems, type QuoteFreeRun } from './scan.js';
import { isGzip, isZlibError, maybeGunzip, withoutOffsets } from '../shared/compression.js';
import { recordLimit, textLimit, tooLarge } from '../shared/limits.js';
import { csvSourceMeta, type CsvSourceOptions } from './schema.js';

const LF = 0x0a;
const CR = 0x0d;
type Push = (err: Error | null, value?: Chunk<RawRecord> | Highland.Nil) => void;

/** csv-parse options: it only splits fields; record boundaries come from the QuoteScanner. */
function parseOptions(options: CsvSourceOptions, atFileStart: boolean): Options {
  return {
    delimiter: options.delimiter,
    quote: options.quote,
    ...(options.escape !== undefined ? { escape: options.escape } : {}),
    // Both endings, explicitly: auto-detection fixes one from the first line and then fails on the other.
    record_delimiter: ['\r\n', '\n'],
    // The column count is checked per record, so a short row is a Failure and reading goes on.
    relax_column_count: true,
    skip_empty_lines: true,
    // Only where the file starts: elsewhere a leading U+FEFF is data.
    bom: atFileStart,
  };
}

/** One line from a csv-parse error; its line numbers count from where a parse call began, so they go. */
function parseMessage(err: unknown): string {
  return describeError(err).replace(/ (at|on) line \d+/g, '');
}

/** Collects the end offset (just after the `\n`) of every record end in a quote-free run. */
function collectEnds(ends: number[]): QuoteFreeRun {
  return (buf, at, p, stop) => {
    for (let nl = buf.indexOf(LF, p); nl !== -1 && nl < stop; nl = buf.indexOf(LF, nl + 1)) ends.push(at + nl + 1);
    return false;
  };
}

/** The header (column names) of a CSV file, read from its start, for a range that starts later. */
async function readHeader(storage: Storage, uri: string, options: CsvSourceOptions): Promise<string[] | Error> {
  const scanner = new QuoteScanner(csvDialect(options), true);
  const ends: number[] = [];
  const run = collectEnds(ends);
  const readable = storage.read(uri);
  let data: Buffer = Buffer.alloc(0);
  let start = 0;
  const header = (end: number): string[] | Error => {
    try {
      return (parse(data.subarray(start, end), parseOptions(options, start === 0)) as string[][])[0] ?? [];
    } catch (err) {
      return new Error(parseMessage(err));
    }
  };
  try {
    for await (const buf of readable as AsyncIterable<Buffer>) {
      const at = data.length;
      data = at === 0 ? buf : Buffer.concat([data, buf]);
      scanner.feed(buf, at, run);
      for (const end of ends) {
        if (!blankLine(data, start, end)) return header(end);
        start = end;
      }
      ends.length = 0;
    }
    return header(data.length);
  } finally {
    readable.destroy();
  }
}

/** The first column name that appears twice, else undefined: fields by column cannot hold both. */
export function twice(names: string[]): string | undefined {
  // A Set, not indexOf: a header of 200,000 columns is checked in milliseconds, not a minute.
  const seen = new Set<string>();
  for (const n of names) {
    if (seen.has(n)) return n;
    seen.add(n);
  }
  return undefined;
}

/**
 * A highland `consume` handler that reads the bytes of one CSV range: the QuoteScanner finds
 * each record's bytes, csv-parse splits the fields of all the records of a read in one call.
 * One RawRecord per row (`fields` by column, `raw` the row's text, `offset` its byte offset,
 * `index` its row number after the header, null when the file is split). A row with the wrong
 * number of cells is a Failure (`bad-csv`) and reading goes on; a row csv-parse rejects (an
 * unclosed quote) ends the range with one Failure for the rest of it.
 *
 * @example
 * byteStream(readable).consume(csvRecords(partition, options, null, readable))
 */
export function csvRecords(partition: Partition, options: CsvSourceOptions, header: string[] | null, readable: Readable) {
  const { source, start } = partition;
  const counted = !partition.split;
  const opts = parseOptions(options, false);
  const optsAtStart = parseOptions(options, true);
  const scanner = new QuoteScanner(csvDialect(options), start === 0);
  const ends: number[] = [];
  const run = collectEnds(ends);
  let names = header;
  // A column named "__proto__" would set the prototype through plain assignment.
  let plain = !header?.includes('__proto__');
  let index = 0;
  let pending: Buffer = Buffer.alloc(0); // bytes from `lastEnd` that are not yet a whole record
  let lastEnd = start;
  let first = true;
  let stopped = false;
  let out: Array<RawRecord | Failure> = [];
  const limit = textLimit(recordLimit(options));

  // One record: bytes [s, e) of `data` (which starts at file offset `at`) and its cells.
  // Returns a message when the range must stop (a header naming a column twice).
  const emit = (data: Buffer, at: number, s: number, e: number, cells: string[]): string | null => {
    if (names === null) {
      names = cells;
      plain = !names.includes('__proto__');
      const name = twice(names);
      return name === undefined ? null : `the header names column "${name}" twice`;
    }
    let end = e;
    if (end > s && data[end - 1 - at] === LF) end--;
    if (end > s && data[end - 1 - at] === CR) end--;
    const raw = data.toString('utf8', s - at, end - at);
    const i = counted ? index : null;
    index++;
    const bad = utf8Problem(data, s - at, end - at);
    if (bad) {
      out.push(toFailure('source', { source, index: i, offset: s, raw }, new RecordError('utf8', bad)));
      return null;
    }
    if (cells.length !== names.length) {
      const err = new RecordError('bad-csv', `expected ${names.length} columns (as in the header), got ${cells.length}`);
      out.push(toFailure('source', { source, index: i, offset: s, raw }, err));
      return null;
    }
    const fields: Record<string, string> = {};
    if (plain) for (let c = 0; c < names.length; c++) fields[names[c]!] = cells[c]!;
    else for (let c = 0; c < names.length; c++) Object.defineProperty(fields, names[c]!, { value: cells[c], enumerable: true, writable: true, configurable: true });
    out.push({ source, index: i, offset: s, raw, fields });
    return null;
  };

  // A record of `size` bytes above the limit, from file offset `s`: a Failure, counted like a row.
  const tooBig = (s: number, size: number, head: Buffer, why = ''): void => {
    const i = counted ? index : null;
    index++;
    const failure = tooLarge({ source, index: i, offset: s }, size, limit, head.toString('utf8', 0, Math.min(head.length, RAW_LIMIT)));
    out.push(why ? { ...failure, error: failure.error + why } : failure);
  };

  // The records of `data` (from file offset `at`) that end at the offsets `upTo`; false when the range stopped.
  const records = (data: Buffer, at: number, upTo: number[]): boolean => {
    // Each line in order: a row to parse, a blank line, or a record above the limit. In a
    // one-column CSV a blank line is a record with an empty field (RFC 4180); with more columns
    // it cannot hold the row and is not a record (as in pandas and Python's csv.DictReader).
    const items: Array<{ s: number; e: number; kind: 'row' | 'blank' | 'big' }> = [];
    const spans: number[] = []; // start, end pairs of the rows, parsed in one call
    let s = lastEnd;
    for (const e of upTo) {
      if (e - s > limit) items.push({ s, e, kind: 'big' });
      else if (!blankLine(data, s - at, e - at)) {
        items.push({ s, e, kind: 'row' });
        spans.push(s, e);
      } else items.push({ s, e, kind: 'blank' });
      s = e;
    }
    let cells: string[][] | null = null;
    // One parse call over the rows, unless a record above the limit lies between them.
    if (spans.length > 0 && !items.some((it) => it.kind === 'big')) {
      try {
        cells = parse(data.subarray(spans[0]! - at, spans[spans.length - 1]! - at), spans[0] === 0 ? optsAtStart : opts) as string[][];
      } catch {
        // Parsed record by record below, to keep the records before the bad one.
      }
    }
    if (cells && cells.length * 2 !== spans.length) cells = null;
    let r = 0;
    for (const { s, e, kind } of items) {
      lastEnd = s;
      if (kind === 'big') {
        if (names === null) {
          restFails(data, at, `the header row is larger than maxRecordBytes (${limit})`);
          return false;
        }
        tooBig(s, e - s, data.subarray(s - at, s - at + RAW_LIMIT));
        lastEnd = e;
        continue;
      }
      if (kind === 'blank') {
        if (names !== null && names.length === 1) emit(data, at, s, e, ['']);
        lastEnd = e;
        continue;
      }
      let row = cells ? cells[r]! : null;
      r++;
      let problem: string | null = null;
      if (!row) {
        try {
          const one = parse(data.subarray(s - at, e - at), s === 0 ? optsAtStart : opts) as string[][];
          if (one.length === 1) row = one[0]!;
          else problem = `expected one CSV record from offset ${s} to ${e}, got ${one.length}`;
        } catch (err) {
          problem = parseMessage(err);
        }
      }
      if (row) {
        problem = emit(data, at, s, e, row);
        lastEnd = e;
      }
      if (problem !== null) {
        restFails(data, at, problem);
        return false;
      }
    }
    if (upTo.length > 0) lastEnd = upTo[upTo.length - 1]!;
    return true;
  };

  // One Failure for the rest of the range, from `lastEnd` (past empty lines), and no more reading.
  const restFails = (data: Buffer, at: number, message: string): void => {
    stopped = true;
    let s = lastEnd;
    while (s - at < data.length && (data[s - at] === LF || data[s - at] === CR)) s++;
    const raw = data.toString('utf8', s - at, Math.min(data.length, s - at + RAW_LIMIT));
    const err = new RecordError('bad-csv', `${message}; the rest of the range (${partition.end - s} bytes from offset ${s}) was not read as records`);
    out.push(toFailure('source', { source, index: counted ? index : null, offset: s, raw }, err));
    readable.destroy();
  };

  // While skipping a record above the limit: where it starts, its first bytes, and the file
  // offset of the next read. Its bytes go through the scanner (to find its end), not into memory.
  let skipFrom: number | null = null;
  let skipHead: Buffer = Buffer.alloc(0);
  let readAt = start;

  return (err: Error, buf: Buffer | Highland.Nil, push: Push, next: () => void): void => {
    if (stopped) return;
    if (err) {
      stopped = true;
      if (isZlibError(err)) {
        // A cut or corrupt gzip stream: the records before it stand, the rest is one Failure.
        const at = skipFrom ?? lastEnd;
        const raw = (skipFrom !== null ? skipHead : pending).toString('utf8', 0, RAW_LIMIT);
        const failure = new RecordError('gzip', `corrupt gzip stream after ${at} uncompressed bytes: ${describeError(err)}; the rest of the file was not read as records`);
        out.push(toFailure('source', { source, index: counted ? index : null, offset: at, raw }, failure));
        pushChunks(out, push);
      } else push(err); // A storage error fails the partition (the engine retries it).
      push(null, h.nil);
      return;
    }
    if (h.isNil(buf)) {
      // The last record may lack its `\n`.
      if (skipFrom !== null) tooBig(skipFrom, readAt - skipFrom, skipHead, ' (it has no end before the end of the range: an unclosed quote?)');
      else if (pending.length > 0) records(pending, lastEnd, [lastEnd + pending.length]);
      pushChunks(out, push);
      push(null, h.nil);
      return;
    }
    const name = first && header ? twice(header) : undefined;
    first = false;
    ends.length = 0;
    if (name !== undefined) {
      restFails(buf, lastEnd, `the header names column "${name}" twice`);
    } else if (skipFrom !== null) {
      scanner.feed(buf, readAt, run);
      const bufAt = readAt;
      readAt += buf.length;
      if (ends.length > 0) {
        // The skipped record ends in this read: fail it, then go on with the records after it.
        tooBig(skipFrom, ends[0]! - skipFrom, skipHead);
        skipFrom = null;
        lastEnd = ends[0]!;
        if (records(buf, bufAt, ends.slice(1))) keep(buf, bufAt);
      }
    } else {
      const at = lastEnd;
      // Usually `pending` is the start of one record: the copy is about one read.
      const data = pending.length === 0 ? buf : Buffer.concat([pending, buf]);
      scanner.feed(buf, at + pending.length, run);
      readAt = at + data.length;
      if (records(data, at, ends)) keep(data, at);
    }
    const chunk = out;
    out = [];
    pushChunks(chunk, push);
    if (stopped) push(null, h.nil);
    else next();
  };

  // Keeps the bytes of `data` after the last record end as the start of the next record, or
  // starts skipping them when they already exceed the limit.
  function keep(data: Buffer, at: number): void {
    pending = data.subarray(lastEnd - at);
    if (pending.length > limit) {
      skipFrom = lastEnd;
      skipHead = Buffer.from(pending.subarray(0, RAW_LIMIT));
      pending = Buffer.alloc(0);
    }
  }
}

/**
 * `source/csv`: one record per row of CSV files with a header row. Large files are cut into
 * byte ranges on record boundaries found by a quote-aware scan at plan time; a range that does
 * not start at byte 0 reads the header from the file's start.
 *
 * @example
 * { "type": "csv", "uri": "data/houses.csv", "delimiter": ";" }
 */
export default defineStage<CsvSourceOptions>()({
  ...csvSourceMeta,
  examples: [{ uri: 'data/houses.csv', delimiter: ',', quote: '"' }, { uri: 'data/*.tsv', delimiter: '\t', quote: '' }],
  async check(options, ctx) {
    return [...dialectProblems(options, ctx.path), ...(await checkInput(options.uri, ctx))];
  },
  async plan(options, ctx) {
    const problems = dialectProblems(options, ctx.path);
    if (problems.length) throw new SluiceError('CONFIG_INVALID', problems);
    const dialect = csvDialect(options);
    const gzip = (file: FileInfo) => isGzip(ctx.storage, file, options.compression ?? 'auto');
    return planByteRanges(options.uri, ctx, (file, bytes) => csvBoundaries(ctx.storage, file, bytes, dialect), gzip);
  },
  create(options, ctx) {
    return {
      read(part): ChunkStream<RawRecord> {
        const p = part.partition;
        // An empty file is a partition too (the plan names every input file), with nothing to read.
        if (p.end <= p.start) return h<Chunk<RawRecord>>([]);
        const records = (header: string[] | null): ChunkStream<RawRecord> => {
          const readable = ctx.storage.read(p.uri, { start: p.start, end: p.end });
          return byteStream(readable).consume(csvRecords(p, options, header, readable));
        };
        if (p.start === 0) {
          // A whole file may be gzip (a cut range never is): its rows are known by index, not offset.
          return h(isGzip(ctx.storage, p, options.compression ?? 'auto'))
            .map((gzip) => {
              if (!gzip) return records(null);
              const readable = ctx.storage.read(p.uri, { start: 0, end: p.size });
              return maybeGunzip(readable, true).consume(csvRecords(p, options, null, readable)).map(withoutOffsets);
            })
            .sequence() as unknown as ChunkStream<RawRecord>;
        }
        return h(readHeader(ctx.storage, p.uri, options)).flatMap((header) => {
          if (Array.isArray(header)) return records(header);
          const err = new RecordError('bad-csv', `the header row cannot be parsed: ${header.message}; the range (${p.end - p.start} bytes from offset ${p.start}) was not read`);
          return h([[toFailure('source', { source: p.source, index: null, offset: p.start, raw: null }, err)] as Chunk<RawRecord>]);
        });
      },
    };
  },
});
