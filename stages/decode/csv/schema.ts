import type { JSONSchemaType } from 'ajv';
import { featuresSchema, type FeatureSpecMap } from '../../../src/sdk.js';

/** Options of `decode/csv`. */
export interface CsvDecodeOptions {
  /** The features to decode from each CSV row, by name (a column of that name, or `columns`). */
  features: FeatureSpecMap;
}

/** JSON Schema of `decode/csv` options, e.g. `{"features": {"pixels": {"dtype": "float32", "shape": [784]}}}`. */
export const csvDecodeSchema: JSONSchemaType<CsvDecodeOptions> = {
  type: 'object',
  properties: {
    features: featuresSchema({ columns: true }) as any,
  },
  required: ['features'],
  additionalProperties: false,
};
