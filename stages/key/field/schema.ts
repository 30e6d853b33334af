import type { JSONSchemaType } from 'ajv';
import type { StageMeta } from '../../../src/core/stage.js';
import { forwardSchema, type Forward } from '../position/forward.js';

/** Options of `key/field`. */
export interface FieldKeyOptions {
  /** The input field whose value (a string or a number) is the instance key. */
  field: string;
  /** Input fields copied to every output row unchanged, or `"*"`: every input field. */
  forward: Forward;
}

/** JSON Schema of `key/field` options, e.g. `{"field": "id", "forward": ["city"]}`. */
export const fieldKeySchema: JSONSchemaType<FieldKeyOptions> = {
  type: 'object',
  properties: {
    field: {
      type: 'string',
      minLength: 1,
      description: 'The input field that holds the key: a string or a number, unique per record. A record without it is a Failure.',
    },
    forward: forwardSchema,
  },
  required: ['field', 'forward'],
  additionalProperties: false,
};

/** `key/field` as validation, the schema and the stage reference know it, without its code (stages/catalog.ts). */
export const fieldKeyMeta: StageMeta<'key'> = {
  kind: 'key',
  type: 'field',
  summary: 'Keys each record by the value of one input field (a string or a number, or a one-element list of one, as tf.Example features are); a record without it is a Failure.',
  optionsSchema: fieldKeySchema,
};
