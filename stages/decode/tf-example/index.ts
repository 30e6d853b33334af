import { defineStage, mapRecords, RecordError, toFailure, describeError, checkFeatureSpecs, type FeatureValue, type Failure, type Instance, type RawRecord } from '../../../src/sdk.js';
import { compileTfFeatures, featureJson, lazyFields } from './decode.js';
import { ExampleType, type TfExample, type TfFeature } from './proto.js';
import { tfExampleDecodeMeta, type TfExampleDecodeOptions } from './schema.js';

/** The record's bytes (a source may hand text to a binary decoder only by mistake). */
export function recordBytes(record: RawRecord): Uint8Array {
  return typeof record.raw === 'string' ? Buffer.from(record.raw, 'utf8') : record.raw;
}

/**
 * Decodes one serialized tf.train.Example: parse (code `bad-proto` when it does not), then the
 * features. `fields` holds every feature as a list of JSON values (see `featureJson`), so a
 * record whose features fail keeps them in its Failure and the key stage can still key it.
 *
 * @example
 * decodeExampleRecord(rawRecord, compileTfFeatures({ image_class: { dtype: 'int32', shape: [1] } }))
 */
export function decodeExampleRecord(record: RawRecord, decode: (map: Record<string, TfFeature> | undefined) => Record<string, FeatureValue>): Instance | Failure {
  const bytes = recordBytes(record);
  let example: TfExample;
  try {
    example = ExampleType.decode(bytes) as unknown as TfExample;
  } catch (err) {
    throw new RecordError('bad-proto', `expected a serialized tf.train.Example, got ${bytes.length} bytes that do not parse: ${describeError(err)}`);
  }
  const map = example.features?.feature;
  const fields = lazyFields(map, featureJson);
  let features: Record<string, FeatureValue>;
  try {
    features = decode(map);
  } catch (err) {
    return toFailure('decode', { ...record, fields }, err);
  }
  return { source: record.source, index: record.index, offset: record.offset, raw: record.raw, fields, features };
}

// Typed apart: inside the definition the dtype literals would widen to string and defeat inference.
const examples: TfExampleDecodeOptions[] = [
  { features: { image_floats: { dtype: 'float32', shape: [784] } } },
  { features: { culmen_length_mm: { dtype: 'float32', shape: [1] }, species: { dtype: 'int64', shape: [1], default: 0 } } },
];

/**
 * `decode/tf-example`: each record is a serialized tf.train.Example. Features are read in the
 * spirit of TF's FixedLenFeature: the element count must equal the shape's product, and an
 * absent or empty feature takes `default` or is a Failure. dtypes: `float32` (float_list, or
 * int64_list cast), `int32` (int64_list; a value outside int32 is a Failure), `int64`
 * (int64_list, exact, as a BigInt64Array), `string` (bytes_list as UTF-8 text), `bytes`
 * (bytes_list as base64 strings). For keys and `forward`, every feature is a list of values:
 * int64 beyond 2^53 as decimal strings, bytes as UTF-8 text when valid else base64, `[]` when empty.
 *
 * @example
 * { "type": "tf-example", "features": { "image_floats": { "dtype": "float32", "shape": [28, 28, 1] } } }
 */
export default defineStage<TfExampleDecodeOptions>()({
  ...tfExampleDecodeMeta,
  examples,
  features: (options) => options.features,
  check: async (options, ctx) => checkFeatureSpecs(options.features, `${ctx.path}/features`),
  create(options, ctx) {
    const decode = compileTfFeatures(options.features, `${ctx.path}/features`);
    return { transform: mapRecords<RawRecord, Instance>('decode', (record) => decodeExampleRecord(record, decode)) };
  },
});
