import { stringify } from 'csv-stringify/sync';
import { defineStage, createRowWriter, shown, stringifyExact, type Row, type Json } from '../../../src/sdk.js';
import { csvSinkMeta, type CsvSinkOptions } from './schema.js';

/** The fixed columns of an error row (CONTRACT: error row). */
export const ERROR_COLUMNS = ['key', 'source', 'index', 'offset', 'stage', 'code', 'error', 'raw'] as const;

/**
 * The columns of one CSV file, fixed by its first row: error rows have the error columns;
 * prediction rows have `key`, the forwarded fields, then `prediction` (one column), or one
 * `prediction.<name>` column per entry when the prediction is an object.
 */
export type CsvLayout =
  | { kind: 'errors'; header: string[] }
  | { kind: 'predictions'; header: string[]; fields: string[]; outputs: string[] | null };

/**
 * The layout of a file whose first row is `first`. Forwarded fields come from `forward` (the
 * key stage's list, in its order), then any other field of the first row.
 *
 * @example
 * csvLayout({ key: 'a', city: 'Oslo', prediction: { class: 'dog', score: 0.9 } }, ['city']).header
 * // ['key', 'city', 'prediction.class', 'prediction.score']
 */
export function csvLayout(first: Row, forward: readonly string[]): CsvLayout {
  if (!Object.hasOwn(first, 'prediction')) return { kind: 'errors', header: [...ERROR_COLUMNS] };
  const fields = [...forward];
  for (const name of Object.keys(first)) if (name !== 'key' && name !== 'prediction' && !fields.includes(name)) fields.push(name);
  const p = first.prediction;
  const outputs = p !== null && typeof p === 'object' && !Array.isArray(p) ? Object.keys(p) : null;
  const predictionColumns = outputs ? outputs.map((name) => `prediction.${name}`) : ['prediction'];
  return { kind: 'predictions', header: ['key', ...fields, ...predictionColumns], fields, outputs };
}

/**
 * One CSV cell: numbers and strings as they are, booleans as `true`/`false`, arrays and objects
 * as JSON text, null (and a missing value) as an empty cell.
 *
 * @example
 * cell([0.1, 0.9]) // '[0.1,0.9]'
 */
export function cell(value: Json | undefined): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  return stringifyExact(value);
}

function keyText(row: Row): string {
  return row.key === undefined ? 'without a key' : `with key ${shown(row.key)}`;
}

/**
 * The cells of `row` in the columns of `layout`. A row that does not fit the file's columns
 * (an error row among predictions, an output the header lacks) throws rather than losing data.
 *
 * @example
 * const layout = csvLayout({ key: 'a', prediction: { class: 'dog', score: 0.9 } }, []);
 * csvCells({ key: 'b', prediction: { class: 'cat', score: 0.6 } }, layout) // ['b', 'cat', '0.6']
 */
export function csvCells(row: Row, layout: CsvLayout): (string | null)[] {
  const isPrediction = Object.hasOwn(row, 'prediction');
  if (layout.kind === 'errors') {
    if (isPrediction) throw new Error(`csv sink: expected an error row (columns ${ERROR_COLUMNS.join(',')}), got a prediction row ${keyText(row)}`);
    return ERROR_COLUMNS.map((c) => cell(row[c]));
  }
  if (!isPrediction) throw new Error(`csv sink: expected a prediction row (with "prediction"), got a row ${keyText(row)} and fields ${Object.keys(row).join(', ')}`);
  const cells: (string | null)[] = [cell(row.key)];
  for (const f of layout.fields) cells.push(cell(row[f]));
  // Under forward "*" rows may differ in fields: one the header lacks must not vanish silently.
  const extra = Object.keys(row).find((name) => name !== 'key' && name !== 'prediction' && !layout.fields.includes(name));
  if (extra !== undefined) throw new Error(`csv sink: the row ${keyText(row)} has field "${extra}", which the header (from the first row) lacks: ${layout.header.join(', ')}`);
  const p = row.prediction;
  if (!layout.outputs) {
    cells.push(cell(p));
    return cells;
  }
  if (p === null || typeof p !== 'object' || Array.isArray(p)) {
    throw new Error(`csv sink: expected a prediction object with ${layout.outputs.join(', ')} (the header's columns), got ${shown(p)} in the row ${keyText(row)}`);
  }
  for (const name of Object.keys(p)) {
    if (!layout.outputs.includes(name)) {
      throw new Error(`csv sink: the row ${keyText(row)} has prediction "${name}", which the header (from the first row) lacks: ${layout.outputs.join(', ')}`);
    }
  }
  for (const name of layout.outputs) cells.push(cell(p[name]));
  return cells;
}

/**
 * `sink/csv`: one CSV file per partition with a header row (RFC 4180 quoting); arrays as JSON
 * text in a cell, a multi-output object as one column per output.
 *
 * @example
 * { "type": "csv", "uri": "out/predictions" }
 * // key,prediction.class,prediction.score
 * // a,dog,0.9
 */
export default defineStage<CsvSinkOptions>()({
  ...csvSinkMeta,
  examples: [{ uri: 'out/predictions', delimiter: ',', compression: 'none' }, { uri: 'out/predictions.tsv', delimiter: '\t', compression: 'gzip' }],
  outputDir: (options, ctx) => ctx.resolve(options.uri),
  create(options, ctx) {
    const dir = ctx.resolve(options.uri);
    const ext = options.compression === 'gzip' ? 'csv.gz' : 'csv';
    return {
      open(part) {
        // Per partition: every file has its own header, taken from its own first row.
        let layout: CsvLayout | undefined;
        const serialise = (rows: Row[]): string => {
          const records: (string | null)[][] = [];
          if (!layout) {
            layout = csvLayout(rows[0]!, ctx.forward);
            records.push(layout.header);
          }
          for (const row of rows) records.push(csvCells(row, layout));
          // Default record delimiter "\n": csv-stringify then also quotes cells holding "\r".
          return stringify(records, { delimiter: options.delimiter, eof: true });
        };
        return createRowWriter(part.createOutput(dir, ext), serialise, { compression: options.compression });
      },
    };
  },
});
