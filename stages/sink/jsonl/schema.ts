import type { JSONSchemaType } from 'ajv';
import type { StageMeta } from '../../../src/core/stage.js';
import type { Compression } from '../../../src/sdk.js';

/** Options of `sink/jsonl`. */
export interface JsonlSinkOptions {
  /** The output directory (relative to the config file); partitions land in it as `part-…` files. */
  uri: string;
  /** `gzip` writes `.jsonl.gz` files. */
  compression: Compression;
  /** `sluice`: Sluice's rows and `part-…` files; `vertex`: Vertex AI batch prediction's. */
  format: 'sluice' | 'vertex';
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
    format: {
      type: 'string',
      enum: ['sluice', 'vertex'],
      default: 'sluice',
      description:
        'sluice: {"key", <forwarded…>, "prediction"} rows in part-NNNNN-of-NNNNN.jsonl. vertex: Vertex AI batch prediction\'s layout: prediction.results-NNNNN-of-NNNNN files of {"instance", "prediction"} rows ({"key", "prediction"} when nothing is forwarded, as with Vertex\'s keyField); as the errors sink, prediction.errors_stats-NNNNN-of-NNNNN files of {"instance", "error": {"code", "message"}} rows. The sink and errors sink may then share one directory, as Vertex\'s do.',
    },
  },
  required: ['uri', 'compression', 'format'],
  additionalProperties: false,
};

/** `sink/jsonl` as validation, the schema and the stage reference know it, without its code (stages/catalog.ts). */
export const jsonlSinkMeta: StageMeta<'sink'> = {
  kind: 'sink',
  type: 'jsonl',
  summary: 'Writes one JSON object per line ({"key", <forwarded fields…>, "prediction"}), one file per partition, optionally gzip; format "vertex" writes Vertex AI\'s prediction.results-* / prediction.errors_stats-* files and rows.',
  optionsSchema: jsonlSinkSchema,
};
