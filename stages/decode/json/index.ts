import { defineStage } from '../../../src/core/stage.js';
import type { FeatureValue, Failure, Instance, RawRecord } from '../../../src/core/types.js';
import { mapRecords } from '../../../src/core/stream.js';
import { RecordError, toFailure } from '../../../src/core/failure.js';
import { describeError } from '../../../src/core/errors.js';
import { checkFeatureSpecs, compileFeatures } from '../../../src/core/features.js';
import { checkNesting } from '../../../src/core/nesting.js';
import { jsonDecodeSchema, type JsonDecodeOptions } from './schema.js';

function typeName(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v;
}

/** The top-level scalar fields of a record too deep to carry on: enough for the key stage to key its Failure. */
function scalarFields(object: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, v] of Object.entries(object)) if (v === null || typeof v !== 'object') out[name] = v;
  return out;
}

/**
 * Decodes one JSON record: parse, require an object, decode the features. A record that parsed
 * but whose features fail keeps its `fields` in the Failure, so the key stage can still key it.
 *
 * @example
 * decodeJsonRecord({ source: 'a.jsonl', index: 0, offset: 0, raw: '{"x":[1,2]}' }, compileFeatures(specs, 'json'))
 */
export function decodeJsonRecord(record: RawRecord, decode: (fields: Record<string, unknown>) => Record<string, FeatureValue>): Instance | Failure {
  const text = typeof record.raw === 'string' ? record.raw : Buffer.from(record.raw.buffer, record.raw.byteOffset, record.raw.byteLength).toString('utf8');
  // A source that parsed its rows itself (parquet) hands over `fields`: no JSON text to parse.
  let fields: unknown = record.fields;
  if (fields === undefined) try {
    fields = JSON.parse(text);
  } catch (err) {
    throw new RecordError('bad-json', `invalid JSON: ${describeError(err)}`);
  }
  if (fields === null || typeof fields !== 'object' || Array.isArray(fields)) {
    throw new RecordError('bad-json', `expected a JSON object, got ${typeName(fields)}`);
  }
  const object = fields as Record<string, unknown>;
  let features: Record<string, FeatureValue>;
  try {
    // Records enter here: past the nesting limit a record fails alone (see core/nesting.ts).
    checkNesting(object, record.fields === undefined ? text.length : Infinity);
  } catch (err) {
    return toFailure('decode', { ...record, fields: scalarFields(object) }, err);
  }
  try {
    features = decode(object);
  } catch (err) {
    return toFailure('decode', { ...record, fields: object }, err);
  }
  return { source: record.source, index: record.index, offset: record.offset, raw: record.raw, fields: object, features };
}

// Typed apart: inside the definition the dtype literals would widen to string and defeat inference.
const examples: JsonDecodeOptions[] = [
  { features: { userId: { dtype: 'int32', shape: [1] }, movieId: { dtype: 'int32', shape: [1] } } },
  { features: { pixels: { dtype: 'float32', shape: [28, 28] }, bias: { dtype: 'float32', shape: [], default: 0 } } },
];

/**
 * `decode/json`: each record is one JSON object; its fields feed the features (numbers must
 * be JSON numbers), the key and the forwarded fields.
 *
 * @example
 * { "type": "json", "features": { "userId": { "dtype": "int32", "shape": [1] } } }
 */
export default defineStage<JsonDecodeOptions>()({
  kind: 'decode',
  type: 'json',
  summary: 'Parses each record as a JSON object and decodes its features (dtype, shape, default).',
  optionsSchema: jsonDecodeSchema,
  accepts: 'RawRecord',
  emits: 'Instance',
  examples,
  features(options) {
    return options.features;
  },
  async check(options, ctx) {
    return checkFeatureSpecs(options.features, `${ctx.path}/features`);
  },
  create(options, ctx) {
    const decode = compileFeatures(options.features, 'json', `${ctx.path}/features`);
    return { transform: mapRecords<RawRecord, Instance>('decode', (record) => decodeJsonRecord(record, decode)) };
  },
});
