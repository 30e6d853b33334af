import type { JSONSchemaType } from 'ajv';
import type { FeatureSpecMap, StageMeta } from '../../../src/core/stage.js';
import { featuresSchema } from '../../../src/core/features.js';

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

/** `decode/csv` as validation, the schema and the stage reference know it, without its code (stages/catalog.ts). */
export const csvDecodeMeta: StageMeta<'decode'> = {
  kind: 'decode',
  type: 'csv',
  summary: 'Decodes the features of CSV rows: a column per feature (a number or a JSON array), or several `columns`; empty cells are missing.',
  optionsSchema: csvDecodeSchema,
};
