import type { JSONSchemaType } from 'ajv';
import type { StageMeta } from '../../../src/core/stage.js';
import { labelsSchema, type LabelsOption } from '../../../src/core/labels.js';

/** Options of `post/argmax`. */
export interface ArgmaxOptions {
  /** Class labels: inline, or the URI of a labels file. Without them, the class is an index. */
  labels?: LabelsOption;
}

/** JSON Schema of `post/argmax` options, e.g. `{"labels": ["neg", "pos"]}`. */
export const argmaxSchema: JSONSchemaType<ArgmaxOptions> = {
  type: 'object',
  properties: {
    labels: labelsSchema as any,
  },
  required: [],
  additionalProperties: false,
};

/** `post/argmax` as validation, the schema and the stage reference know it, without its code (stages/catalog.ts). */
export const argmaxMeta: StageMeta<'post'> = {
  kind: 'post',
  type: 'argmax',
  summary: 'The best class per vector on the last axis: {"class": <label or index>, "score": <p>} (labels optional).',
  optionsSchema: argmaxSchema,
};
