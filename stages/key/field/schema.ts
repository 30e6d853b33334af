import type { JSONSchemaType } from 'ajv';
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
