import type { JSONSchemaType } from 'ajv';
import type { StageMeta } from '../../../src/core/stage.js';
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
  /** Where a file's record index is (DALI `tfrecord2idx` format): `auto`, `none`, or a template with `{file}`, `{dir}`, `{name}`. */
  index?: string;
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
    index: {
      type: 'string',
      nullable: true,
      minLength: 1,
      default: 'auto',
      description:
        'The record index used to plan a large plain file instead of walking its headers, in the format of NVIDIA DALI\'s tfrecord2idx (one "<offset> <size>" line per record): "auto" uses <file>.idx when it exists and is at most 1/32 of the file (for smaller records the walk is cheaper), "none" always walks, any other value names it, with {file}, {dir} and {name} standing for the data file, its folder and its file name (relative to the data file\'s folder; it must exist). An index that does not fit its file (a line, the total size, the header of the first or last record or of a cut) is a config error. Index files of listed data files are not inputs.',
    },
    ...maxRecordBytesOption,
  },
  required: ['uri', 'compression', 'verifyCrc'],
  additionalProperties: false,
};

/** `source/tfrecord` as validation, the schema and the stage reference know it, without its code (stages/catalog.ts). */
export const tfrecordSourceMeta: StageMeta<'source'> = {
  kind: 'source',
  type: 'tfrecord',
  summary: 'Reads TFRecord files (plain or gzip, CRCs verified); large plain files are split into byte ranges at record starts found from the record headers; a bad record is a Failure, a corrupt length or cut tail ends that file with one.',
  optionsSchema: tfrecordSourceSchema,
};
