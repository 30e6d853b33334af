import type { JSONSchemaType } from 'ajv';
import type { StageMeta } from '../../../src/core/stage.js';
import type { Compression } from '../../../src/sdk.js';

/** Options of `sink/tfrecord`. */
export interface TfrecordSinkOptions {
  /** The output directory (relative to the config file); partitions land in it as `part-…` files. */
  uri: string;
  /** `gzip` writes `.tfrecord.gz` files (TFRecord's GZIP compression type). */
  compression: Compression;
}

/** JSON Schema of `sink/tfrecord` options, e.g. `{"uri": "out/predictions", "compression": "gzip"}`. */
export const tfrecordSinkSchema: JSONSchemaType<TfrecordSinkOptions> = {
  type: 'object',
  properties: {
    uri: {
      type: 'string',
      minLength: 1,
      description: 'The output directory (relative to the config file); each partition is committed as part-NNNNN-of-NNNNN.tfrecord in it.',
    },
    compression: {
      type: 'string',
      enum: ['none', 'gzip'],
      default: 'none',
      description: 'none writes .tfrecord files; gzip writes .tfrecord.gz files (read them with compression_type="GZIP").',
    },
  },
  required: ['uri', 'compression'],
  additionalProperties: false,
};

/** `sink/tfrecord` as validation, the schema and the stage reference know it, without its code (stages/catalog.ts). */
export const tfrecordSinkMeta: StageMeta<'sink'> = {
  kind: 'sink',
  type: 'tfrecord',
  summary: 'Writes one tf.train.Example per row (key, forwarded fields, prediction as float_list) to TFRecord files, one per partition, optionally gzip.',
  optionsSchema: tfrecordSinkSchema,
};
