import type { JSONSchemaType } from 'ajv';
import type { StageMeta } from '../../../src/core/stage.js';
import { maxRecordBytesOption, type RecordLimitOptions } from '../shared/limits.js';

/** Options of `source/files`. */
export interface FilesSourceOptions extends RecordLimitOptions {
  /** A file, a directory (its files), or a glob, relative to the config file. */
  uri: string;
}

/** JSON Schema of `source/files` options, e.g. `{"uri": "photos/*.jpg"}`. */
export const filesSourceSchema: JSONSchemaType<FilesSourceOptions> = {
  type: 'object',
  description:
    'Each matching file becomes one record whose raw value is the file\'s bytes and whose fields are {"path": <the file as named in keys and error rows>, "name": <its base name>, "size": <bytes>}, for key type "field" and forward. Files are grouped into partitions of about execution.partitionBytes each (whole files, listing order); position keys are <file>:0.',
  properties: {
    uri: {
      type: 'string',
      minLength: 1,
      description:
        'The input, relative to the config file: a file, a directory (its files, not recursive, skipping names that start with _ or .), or a glob (** allowed), e.g. "photos/**/*.{jpg,png}". One record per file.',
    },
    ...maxRecordBytesOption,
  },
  required: ['uri'],
  additionalProperties: false,
};

/** `source/files` as validation, the schema and the stage reference know it, without its code (stages/catalog.ts). */
export const filesSourceMeta: StageMeta<'source'> = {
  kind: 'source',
  type: 'files',
  summary: 'One record per file (its bytes, with fields path, name and size), e.g. images for decode type "image"; whole files grouped into partitions by size.',
  optionsSchema: filesSourceSchema,
};
