import type { JSONSchemaType } from 'ajv';
import { featuresSchema, type FeatureSpecMap } from '../../../src/sdk.js';

/** Options of `decode/json`. */
export interface JsonDecodeOptions {
  /** The features to decode from each JSON object, by name. */
  features: FeatureSpecMap;
}

/** JSON Schema of `decode/json` options, e.g. `{"features": {"age": {"dtype": "int32", "shape": [1]}}}`. */
export const jsonDecodeSchema: JSONSchemaType<JsonDecodeOptions> = {
  type: 'object',
  properties: {
    features: featuresSchema({ columns: false }) as any,
  },
  required: ['features'],
  additionalProperties: false,
};
