import type { SchemaElement } from 'hyparquet-writer';
import type { Row } from '../../../src/core/stage.js';
import type { Json } from '../../../src/core/types.js';
import { shown } from '../../../src/core/errors.js';
import { stringifyExact } from '../../../src/core/exact-json.js';

/** The Parquet type of one column, chosen from the values of the file's first row group. */
export type ColumnKind = 'string' | 'double' | 'int64' | 'boolean' | 'json' | 'list<double>' | 'list<string>';

/** One output column: its name, its kind, and how to read its value from a row. */
export interface Column {
  name: string;
  kind: ColumnKind;
  get(row: Row): Json | undefined;
}

/** The error row's columns and their fixed kinds (CONTRACT: error row): every errors file has the same schema. */
const ERROR_COLUMNS: [string, ColumnKind][] = [
  ['key', 'string'],
  ['source', 'string'],
  ['index', 'int64'],
  ['offset', 'int64'],
  ['stage', 'string'],
  ['code', 'string'],
  ['error', 'string'],
  ['raw', 'string'],
];

const isObject = (v: unknown): v is Record<string, Json> => v !== null && typeof v === 'object' && !Array.isArray(v);
/** A value's type for column kinds; an integer beyond 2^53 (a bigint, core/exact-json.ts) is kept exact as its text. */
const typeName = (v: unknown): string => (typeof v === 'bigint' ? 'string' : typeof v);

/**
 * The kind that holds every value seen (nulls aside): text, numbers, booleans, flat lists of
 * numbers or of text, and JSON text for anything else (nested arrays, objects, mixed values).
 *
 * @example
 * kindOf([[0.1, 0.9], [0.5, 0.5]]) // 'list<double>'
 */
export function kindOf(values: (Json | undefined)[]): ColumnKind {
  const seen = new Set<string>();
  for (const v of values) {
    if (v === null || v === undefined) continue;
    if (Array.isArray(v)) {
      const inner = new Set(v.filter((x) => x !== null).map((x) => (Array.isArray(x) || isObject(x) ? 'nested' : typeName(x))));
      // An empty list says nothing of its elements' type: it fits a list of either.
      if (inner.size === 0) seen.add('list');
      else seen.add(inner.has('nested') || inner.size > 1 ? 'json' : inner.has('string') ? 'list<string>' : 'list<double>');
    } else seen.add(isObject(v) ? 'json' : typeName(v));
  }
  if (seen.has('list') && seen.size > 1) seen.delete('list');
  if (seen.has('list')) return 'list<double>';
  if (seen.size === 0) return 'string';
  if (seen.size > 1) return seen.has('json') || [...seen].some((k) => k.startsWith('list')) ? 'json' : 'string';
  const only = [...seen][0]!;
  return only === 'number' ? 'double' : only === 'boolean' ? 'boolean' : only === 'string' ? 'string' : (only as ColumnKind);
}

/**
 * The columns of a predictions file from its first row group: `key`, the forwarded fields
 * (the key stage's order, then any other field the rows hold), then `prediction`, or one
 * `prediction.<name>` column per output when predictions are objects (several outputs, topk).
 *
 * @example
 * predictionColumns([{ key: 'a', city: 'Oslo', prediction: [0.1, 0.9] }], ['city']).map((c) => `${c.name}:${c.kind}`)
 * // ['key:string', 'city:string', 'prediction:list<double>']
 */
export function predictionColumns(rows: readonly Row[], forward: readonly string[]): Column[] {
  const fields = [...forward];
  for (const row of rows) for (const name of Object.keys(row)) if (name !== 'key' && name !== 'prediction' && !fields.includes(name)) fields.push(name);
  const column = (name: string, get: (row: Row) => Json | undefined): Column => ({ name, get, kind: kindOf(rows.map(get)) });
  const columns = [column('key', (r) => r.key), ...fields.map((f) => column(f, (r) => r[f]))];
  const first = rows.find((r) => r.prediction !== null && r.prediction !== undefined)?.prediction;
  if (isObject(first) && rows.every((r) => r.prediction === null || isObject(r.prediction))) {
    const outputs = [...new Set(rows.flatMap((r) => (isObject(r.prediction) ? Object.keys(r.prediction) : [])))];
    for (const o of outputs) columns.push(column(`prediction.${o}`, (r) => (isObject(r.prediction) ? r.prediction[o] : undefined)));
  } else columns.push(column('prediction', (r) => r.prediction));
  return columns;
}

/** The columns of an errors file: always the same, whatever its rows. */
export function errorColumns(): Column[] {
  return ERROR_COLUMNS.map(([name, kind]) => ({ name, kind, get: (r: Row) => r[name] }));
}

/** The Parquet schema of `columns` (every column nullable; lists as the standard 3-level LIST). */
export function parquetSchema(columns: readonly Column[]): SchemaElement[] {
  const schema: SchemaElement[] = [{ name: 'root', num_children: columns.length }];
  for (const c of columns) {
    if (c.kind === 'list<double>' || c.kind === 'list<string>') {
      schema.push(
        { name: c.name, repetition_type: 'OPTIONAL', converted_type: 'LIST', num_children: 1 },
        { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
        c.kind === 'list<double>' ? { name: 'element', type: 'DOUBLE', repetition_type: 'OPTIONAL' } : { name: 'element', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' },
      );
    } else if (c.kind === 'double') schema.push({ name: c.name, type: 'DOUBLE', repetition_type: 'OPTIONAL' });
    else if (c.kind === 'int64') schema.push({ name: c.name, type: 'INT64', repetition_type: 'OPTIONAL' });
    else if (c.kind === 'boolean') schema.push({ name: c.name, type: 'BOOLEAN', repetition_type: 'OPTIONAL' });
    else schema.push({ name: c.name, type: 'BYTE_ARRAY', converted_type: c.kind === 'json' ? 'JSON' : 'UTF8', repetition_type: 'OPTIONAL' });
  }
  return schema;
}

const text = (v: Json): string | null => (typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean' ? String(v) : null);

/**
 * `value` as column `c` stores it. A value that does not fit the column's kind (fixed by the
 * file's first row group) throws, naming the column and the row's key, rather than being lost.
 * Text columns take numbers and booleans as their text (integers beyond 2^53 as their exact digits).
 */
export function cellValue(c: Column, value: Json | undefined, row: Row): unknown {
  if (value === null || value === undefined) return null;
  const fail = (): never => {
    throw new Error(`parquet sink: column "${c.name}" holds ${c.kind} (from the file's first row group), got ${shown(value)} in the row with key ${shown(row.key ?? null)}`);
  };
  switch (c.kind) {
    case 'json':
      return stringifyExact(value);
    case 'string':
      return text(value) ?? fail();
    case 'double':
      return typeof value === 'number' ? value : fail();
    case 'int64':
      return typeof value === 'number' && Number.isSafeInteger(value) ? BigInt(value) : fail();
    case 'boolean':
      return typeof value === 'boolean' ? value : fail();
    case 'list<double>':
      if (!Array.isArray(value) || value.some((x) => x !== null && typeof x !== 'number')) fail();
      return value;
    case 'list<string>':
      if (!Array.isArray(value)) fail();
      return (value as Json[]).map((x) => (x === null ? null : (text(x) ?? fail())));
  }
}

/**
 * The first field of `row` that no column holds (a forwarded field or a prediction output the
 * file's first row group lacked), so the writer can refuse the row instead of dropping data.
 */
export function unplaced(columns: readonly Column[], row: Row): string | undefined {
  const names = new Set(columns.map((c) => c.name));
  for (const name of Object.keys(row)) {
    if (name === 'prediction' && !names.has('prediction')) {
      const p = row.prediction;
      if (isObject(p)) {
        const missing = Object.keys(p).find((o) => !names.has(`prediction.${o}`));
        if (missing !== undefined) return `prediction.${missing}`;
      } else if (p !== null && p !== undefined) return 'prediction';
    } else if (!names.has(name)) return name;
  }
  return undefined;
}
