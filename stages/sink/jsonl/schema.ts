import type { JSONSchemaType } from 'ajv';
import type { Compression } from '../../../src/sdk.js';

/** Options of `sink/jsonl`. */
export interface JsonlSinkOptions {
  /** The output directory (relative to the config file); partitions land in it as `part-…` files. */
  uri: string;
  /** `gzip` writes `.jsonl.gz` files. */
  compression: Compression;
}

/** JSON Schema of `sink/jsonl` options, e.g. `{"uri": "out/predictions", "compression": "gzip"}`. */
export const jsonlSinkSchema: JSONSchemaType<JsonlSinkOptions> = {
  type: 'object',
  properties: {
    uri: {
      type: 'string',
      minLength: 1,
      description: 'The output directory (relative to the config file); each partition is committed as part-NNNNN-of-NNNNN.jsonl in it.',
    },
    compression: {
      type: 'string',
      enum: ['none', 'gzip'],
      default: 'none',
      description: 'none writes .jsonl files; gzip writes .jsonl.gz files.',
    },
  },
  required: ['uri', 'compression'],
  additionalProperties: false,
};
