import { defineStage, mapRecords, RecordError, toFailure, describeError, checkFeatureSpecs, type FeatureValue, type Instance, type RawRecord } from '../../../src/sdk.js';
import { compileTfFeatures, featureJson, lazyFields } from '../tf-example/decode.js';
import { SequenceExampleType, type TfSequenceExample } from '../tf-example/proto.js';
import { recordBytes } from '../tf-example/index.js';
import type { TfExampleDecodeOptions } from '../tf-example/schema.js';
import { tfSequenceExampleDecodeMeta } from './schema.js';

/**
 * The fields of a SequenceExample: each context feature as a list of values (as in
 * `decode/tf-example`), and each feature list not shadowed by a context feature of the same
 * name as a list of steps, each a list of values.
 */
function sequenceFields(seq: TfSequenceExample): Record<string, unknown> {
  const fields = lazyFields(seq.context?.feature, featureJson);
  const lists = seq.feature_lists?.feature_list;
  if (lists) {
    const steps = lazyFields(lists, (l) => (l.feature ?? []).map(featureJson));
    for (const name of Object.keys(steps)) {
      if (!Object.hasOwn(fields, name)) Object.defineProperty(fields, name, Object.getOwnPropertyDescriptor(steps, name)!);
    }
  }
  return fields;
}

const examples: TfExampleDecodeOptions[] = [{ features: { i: { dtype: 'int64', shape: [1] }, f: { dtype: 'float32', shape: [1], default: 0 } } }];

/**
 * `decode/tf-sequence-example`: each record is a serialized tf.train.SequenceExample; `features`
 * are read from its context exactly as `decode/tf-example` reads an Example's features. Feature
 * lists are not fed to the model; they are available to keys and `forward` as lists of steps.
 *
 * @example
 * { "type": "tf-sequence-example", "features": { "i": { "dtype": "int64", "shape": [1] } } }
 */
export default defineStage<TfExampleDecodeOptions>()({
  ...tfSequenceExampleDecodeMeta,
  examples,
  features: (options) => options.features,
  check: async (options, ctx) => checkFeatureSpecs(options.features, `${ctx.path}/features`),
  create(options, ctx) {
    const decode = compileTfFeatures(options.features, `${ctx.path}/features`);
    return {
      transform: mapRecords<RawRecord, Instance>('decode', (record) => {
        const bytes = recordBytes(record);
        let seq: TfSequenceExample;
        try {
          seq = SequenceExampleType.decode(bytes) as unknown as TfSequenceExample;
        } catch (err) {
          throw new RecordError('bad-proto', `expected a serialized tf.train.SequenceExample, got ${bytes.length} bytes that do not parse: ${describeError(err)}`);
        }
        const fields = sequenceFields(seq);
        let features: Record<string, FeatureValue>;
        try {
          features = decode(seq.context?.feature);
        } catch (err) {
          return toFailure('decode', { ...record, fields }, err);
        }
        return { source: record.source, index: record.index, offset: record.offset, raw: record.raw, fields, features };
      }),
    };
  },
});
