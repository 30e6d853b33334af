import type { JSONSchemaType } from 'ajv';
import type { StageMeta } from '../../../src/core/stage.js';
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

/** `key/position` as validation, the schema and the stage reference know it, without its code (stages/catalog.ts). */
export const positionKeyMeta: StageMeta<'key'> = {
  kind: 'key',
  type: 'position',
  summary: 'Keys each record by its position: <source>:<index>, or <source>@<offset> in a split file.',
  optionsSchema: positionKeySchema,
};
