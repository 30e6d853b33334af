import type { JSONSchemaType } from 'ajv';
import type { StageMeta } from '../../../src/core/stage.js';

/** Options of `post/softmax`: none. */
export type SoftmaxOptions = Record<string, never>;

/** JSON Schema of `post/softmax` options: none, `{}` (typed loosely: `JSONSchemaType` cannot express an empty object). */
export const softmaxSchema: JSONSchemaType<SoftmaxOptions> = {
  type: 'object',
  properties: {},
  required: [],
  additionalProperties: false,
} as any;

/** `post/softmax` as validation, the schema and the stage reference know it, without its code (stages/catalog.ts). */
export const softmaxMeta: StageMeta<'post'> = {
  kind: 'post',
  type: 'softmax',
  summary: 'Normalises each vector on the last axis with a numerically stable softmax (same shape).',
  optionsSchema: softmaxSchema,
};
