import type { JSONSchemaType } from 'ajv';
import { featuresSchema, type FeatureSpecMap } from '../../../src/sdk.js';

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
