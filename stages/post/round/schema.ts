import type { JSONSchemaType } from 'ajv';
import type { StageMeta } from '../../../src/core/stage.js';

/** Options of `post/round`. */
export interface RoundOptions {
  /** Digits after the decimal point. */
  digits: number;
}

export const roundSchema: JSONSchemaType<RoundOptions> = {
  type: 'object',
  properties: {
    digits: { type: 'integer', minimum: 0, maximum: 15, default: 4, description: 'Digits kept after the decimal point.' },
  },
  required: ['digits'],
  additionalProperties: false,
};

/** `post/round` as validation, the schema and the stage reference know it, without its code (stages/catalog.ts). */
export const roundMeta: StageMeta<'post'> = {
  kind: 'post',
  type: 'round',
  summary: 'Rounds every number in the prediction to `digits` decimals (same shape).',
  optionsSchema: roundSchema,
};
