import type { JSONSchemaType } from 'ajv';
import type { StageMeta } from '../../../src/core/stage.js';
import { maxRecordBytesOption, type RecordLimitOptions } from '../shared/limits.js';

/** The source types a list entry may be read as. */
export const LISTED_FORMATS = ['jsonl', 'csv', 'tfrecord', 'parquet', 'recordio', 'files'] as const;
export type ListedFormat = (typeof LISTED_FORMATS)[number];

/** Options of `source/file-list`. */
export interface FileListSourceOptions extends RecordLimitOptions {
  /** The list file: one input URI per line. */
  uri: string;
  /** Read every entry as this source type; default: by each entry's extension. */
  format?: ListedFormat;
  /** Options for the source that reads the entries (e.g. a CSV delimiter), without `uri`. */
  options?: Record<string, unknown>;
}

/** JSON Schema of `source/file-list` options, e.g. `{"uri": "inputs.txt"}`. */
export const fileListSourceSchema: JSONSchemaType<FileListSourceOptions> = {
  type: 'object',
  description:
    'A text file listing the inputs (as Vertex AI batch prediction\'s file list): one URI per line, local paths, s3:// or gs://; blank lines and lines starting with # are skipped; a relative entry is resolved against the list file\'s directory (not the config\'s). Each entry may be a file, a directory or a glob, and is planned and read exactly as the source of its type would (gzip, splitting, keys): keys and error rows name the listed file.',
  properties: {
    uri: { type: 'string', minLength: 1, description: 'The list file, relative to the config file (local, s3:// or gs://).' },
    format: {
      type: 'string',
      enum: [...LISTED_FORMATS],
      nullable: true,
      description:
        'The source type that reads every entry. Default: by each entry\'s extension, a trailing .gz ignored: .jsonl .ndjson .json → jsonl; .csv .tsv → csv (.tsv with a tab delimiter); .tfrecord .tfrecords .tfr → tfrecord; .parquet → parquet; .recordio → recordio. An entry with another extension is a config error naming its line.',
    },
    options: {
      type: 'object',
      nullable: true,
      required: [],
      description: 'Options for the source type that reads the entries, as that type takes them, without uri (e.g. {"delimiter": ";"} for csv); validated against its schema.',
    },
    ...maxRecordBytesOption,
  },
  required: ['uri'],
  additionalProperties: false,
};

/** `source/file-list` as validation, the schema and the stage reference know it, without its code (stages/catalog.ts). */
export const fileListSourceMeta: StageMeta<'source'> = {
  kind: 'source',
  type: 'file-list',
  summary: 'Reads the inputs named in a list file (one URI per line: local, s3://, gs://), each by the source of its type (format, or its extension).',
  optionsSchema: fileListSourceSchema,
};
