import type { JSONSchemaType } from 'ajv';
import type { StageMeta } from '../../../src/core/stage.js';
import { labelsSchema, type LabelsOption } from '../../../src/core/labels.js';

/** Options of `post/topk`. */
export interface TopkOptions {
  /** How many classes to keep per vector, highest score first. */
  k: number;
  /** Class labels: inline, or the URI of a labels file. Without them, classes are indices. */
  labels?: LabelsOption;
}

/** JSON Schema of `post/topk` options, e.g. `{"k": 5, "labels": "labels.txt"}`. */
export const topkSchema: JSONSchemaType<TopkOptions> = {
  type: 'object',
  properties: {
    k: { type: 'integer', minimum: 1, description: 'Classes kept per vector, highest score first (ties: lower index first); all of them when the vector is shorter.' },
    labels: labelsSchema as any,
  },
  required: ['k'],
  additionalProperties: false,
};

/** `post/topk` as validation, the schema and the stage reference know it, without its code (stages/catalog.ts). */
export const topkMeta: StageMeta<'post'> = {
  kind: 'post',
  type: 'topk',
  summary: 'The k best classes per vector on the last axis: {"classes": [...], "scores": [...]}, highest first (labels optional).',
  optionsSchema: topkSchema,
};
