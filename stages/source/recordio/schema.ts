import type { JSONSchemaType } from 'ajv';
import type { StageMeta } from '../../../src/core/stage.js';
import { maxRecordBytesOption, type RecordLimitOptions } from '../shared/limits.js';

/** Options of `source/recordio`. */
export interface RecordioSourceOptions extends RecordLimitOptions {
  /** A file, a directory (its files), or a glob, relative to the config file. */
  uri: string;
}

/** JSON Schema of `source/recordio` options, e.g. `{"uri": "data/*.recordio"}`. */
export const recordioSourceSchema: JSONSchemaType<RecordioSourceOptions> = {
  type: 'object',
  description:
    'ElasticDL / wangkuiyi RecordIO files: chunks (header: magic 0x01020304, CRC32 of the chunk data, compressor 0 none / 1 snappy / 2 gzip, compressed size, record count) of length-prefixed records. Each record\'s bytes are the raw record (e.g. a tf.Example for decode type "tf-example"). Files larger than execution.partitionBytes are cut into ranges of whole chunks, planned from the chunk headers alone; keys are <file>:<record index in the file>.',
  properties: {
    uri: {
      type: 'string',
      minLength: 1,
      description: 'The input, relative to the config file: a file, a directory (its files, not recursive, skipping names that start with _ or .), or a glob (** allowed).',
    },
    ...maxRecordBytesOption,
  },
  required: ['uri'],
  additionalProperties: false,
};

/** `source/recordio` as validation, the schema and the stage reference know it, without its code (stages/catalog.ts). */
export const recordioSourceMeta: StageMeta<'source'> = {
  kind: 'source',
  type: 'recordio',
  summary: 'Reads ElasticDL RecordIO files (chunks of length-prefixed records; none, snappy or gzip; CRC32 checked); large files are split into ranges of whole chunks.',
  optionsSchema: recordioSourceSchema,
};
