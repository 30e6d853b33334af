import type { JSONSchemaType } from 'ajv';
import type { FeatureSpecMap, StageMeta } from '../../../src/core/stage.js';
import { featuresSchema } from '../../../src/core/features.js';

/** Options of `decode/tf-example` (and `decode/tf-sequence-example`, for its context). */
export interface TfExampleDecodeOptions {
  /** The features to decode, by name: dtype, shape and an optional default. */
  features: FeatureSpecMap;
}

/** JSON Schema of `decode/tf-example` options, e.g. `{"features": {"image_floats": {"dtype": "float32", "shape": [784]}}}`. */
export const tfExampleDecodeSchema: JSONSchemaType<TfExampleDecodeOptions> = {
  type: 'object',
  properties: {
    features: featuresSchema({ columns: false, tfExample: true }) as any,
  },
  required: ['features'],
  additionalProperties: false,
};

/** `decode/tf-example` as validation, the schema and the stage reference know it, without its code (stages/catalog.ts). */
export const tfExampleDecodeMeta: StageMeta<'decode'> = {
  kind: 'decode',
  type: 'tf-example',
  summary: 'Parses each record as a tf.train.Example and decodes its features (dtype float32/int32/int64/string/bytes, shape, default).',
  optionsSchema: tfExampleDecodeSchema,
};
