import type { JSONSchemaType } from 'ajv';
import type { StageMeta } from '../../../src/core/stage.js';

/** Options of `post/threshold`. */
export interface ThresholdOptions {
  /** Elements >= value become 1, the others 0. */
  value: number;
}

/** JSON Schema of `post/threshold` options, e.g. `{"value": 0.8}`. */
export const thresholdSchema: JSONSchemaType<ThresholdOptions> = {
  type: 'object',
  properties: {
    value: { type: 'number', default: 0.5, description: 'Each element >= value becomes 1, every other element 0.' },
  },
  required: ['value'],
  additionalProperties: false,
};

/** `post/threshold` as validation, the schema and the stage reference know it, without its code (stages/catalog.ts). */
export const thresholdMeta: StageMeta<'post'> = {
  kind: 'post',
  type: 'threshold',
  summary: 'Turns every element into 1 when >= `value` (default 0.5), else 0 (same shape).',
  optionsSchema: thresholdSchema,
};
