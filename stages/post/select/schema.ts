import type { JSONSchemaType } from 'ajv';
import type { StageMeta } from '../../../src/core/stage.js';

/** Options of `post/select`. */
export interface SelectOptions {
  /** Names of the outputs to keep, in the order they appear in the result. */
  outputs: string[];
}

/** JSON Schema of `post/select` options, e.g. `{"outputs": ["probs"]}`. */
export const selectSchema: JSONSchemaType<SelectOptions> = {
  type: 'object',
  properties: {
    outputs: {
      type: 'array',
      items: { type: 'string', minLength: 1 },
      minItems: 1,
      uniqueItems: true,
      description: 'Names of the outputs of a multi-output model to keep; the prediction becomes an object with just these, in this order.',
    },
  },
  required: ['outputs'],
  additionalProperties: false,
};

/** `post/select` as validation, the schema and the stage reference know it, without its code (stages/catalog.ts). */
export const selectMeta: StageMeta<'post'> = {
  kind: 'post',
  type: 'select',
  summary: 'Keeps the named outputs of a multi-output model (an object by output name).',
  optionsSchema: selectSchema,
};
