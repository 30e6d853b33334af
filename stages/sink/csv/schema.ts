import type { JSONSchemaType } from 'ajv';
import type { StageMeta } from '../../../src/core/stage.js';
import type { Compression } from '../../../src/sdk.js';

/** Options of `sink/csv`. */
export interface CsvSinkOptions {
  /** The output directory (relative to the config file); partitions land in it as `part-…` files. */
  uri: string;
  /** The field delimiter: one character, not a quote or a line break. */
  delimiter: string;
  /** `gzip` writes `.csv.gz` files. */
  compression: Compression;
}

/** JSON Schema of `sink/csv` options, e.g. `{"uri": "out/predictions", "delimiter": "\\t"}`. */
export const csvSinkSchema: JSONSchemaType<CsvSinkOptions> = {
  type: 'object',
  properties: {
    uri: {
      type: 'string',
      minLength: 1,
      description: 'The output directory (relative to the config file); each partition is committed as part-NNNNN-of-NNNNN.csv in it.',
    },
    delimiter: {
      type: 'string',
      pattern: '^[^"\\r\\n]$',
      default: ',',
      description: 'The field delimiter: one character other than a double quote or a line break (e.g. "\\t" for TSV).',
    },
    compression: {
      type: 'string',
      enum: ['none', 'gzip'],
      default: 'none',
      description: 'none writes .csv files; gzip writes .csv.gz files.',
    },
  },
  required: ['uri', 'delimiter', 'compression'],
  additionalProperties: false,
};

/** `sink/csv` as validation, the schema and the stage reference know it, without its code (stages/catalog.ts). */
export const csvSinkMeta: StageMeta<'sink'> = {
  kind: 'sink',
  type: 'csv',
  summary: 'Writes CSV with a header (key, forwarded fields, prediction columns; arrays as JSON text, one column per output of an object).',
  optionsSchema: csvSinkSchema,
};
