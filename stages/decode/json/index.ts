import { defineStage, mapRecords, parseJsonExact, RecordError, toFailure, describeError, checkFeatureSpecs, compileFeatures, type FeatureValue, type Failure, type Instance, type RawRecord } from '../../../src/sdk.js';
import { checkNesting } from '../../../src/core/nesting.js';
import { jsonDecodeMeta, type JsonDecodeOptions } from './schema.js';
import { instanceProblems, instanceView, type ViewFunction } from './instances.js';

/** The top-level scalar fields of a record too deep to carry on: enough for the key stage to key its Failure. */
function scalarFields(object: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, v] of Object.entries(object)) if (v === null || typeof v !== 'object') out[name] = v;
  return out;
}

/**
 * Decodes one JSON record: parse, turn the value into an instance (`view`, see `instanceView`;
 * by default an object is required), decode the features. A record that parsed but whose
 * features fail keeps its `fields` in the Failure, so the key stage can still key it.
 *
 * @example
 * decodeJsonRecord({ source: 'a.jsonl', index: 0, offset: 0, raw: '{"x":[1,2]}' }, compileFeatures(specs, 'json'))
 */
export function decodeJsonRecord(
  record: RawRecord,
  decode: (fields: Record<string, unknown>) => Record<string, FeatureValue>,
  view: ViewFunction = objectsOnly,
): Instance | Failure {
  const text = typeof record.raw === 'string' ? record.raw : Buffer.from(record.raw.buffer, record.raw.byteOffset, record.raw.byteLength).toString('utf8');
  // A source that parsed its rows itself (parquet) hands over `fields`: no JSON text to parse.
  let value: unknown = record.fields;
  if (value === undefined) try {
    // Integers beyond 2^53 stay exact (bigint) for keys and forwarded values.
    value = parseJsonExact(text);
  } catch (err) {
    throw new RecordError('bad-json', `invalid JSON: ${describeError(err)}`);
  }
  const object = value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  try {
    // Records enter here: past the nesting limit a record fails alone (see core/nesting.ts).
    checkNesting(value, record.fields === undefined ? text.length : Infinity);
  } catch (err) {
    return toFailure('decode', { ...record, fields: object ? scalarFields(object) : undefined }, err);
  }
  // The common case, an object taken as it is, needs no view object per record.
  let from = object;
  let fields = object;
  if (!object || !view.objectsAsIs) {
    try {
      ({ decode: from, fields } = view(value));
    } catch (err) {
      // An object that cannot become an instance (an included field missing) can still be keyed.
      return toFailure('decode', { ...record, fields: object }, err);
    }
  }
  let features: Record<string, FeatureValue>;
  try {
    features = decode(from!);
  } catch (err) {
    return toFailure('decode', { ...record, fields }, err);
  }
  return { source: record.source, index: record.index, offset: record.offset, raw: record.raw, fields: fields!, features };
}

const objectsOnly = instanceView({ instanceType: 'object' }, []);

// Typed apart: inside the definition the dtype literals would widen to string and defeat inference.
const examples: JsonDecodeOptions[] = [
  { features: { userId: { dtype: 'int32', shape: [1] }, movieId: { dtype: 'int32', shape: [1] } }, instanceType: 'object' },
  { features: { pixels: { dtype: 'float32', shape: [28, 28] }, bias: { dtype: 'float32', shape: [], default: 0 } }, instanceType: 'object' },
  { features: { measurements: { dtype: 'float32', shape: [4] } }, instanceType: 'array' },
  { features: { age: { dtype: 'float32', shape: [1] }, income: { dtype: 'float32', shape: [1] } }, instanceType: 'array', includedFields: ['age', 'income'] },
];

/**
 * `decode/json`: each record is one JSON object (or, with `instanceType`, a Vertex AI instance:
 * an array or a bare value); its fields feed the features (numbers must be JSON numbers), the
 * key and the forwarded fields.
 *
 * @example
 * { "type": "json", "features": { "userId": { "dtype": "int32", "shape": [1] } } }
 */
export default defineStage<JsonDecodeOptions>()({
  ...jsonDecodeMeta,
  examples,
  features(options) {
    return options.features;
  },
  async check(options, ctx) {
    return [...checkFeatureSpecs(options.features, `${ctx.path}/features`), ...instanceProblems(options, ctx.path)];
  },
  create(options, ctx) {
    const decode = compileFeatures(options.features, 'json', `${ctx.path}/features`);
    const view = instanceView(options, Object.keys(options.features));
    return { transform: mapRecords<RawRecord, Instance>('decode', (record) => decodeJsonRecord(record, decode, view)) };
  },
});
