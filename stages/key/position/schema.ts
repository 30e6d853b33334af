import type { JSONSchemaType } from 'ajv';
import { forwardSchema, type Forward } from './forward.js';

export { forwardSchema } from './forward.js';

/** Options of `key/position`. */
export interface PositionKeyOptions {
  /** Input fields copied to every output row unchanged, or `"*"`: every input field. */
  forward: Forward;
}

/** JSON Schema of `key/position` options, e.g. `{"forward": ["city"]}`. */
export const positionKeySchema: JSONSchemaType<PositionKeyOptions> = {
  type: 'object',
  properties: {
    forward: forwardSchema,
  },
  required: ['forward'],
  additionalProperties: false,
};
