import type { JSONSchemaType } from 'ajv';
import { compressionOption } from '../shared/compression.js';
import { maxRecordBytesOption, type RecordLimitOptions } from '../shared/limits.js';

/** Options of `source/tfrecord`. */
export interface TfrecordSourceOptions extends RecordLimitOptions {
  /** A file, a directory (its files), or a glob, relative to the config file. */
  uri: string;
  /** `auto`: gzip when the name ends in `.gz` or the file starts with the gzip magic bytes. */
  compression: 'auto' | 'none' | 'gzip';
  /** Check each record's length and data CRC32C (masked, as TensorFlow writes them). */
  verifyCrc: boolean;
}

/** JSON Schema of `source/tfrecord` options, e.g. `{"uri": "data/train-*.tfrecord.gz"}`. */
export const tfrecordSourceSchema: JSONSchemaType<TfrecordSourceOptions> = {
  type: 'object',
  properties: {
    uri: {
      type: 'string',
      minLength: 1,
      description:
        'The input, relative to the config file: a file, a directory (its files, not recursive, skipping names that start with _ or .), or a glob (** allowed). A gzip file (shard) is one partition; a plain file larger than execution.partitionBytes is cut into byte ranges at record starts, found at plan time by walking the record headers (length and its CRC; payloads are not read), and its records are keyed <file>@<offset>.',
    },
    ...(compressionOption as any),
    verifyCrc: {
      type: 'boolean',
      default: true,
      description:
        'Verify the masked CRC32C of every length and record. A bad record CRC is a Failure for that record; a bad length CRC or a truncated tail ends the file with one Failure.',
    },
    ...maxRecordBytesOption,
  },
  required: ['uri', 'compression', 'verifyCrc'],
  additionalProperties: false,
};
