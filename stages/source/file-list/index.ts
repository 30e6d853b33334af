import h from 'highland';
import path from 'node:path';
import { defineStage, type ChunkStream, type SourceDefinition, type SourceInstance, type StageContext } from '../../../src/core/stage.js';
import type { RawRecord } from '../../../src/core/types.js';
import { SluiceError } from '../../../src/core/errors.js';
import { noInputLine, type PlannedPartition } from '../../../src/core/partitioning.js';
import { createAjv, formatErrors } from '../../../src/config/ajv.js';
import jsonlSource from '../jsonl/index.js';
import csvSource from '../csv/index.js';
import tfrecordSource from '../tfrecord/index.js';
import parquetSource from '../parquet/index.js';
import filesSource from '../files/index.js';
import recordioSource from '../recordio/index.js';
import { fileListSourceMeta, type FileListSourceOptions, type ListedFormat } from './schema.js';

const READERS: Record<ListedFormat, SourceDefinition> = { jsonl: jsonlSource, csv: csvSource, tfrecord: tfrecordSource, parquet: parquetSource, recordio: recordioSource, files: filesSource };

const EXTENSIONS: Array<[RegExp, ListedFormat]> = [
  [/\.(jsonl|ndjson|json)$/i, 'jsonl'],
  [/\.(csv|tsv)$/i, 'csv'],
  [/\.(tfrecords?|tfr)$/i, 'tfrecord'],
  [/\.parquet$/i, 'parquet'],
  [/\.recordio$/i, 'recordio'],
];

/** One line of the list: its number (from 1), the URI as written and resolved. */
interface Entry {
  line: number;
  written: string;
  uri: string;
}

/**
 * The entry's location: as it is when it has a scheme or is absolute, else relative to the list
 * file's directory (a list travels with its files, wherever the config is).
 *
 * @example
 * resolveEntry('a/b.jsonl', 's3://bucket/lists/inputs.txt') // 's3://bucket/lists/a/b.jsonl'
 */
export function resolveEntry(entry: string, listUri: string): string {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(entry) || path.isAbsolute(entry)) return entry;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(listUri)) return path.posix.join(path.posix.dirname(listUri), entry).replace(/^([a-z0-9+.-]+):\/(?!\/)/i, '$1://');
  return path.resolve(path.dirname(listUri), entry);
}

/** The source type of an entry: `format`, else its extension (a trailing .gz ignored); null when unknown. */
function formatOf(uri: string, options: FileListSourceOptions): ListedFormat | null {
  if (options.format) return options.format;
  const name = uri.replace(/\.gz$/i, '');
  return EXTENSIONS.find(([re]) => re.test(name))?.[1] ?? null;
}

/** The reader's options: the list's `options` with its schema's defaults, the entry as `uri`. */
function readerOptions(format: ListedFormat, options: FileListSourceOptions, uri: string, where: string): Record<string, unknown> {
  const tsv = format === 'csv' && /\.tsv(\.gz)?$/i.test(uri) && options.options?.delimiter === undefined ? { delimiter: '\t' } : {};
  const out: Record<string, unknown> = { ...options.options, ...tsv, maxRecordBytes: options.maxRecordBytes, uri };
  const validate = createAjv().compile(READERS[format].optionsSchema);
  if (!validate(out)) throw new SluiceError('CONFIG_INVALID', formatErrors(validate.errors, out, `${where}/options`));
  return out;
}

/** The entries of the list file, with config errors (one line each) for what cannot be read. */
async function readList(options: FileListSourceOptions, ctx: StageContext): Promise<Entry[]> {
  const listUri = ctx.resolve(options.uri);
  const files = await ctx.storage.list(listUri);
  if (files.length !== 1) throw new SluiceError('INPUT_MISSING', files.length === 0 ? noInputLine(options.uri, ctx) : `${ctx.path}/uri: expected one list file, got ${files.length} matches`);
  const text = Buffer.from(await ctx.storage.readAll(files[0]!.uri)).toString('utf8');
  const entries: Entry[] = [];
  const problems: string[] = [];
  const seen = new Map<string, number>();
  text.split('\n').forEach((raw, i) => {
    const written = raw.trim();
    if (written === '' || written.startsWith('#')) return;
    const uri = resolveEntry(written, files[0]!.uri);
    const where = `${ctx.path}/uri: ${options.uri} line ${i + 1}`;
    if (seen.has(uri)) problems.push(`${where}: "${written}" repeats line ${seen.get(uri)} (its records would be read twice)`);
    else if (formatOf(uri, options) === null) problems.push(`${where}: cannot tell the source type of "${written}" from its extension; set format`);
    seen.set(uri, i + 1);
    entries.push({ line: i + 1, written, uri });
  });
  if (problems.length > 0) throw new SluiceError('CONFIG_INVALID', problems);
  if (entries.length === 0) throw new SluiceError('INPUT_MISSING', `${ctx.path}/uri: ${options.uri} lists no input`);
  return entries;
}

/** Plans every entry with the source of its type, in list order; a problem names the list's line. */
async function planList(options: FileListSourceOptions, ctx: StageContext): Promise<PlannedPartition[]> {
  const out: PlannedPartition[] = [];
  for (const entry of await readList(options, ctx)) {
    const format = formatOf(entry.uri, options)!;
    const where = `${ctx.path}/uri: ${options.uri} line ${entry.line}`;
    const readerOpts = readerOptions(format, options, entry.uri, ctx.path);
    try {
      out.push(...(await READERS[format].plan(readerOpts, ctx)));
    } catch (err) {
      if (err instanceof SluiceError) throw new SluiceError(err.code, err.lines.map((l) => `${where} ("${entry.written}"): ${l.replace(/^\/\S*: /, '')}`));
      throw err;
    }
  }
  return out;
}

/**
 * `source/file-list`: a text file naming the inputs, one URI per line (Vertex AI's file list);
 * each entry is planned and read by the source of its type (by `format` or its extension).
 *
 * @example
 * { "type": "file-list", "uri": "inputs.txt" }
 */
export default defineStage<FileListSourceOptions>()({
  ...fileListSourceMeta,
  examples: [{ uri: 'inputs.txt' }, { uri: 's3://bucket/batch/inputs.txt', format: 'csv', options: { delimiter: ';' } }],
  async check(options, ctx) {
    try {
      await planList(options, ctx);
      return [];
    } catch (err) {
      if (err instanceof SluiceError) return err.lines;
      throw err;
    }
  },
  plan: planList,
  async create(options, ctx) {
    // One reader per type (tsv apart: its delimiter differs), made on first use; a partition's
    // type follows from its file as at plan time.
    const readers = new Map<string, Promise<SourceInstance>>();
    return {
      read(part): ChunkStream<RawRecord> {
        const p = part.partition;
        const format = formatOf(p.uri, options)!;
        const key = format === 'csv' && /\.tsv(\.gz)?$/i.test(p.uri) ? 'tsv' : format;
        if (!readers.has(key)) readers.set(key, Promise.resolve(READERS[format].create(readerOptions(format, options, p.uri, ctx.path), ctx)));
        return h(readers.get(key)!).flatMap((r) => r.read(part)) as unknown as ChunkStream<RawRecord>;
      },
      async close() {
        for (const r of readers.values()) await (await r).close?.();
      },
    };
  },
});
