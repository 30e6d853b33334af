import type { JSONSchemaType } from 'ajv';
import type { StageMeta } from '../../../src/core/stage.js';

/** Options of `sink/parquet`. */
export interface ParquetSinkOptions {
  /** The output directory (relative to the config file); partitions land in it as `part-…` files. */
  uri: string;
  /** Rows per row group: what the writer holds in memory before it encodes and writes them. */
  rowGroupRows: number;
  /** Page compression. */
  compression: 'snappy' | 'none';
}

/** JSON Schema of `sink/parquet` options, e.g. `{"uri": "out/predictions", "rowGroupRows": 10000}`. */
export const parquetSinkSchema: JSONSchemaType<ParquetSinkOptions> = {
  type: 'object',
  properties: {
    uri: {
      type: 'string',
      minLength: 1,
      description: 'The output directory (relative to the config file); each partition is committed as part-NNNNN-of-NNNNN.parquet in it.',
    },
    rowGroupRows: {
      type: 'integer',
      minimum: 1,
      default: 10000,
      description:
        'Rows per row group. The writer holds at most this many rows (and one encoded row group) per partition in memory; the first row group fixes the columns and their types.',
    },
    compression: {
      type: 'string',
      enum: ['snappy', 'none'],
      default: 'snappy',
      description: 'Page compression: snappy (what Spark, pyarrow and DuckDB write by default) or none.',
    },
  },
  required: ['uri', 'rowGroupRows', 'compression'],
  additionalProperties: false,
};

/** `sink/parquet` as validation, the schema and the stage reference know it, without its code (stages/catalog.ts). */
export const parquetSinkMeta: StageMeta<'sink'> = {
  kind: 'sink',
  type: 'parquet',
  summary: 'Writes Parquet files (key, forwarded fields with their types, prediction as a list column or one column per output), one per partition, in bounded row groups.',
  optionsSchema: parquetSinkSchema,
};
