import type { JSONSchemaType } from 'ajv';
import type { StageMeta } from '../../../src/core/stage.js';
import { compressionOption, type Compression } from '../shared/compression.js';
import { maxRecordBytesOption, type RecordLimitOptions } from '../shared/limits.js';

/** Options of `source/csv`. */
export interface CsvSourceOptions extends RecordLimitOptions {
  /** A file, a directory (its files), or a glob, relative to the config file. */
  uri: string;
  /** `auto` (default): gzip by a `.gz` name or the magic bytes 1f 8b; gzip files are one partition each. */
  compression?: Compression;
  /** The field delimiter: one ASCII character. */
  delimiter: string;
  /** The quote character; "" turns quoting off. */
  quote: string;
  /** The character that escapes a quote inside a quoted field (csv-parse's default: `"`). */
  escape?: string;
}

/** JSON Schema of `source/csv` options, e.g. `{"uri": "data/*.csv", "delimiter": ";"}`. */
export const csvSourceSchema: JSONSchemaType<CsvSourceOptions> = {
  type: 'object',
  properties: {
    uri: {
      type: 'string',
      minLength: 1,
      description:
        'The input, relative to the config file: a file, a directory (its files, not recursive, skipping names that start with _ or .), or a glob (** allowed). Each file starts with a header row naming the columns.',
    },
    delimiter: { type: 'string', minLength: 1, maxLength: 1, default: ',', description: 'The field delimiter: one ASCII character, e.g. "," ";" "|" or "\\t".' },
    quote: { type: 'string', maxLength: 1, default: '"', description: 'The quote character around fields holding delimiters, quotes or line breaks; "" turns quoting off.' },
    escape: {
      type: 'string',
      minLength: 1,
      maxLength: 1,
      description: 'The character that escapes a quote inside a quoted field. Default: " (a quote is written twice, as in RFC 4180).',
    } as any,
    ...(compressionOption as any),
    ...maxRecordBytesOption,
  },
  required: ['uri', 'delimiter', 'quote'],
  additionalProperties: false,
};

/** `source/csv` as validation, the schema and the stage reference know it, without its code (stages/catalog.ts). */
export const csvSourceMeta: StageMeta<'source'> = {
  kind: 'source',
  type: 'csv',
  summary: 'Reads CSV files with a header row (quoted fields may hold delimiters and line breaks); large files are split on record boundaries.',
  optionsSchema: csvSourceSchema,
};
