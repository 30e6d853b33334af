import type { JSONSchemaType } from 'ajv';
import type { StageMeta } from '../../../src/core/stage.js';
import { maxRecordBytesOption, type RecordLimitOptions } from '../shared/limits.js';

/** Options of `source/parquet`. */
export interface ParquetSourceOptions extends RecordLimitOptions {
  /** A file, a directory (its files), or a glob, relative to the config file. */
  uri: string;
  /** Top-level columns to read; all columns when omitted. */
  columns?: string[];
}

/** JSON Schema of `source/parquet` options, e.g. `{"uri": "data/*.parquet", "columns": ["id", "x"]}`. */
export const parquetSourceSchema: JSONSchemaType<ParquetSourceOptions> = {
  type: 'object',
  description:
    'Each row becomes a record whose fields are the row\'s columns (int64 beyond 2^53 as decimal strings, dates as ISO strings, binary as base64); decode them with decode type "json", which uses the fields as they are. Each row group is one partition; position keys are <file>:<row>.',
  properties: {
    uri: {
      type: 'string',
      minLength: 1,
      description:
        'The input, relative to the config file: a file, a directory (its files, not recursive, skipping names that start with _ or .), or a glob (** allowed). Only the footer is read at plan time (ranged reads); each row group is one partition.',
    },
    columns: {
      type: 'array',
      items: { type: 'string', minLength: 1 },
      minItems: 1,
      uniqueItems: true,
      nullable: true,
      description:
        'Top-level columns to read (only their bytes are fetched); default: all. Usually the decoder\'s features plus the key field and the forwarded fields. A name missing from a file is a config error.',
    },
    ...maxRecordBytesOption,
  },
  required: ['uri'],
  additionalProperties: false,
};

/** `source/parquet` as validation, the schema and the stage reference know it, without its code (stages/catalog.ts). */
export const parquetSourceMeta: StageMeta<'source'> = {
  kind: 'source',
  type: 'parquet',
  summary: 'Reads Parquet files (hyparquet, ranged reads), one partition per row group; each row is a record of fields for decode type "json" (int64 beyond 2^53 as strings, dates ISO, bytes base64).',
  optionsSchema: parquetSourceSchema,
};
