import type { JSONSchemaType } from 'ajv';
import type { StageMeta } from '../../../src/core/stage.js';

/** Options of `post/map`. */
export interface MapOptions {
  /** The module holding the function, relative to the config file (or a file: URL). */
  module: string;
  /** The export to call (default: the default export). */
  export: string;
  /** Passed to the function with every call (e.g. a threshold, a label table). */
  args?: Record<string, unknown>;
}

/** JSON Schema of `post/map` options, e.g. `{"module": "./to-stars.js", "args": {"max": 5}}`. */
export const mapSchema: JSONSchemaType<MapOptions> = {
  type: 'object',
  properties: {
    module: {
      type: 'string',
      minLength: 1,
      description:
        'The ES module exporting the function, relative to the config file (or a file: URL). The function gets (prediction, {key, forward, args}) and returns the new prediction (JSON), or a promise of it.',
    },
    export: { type: 'string', minLength: 1, default: 'default', description: 'The name of the exported function to call.' },
    args: { type: 'object', nullable: true, required: [], description: 'A JSON object passed to every call as args (settings for the function).' },
  },
  required: ['module', 'export'],
  additionalProperties: false,
};

/** `post/map` as validation, the schema and the stage reference know it, without its code (stages/catalog.ts). */
export const mapMeta: StageMeta<'post'> = {
  kind: 'post',
  type: 'map',
  summary: 'Runs a user function from a module on every prediction: (prediction, {key, forward, args}) → new prediction; what it throws is a Failure naming the stage.',
  optionsSchema: mapSchema,
};
