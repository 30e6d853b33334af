import type { JSONSchemaType } from 'ajv';
import type { StageMeta } from '../../../src/core/stage.js';
import { compressionOption, type Compression } from '../shared/compression.js';
import { maxRecordBytesOption, type RecordLimitOptions } from '../shared/limits.js';

/** Options of `source/jsonl`. */
export interface JsonlSourceOptions extends RecordLimitOptions {
  /** A file, a directory (its files), or a glob, relative to the config file. */
  uri: string;
  /** `auto` (default): gzip by a `.gz` name or the magic bytes 1f 8b; gzip files are one partition each. */
  compression?: Compression;
}

/** JSON Schema of `source/jsonl` options, e.g. `{"uri": "data/ratings-*.jsonl"}`. */
export const jsonlSourceSchema: JSONSchemaType<JsonlSourceOptions> = {
  type: 'object',
  properties: {
    uri: {
      type: 'string',
      minLength: 1,
      description:
        'The input, relative to the config file: a file, a directory (its files, not recursive, skipping names that start with _ or .), or a glob (** allowed). One JSON value per line; blank lines are skipped.',
    },
    ...(compressionOption as any),
    ...maxRecordBytesOption,
  },
  required: ['uri'],
  additionalProperties: false,
};

/** `source/jsonl` as validation, the schema and the stage reference know it, without its code (stages/catalog.ts). */
export const jsonlSourceMeta: StageMeta<'source'> = {
  kind: 'source',
  type: 'jsonl',
  summary: 'Reads JSON Lines files, plain or gzip (one record per line, blank lines skipped); large plain files are split into line-aligned byte ranges.',
  optionsSchema: jsonlSourceSchema,
};
