import { defineStage, mapRecords, RecordError, toFailure, checkFeatureSpecs, compileFeatures, type FeatureValue, type Failure, type Instance, type RawRecord } from '../../../src/sdk.js';
import { csvDecodeMeta, type CsvDecodeOptions } from './schema.js';

/**
 * Decodes one CSV row (fields by column, from `source/csv`). A row whose features fail keeps
 * its `fields` in the Failure, so the key stage can still key it.
 *
 * @example
 * decodeCsvRecord({ source: 'a.csv', index: 0, offset: 4, raw: '7,0.5', fields: { id: '7', x: '0.5' } }, compileFeatures(specs, 'csv'))
 */
export function decodeCsvRecord(record: RawRecord, decode: (fields: Record<string, unknown>) => Record<string, FeatureValue>): Instance | Failure {
  const fields = record.fields;
  if (fields === undefined || fields === null) {
    throw new RecordError('no-fields', 'expected a CSV row with fields by column (from a csv source), got a record without fields');
  }
  let features: Record<string, FeatureValue>;
  try {
    features = decode(fields);
  } catch (err) {
    return toFailure('decode', { ...record, fields }, err);
  }
  return { source: record.source, index: record.index, offset: record.offset, raw: record.raw, fields, features };
}

// Typed apart: inside the definition the dtype literals would widen to string and defeat inference.
const examples: CsvDecodeOptions[] = [
  { features: { rooms: { dtype: 'float32', shape: [1] }, loc: { dtype: 'float32', shape: [2], columns: ['lat', 'lon'] } } },
  { features: { pixels: { dtype: 'float32', shape: [784] }, city: { dtype: 'string', shape: [], default: '' } } },
];

/**
 * `decode/csv`: decodes the features of CSV rows. A feature is the column of its name (a
 * number, or a JSON array in the cell), or the cells of `columns`; an empty cell is missing.
 *
 * @example
 * { "type": "csv", "features": { "rooms": { "dtype": "float32", "shape": [1] },
 *   "loc": { "dtype": "float32", "shape": [2], "columns": ["lat", "lon"] } } }
 */
export default defineStage<CsvDecodeOptions>()({
  ...csvDecodeMeta,
  examples,
  features(options) {
    return options.features;
  },
  async check(options, ctx) {
    return checkFeatureSpecs(options.features, `${ctx.path}/features`);
  },
  create(options, ctx) {
    const decode = compileFeatures(options.features, 'csv', `${ctx.path}/features`);
    return { transform: mapRecords<RawRecord, Instance>('decode', (record) => decodeCsvRecord(record, decode)) };
  },
});
