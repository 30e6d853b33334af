/**
 * `sluice init <data file> <model>`: writes a starting `pipeline.json` for your own data and
 * model, so that the first run on them is one command more. The features come from the
 * model's signature (each input's name, dtype and per-instance shape), matched to the fields of
 * a sample of the data (the first records): a field named like the input, else, for a
 * single-input model, the one field (or, in a CSV, the run of numeric columns) holding exactly
 * as many numbers as the input takes. The key is an `id`-like field when the data has one
 * (else the record's position); the other plain fields are forwarded. `validate` then runs on
 * the result.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'csv-parse/sync';
import { SluiceError } from '../core/errors.js';
import { readSignature, shortName, type ModelInput } from '../model/signature.js';

/** The project's published schema, found from where this file is installed (dist/src/cli/). */
const SCHEMA_FILE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../schemas/pipeline.schema.json');
const SAMPLE_BYTES = 256 * 1024;
const SAMPLE_RECORDS = 100;
const KEY_NAMES = ['id', 'key', 'uuid', 'guid', 'record_id', 'recordid', 'name'];

type Row = Record<string, unknown>;
type Format = 'jsonl' | 'csv';

export interface InitOptions {
  output?: string;
  force?: boolean;
}

/** The data's format from its file name. */
function formatOf(file: string): Format {
  const ext = path.extname(file.replace(/\.gz$/, '')).toLowerCase();
  if (ext === '.jsonl' || ext === '.ndjson' || ext === '.json') return 'jsonl';
  if (ext === '.csv' || ext === '.tsv') return 'csv';
  throw new SluiceError('USAGE', `${file}: sluice init reads .jsonl, .ndjson and .csv files, got "${ext || 'no extension'}"; write the config by hand for other formats (docs/config.md)`);
}

/** The first records of the file (up to 256 kB of it). */
function sample(file: string, format: Format): { rows: Row[]; columns: string[] } {
  let text: string;
  try {
    const fd = fs.openSync(file, 'r');
    const buf = Buffer.alloc(SAMPLE_BYTES);
    const n = fs.readSync(fd, buf, 0, SAMPLE_BYTES, 0);
    fs.closeSync(fd);
    text = buf.subarray(0, n).toString('utf8');
  } catch (err) {
    throw new SluiceError('INPUT_MISSING', `${file}: cannot read the data: ${(err as Error).message}`, { cause: err });
  }
  // Only whole lines: the sample may end in the middle of one.
  const whole = text.length === SAMPLE_BYTES ? text.slice(0, text.lastIndexOf('\n') + 1) : text;
  if (format === 'csv') {
    const delimiter = path.extname(file).toLowerCase() === '.tsv' ? '\t' : ',';
    const rows = parse(whole, { columns: true, skip_empty_lines: true, delimiter, to: SAMPLE_RECORDS, relax_column_count: true }) as Row[];
    const columns = (parse(whole, { delimiter, to: 1 }) as string[][])[0] ?? [];
    return { rows: rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, cellValue(v as string)]))), columns };
  }
  const rows: Row[] = [];
  for (const line of whole.split('\n')) {
    if (rows.length >= SAMPLE_RECORDS || !line.trim()) continue;
    try {
      const value = JSON.parse(line);
      if (value && typeof value === 'object' && !Array.isArray(value)) rows.push(value);
    } catch {
      // A bad line is the run's business (an error row), not the config's.
    }
  }
  return { rows, columns: [...new Set(rows.flatMap((r) => Object.keys(r)))] };
}

/** A CSV cell as JSON where it is a number or a JSON array, else the text. */
function cellValue(cell: string): unknown {
  const t = cell.trim();
  if (t !== '' && !Number.isNaN(Number(t))) return Number(t);
  if (t.startsWith('[')) {
    try {
      return JSON.parse(t);
    } catch {
      return cell;
    }
  }
  return cell;
}

const count = (value: unknown): number | null => {
  if (typeof value === 'number') return 1;
  if (!Array.isArray(value)) return null;
  let n = 0;
  for (const v of value) {
    const c = count(v);
    if (c === null) return null;
    n += c;
  }
  return n;
};

/** How a model input is fed from the data: a field, or (CSV) a run of numeric columns. */
interface Match {
  field?: string;
  columns?: string[];
  size: number;
}

function matchInput(input: ModelInput, only: boolean, rows: Row[], columns: string[], format: Format, used: Set<string>): Match | null {
  const want = input.shape && input.shape.slice(1).every((d) => d > 0) ? input.shape.slice(1).reduce((a, b) => a * b, 1) : null;
  const name = shortName(input.name).toLowerCase();
  const first = rows[0] ?? {};
  const named = columns.find((c) => c.toLowerCase() === name);
  if (named && count(first[named]) !== null) return { field: named, size: count(first[named])! };
  if (!only) return null;
  // A single input: the field holding exactly as many numbers as the input takes.
  const fits = columns.filter((c) => !used.has(c) && count(first[c]) !== null && (want === null ? count(first[c])! > 1 : count(first[c]) === want));
  if (fits.length === 1) return { field: fits[0]!, size: count(first[fits[0]!])! };
  if (format === 'csv' && want !== null && want > 1) {
    const numeric = columns.filter((c) => !used.has(c) && typeof first[c] === 'number' && !KEY_NAMES.includes(c.toLowerCase()));
    if (numeric.length >= want) return { columns: numeric.slice(0, want), size: want };
  }
  return null;
}

/**
 * Writes the starting config and returns its path and what it chose.
 *
 * @example
 * await initCommand('data/rows.csv', 'model/model.json', { output: 'pipeline.json' });
 */
export function writeStarterConfig(dataFile: string, modelFile: string, options: InitOptions = {}): { file: string; notes: string[] } {
  const out = path.resolve(options.output ?? 'pipeline.json');
  if (fs.existsSync(out) && !options.force) throw new SluiceError('USAGE', `${out} exists; pass --force to replace it, or -o to write elsewhere`);
  const format = formatOf(dataFile);
  let modelJson: unknown;
  try {
    modelJson = JSON.parse(fs.readFileSync(modelFile, 'utf8'));
  } catch (err) {
    throw new SluiceError('MODEL_INVALID', `${modelFile}: cannot read the model's JSON: ${(err as Error).message.split('\n')[0]}`, { cause: err });
  }
  const signature = readSignature(modelJson);
  const { rows, columns } = sample(dataFile, format);
  if (!rows.length) throw new SluiceError('INPUT_MISSING', `${dataFile}: no record in its first ${SAMPLE_BYTES / 1024} kB to learn the fields from`);

  const notes: string[] = [];
  const used = new Set<string>();
  const features: Record<string, Record<string, unknown>> = {};
  for (const input of signature.inputs) {
    const m = matchInput(input, signature.inputs.length === 1, rows, columns, format, used);
    const featureName = signature.inputs.length === 1 && m?.field ? m.field : shortName(input.name);
    const dims = input.shape?.slice(1) ?? [];
    const shape = dims.length && dims.every((d) => d > 0) ? dims : [m?.size ?? 1];
    const dtype = ['float32', 'int32', 'string'].includes(input.dtype) ? input.dtype : 'float32';
    features[featureName] = { dtype, shape, ...(m?.columns ? { columns: m.columns } : {}) };
    if (m?.field) used.add(m.field);
    for (const c of m?.columns ?? []) used.add(c);
    if (!m) notes.push(`model input "${input.name}" matched no field of the data: feature "${featureName}" expects a field of that name; edit decode.features`);
    else notes.push(`model input "${input.name}" ${dtype} ${JSON.stringify(shape)} ← ${m.field ? `field "${m.field}"` : `columns ${m.columns!.join(', ')}`}`);
  }
  const keyField = columns.find((c) => KEY_NAMES.includes(c.toLowerCase()) && !used.has(c) && rows.every((r) => typeof r[c] === 'string' || typeof r[c] === 'number'));
  const forward = columns.filter((c) => c !== keyField && !used.has(c) && rows.every((r) => r[c] === undefined || r[c] === null || ['string', 'number', 'boolean'].includes(typeof r[c]))).slice(0, 8);

  const dir = path.dirname(out);
  const rel = (p: string) => {
    const r = path.relative(dir, path.resolve(p)).split(path.sep).join('/');
    return r;
  };
  const config = {
    $schema: rel(SCHEMA_FILE),
    name: path.basename(dataFile).replace(/\..*$/, '') || 'pipeline',
    source: { type: format, uri: rel(dataFile) },
    decode: { type: format === 'csv' ? 'csv' : 'json', features },
    key: keyField ? { type: 'field', field: keyField, forward } : { type: 'position', forward },
    model: { type: 'tfjs', uri: rel(modelFile), batchSize: 256 },
    sink: { type: 'jsonl', uri: 'out/predictions' },
    errors: { type: 'jsonl', uri: 'out/errors' },
  };
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(out, JSON.stringify(config, null, 2) + '\n');
  notes.push(keyField ? `key: field "${keyField}"` : 'key: the record position (no id-like field in the data)');
  if (forward.length) notes.push(`forwarded to the output: ${forward.join(', ')}`);
  return { file: out, notes };
}
