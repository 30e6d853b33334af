/**
 * Record boundaries in CSV bytes. A record may hold line breaks inside quotes, so a `\n` ends a
 * record only outside quotes, and only a scan from a record start knows which. The scan is a
 * tight loop of `Buffer.indexOf` jumps (quote to quote, newline to newline) with its state
 * carried across reads. The planner runs it once per file larger than a partition (a
 * sequential read from the file's start, about 1 s per GB from a local disk, stopping at the
 * last cut); the reader runs it over its range to know each record's bytes, so csv-parse only
 * splits fields, in one call per read.
 */
import type { FileInfo, Storage } from '../../../src/storage/types.js';
import { nominalCuts } from '../../../src/sdk.js';
import type { CsvSourceOptions } from './schema.js';

const LF = 0x0a;
const CR = 0x0d;

/** The bytes that matter to record boundaries; `quote` is -1 when quoting is off. */
export interface CsvDialect {
  delimiter: number;
  quote: number;
  escape: number;
}

/**
 * The byte codes of a dialect's characters (`dialectProblems` checks they are ASCII).
 *
 * @example
 * csvDialect({ uri: 'a.csv', delimiter: ';', quote: '' }) // { delimiter: 59, quote: -1, escape: 34 }
 */
export function csvDialect(options: CsvSourceOptions): CsvDialect {
  return {
    delimiter: options.delimiter.charCodeAt(0),
    quote: options.quote === '' ? -1 : options.quote.charCodeAt(0),
    // csv-parse's default escape is `"` whatever the quote: mirror it, or boundaries would differ.
    escape: (options.escape ?? '"').charCodeAt(0),
  };
}

/**
 * Config problems of a dialect that the schema cannot express, one line each.
 *
 * @example
 * dialectProblems({ uri: 'a.csv', delimiter: '§', quote: '"' }, '/source')
 * // ['/source/delimiter: must be one ASCII character other than a line break, got "§"']
 */
export function dialectProblems(options: CsvSourceOptions, path: string): string[] {
  const problems: string[] = [];
  const ascii = (c: string) => c.length === 1 && c.charCodeAt(0) < 0x80 && c !== '\n' && c !== '\r';
  for (const name of ['delimiter', 'quote', 'escape'] as const) {
    const value = options[name];
    if (value === undefined || (name === 'quote' && value === '')) continue;
    if (!ascii(value)) problems.push(`${path}/${name}: must be one ASCII character other than a line break, got ${JSON.stringify(value)}`);
  }
  if (options.delimiter === options.quote) problems.push(`${path}/quote: must differ from the delimiter, got ${JSON.stringify(options.quote)} for both`);
  return problems;
}

/**
 * Called with each run of bytes [p, stop) of `buf` (at file offset `at`) that lies outside
 * quotes: every `\n` in it ends a record. Returning true stops the scan.
 */
export type QuoteFreeRun = (buf: Buffer, at: number, p: number, stop: number) => boolean;

/**
 * Tracks quoting across reads, the way csv-parse does: a quote opens a quoted field only at a
 * field's start; inside, a doubled quote (or the escape and any byte) is data.
 *
 * @example
 * const scanner = new QuoteScanner(csvDialect(options), start === 0);
 * scanner.feed(buf, at, (b, at, p, stop) => { ...; return false; });
 */
export class QuoteScanner {
  private inQuote = false;
  /** 1: inside quotes, the last read ended on a quote (the next byte says which); 2: on an escape. */
  private pending: 0 | 1 | 2 = 0;
  /** The last byte of the previous read; -1 at a record start (a field start). */
  private prev = -1;
  /** Where the first field starts: after a UTF-8 byte-order mark at the file's start (csv-parse skips it). */
  private firstField = -1;

  constructor(private readonly d: CsvDialect, private readonly atFileStart: boolean) {}

  /** Scans one read; true when `run` asked to stop. */
  feed(buf: Buffer, at: number, run: QuoteFreeRun): boolean {
    const d = this.d;
    const len = buf.length;
    if (this.firstField < 0) this.firstField = this.atFileStart && len >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf ? at + 3 : at;
    let p = 0;
    if (this.pending === 1) {
      this.pending = 0;
      if (buf[0] === d.quote) p = 1; // a doubled quote: still inside
      else this.inQuote = false;
    } else if (this.pending === 2) {
      this.pending = 0;
      p = 1; // the escaped byte
    }
    let escapeAt = -1; // the next escape (when it differs from the quote), found once per stretch; -2: none left
    while (p < len) {
      if (this.inQuote) {
        const q = buf.indexOf(d.quote, p);
        if (d.escape !== d.quote) {
          if (escapeAt !== -2 && escapeAt < p) {
            escapeAt = buf.indexOf(d.escape, p);
            if (escapeAt === -1) escapeAt = -2;
          }
          if (escapeAt >= 0 && (q === -1 || escapeAt < q)) {
            if (escapeAt + 1 === len) {
              this.pending = 2;
              break;
            }
            p = escapeAt + 2;
            continue;
          }
        } else if (q !== -1 && q + 1 === len) {
          this.pending = 1;
          break;
        } else if (q !== -1 && buf[q + 1] === d.quote) {
          p = q + 2;
          continue;
        }
        if (q === -1) break;
        this.inQuote = false;
        p = q + 1;
        continue;
      }
      const q = d.quote < 0 ? -1 : buf.indexOf(d.quote, p);
      if (run(buf, at, p, q === -1 ? len : q)) return true;
      if (q === -1) break;
      const before = q > 0 ? buf[q - 1] : this.prev;
      if (before === d.delimiter || before === LF || before === -1 || at + q === this.firstField) this.inQuote = true;
      p = q + 1;
    }
    if (len > 0) this.prev = buf[len - 1]!;
    return false;
  }
}

/**
 * True when bytes [s, e) of `buf` are an empty line (`\n` or `\r\n`), which csv-parse skips.
 *
 * @example
 * blankLine(Buffer.from('a\r\n\r\n'), 3, 5) // true
 */
export function blankLine(buf: Buffer, s: number, e: number): boolean {
  const n = e - s;
  return (n === 1 && buf[s] === LF) || (n === 2 && buf[s] === CR && buf[s + 1] === LF);
}

/**
 * Record boundaries of a CSV file for a plan: the first record end at or after each nominal
 * cut, counting cuts from the end of the header (the first non-empty line; it is not a record).
 *
 * @example
 * const cuts = await csvBoundaries(storage, file, 64 * 1024 * 1024, csvDialect(options));
 */
export async function csvBoundaries(storage: Storage, file: FileInfo, partitionBytes: number, dialect: CsvDialect): Promise<number[]> {
  const scanner = new QuoteScanner(dialect, true);
  const cuts: number[] = [];
  let header = -1;
  let recordStart = 0;
  let target = Infinity;
  let prevByte = -1; // the byte before this read, to tell `\r\n` from `\n` at a read's start

  const run: QuoteFreeRun = (buf, at, p, stop) => {
    while (header < 0) {
      const nl = buf.indexOf(LF, p);
      if (nl === -1 || nl >= stop) return false;
      const end = at + nl + 1;
      const length = end - recordStart;
      const crBefore = nl > 0 ? buf[nl - 1] === CR : prevByte === CR;
      if (length > 2 || (length === 2 && !crBefore)) {
        header = end;
        const first = nominalCuts(end, file.size, partitionBytes)[0];
        if (first === undefined) return true;
        target = first;
      }
      recordStart = end;
      p = nl + 1;
    }
    for (;;) {
      // A record end at or after the target is a `\n` at or after target - 1.
      const from = Math.max(p, target - 1 - at);
      if (from >= stop) return false;
      const nl = buf.indexOf(LF, from);
      if (nl === -1 || nl >= stop) return false;
      const end = at + nl + 1;
      if (end >= file.size) return true;
      cuts.push(end);
      target = header + (Math.floor((end - header) / partitionBytes) + 1) * partitionBytes;
      if (target >= file.size) return true;
      p = nl + 1;
    }
  };

  const readable = storage.read(file.uri);
  let at = 0;
  try {
    for await (const buf of readable as AsyncIterable<Buffer>) {
      if (scanner.feed(buf, at, run)) break;
      at += buf.length;
      prevByte = buf.length > 0 ? buf[buf.length - 1]! : prevByte;
    }
  } finally {
    readable.destroy();
  }
  return cuts;
}
