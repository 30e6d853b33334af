import type { JSONSchemaType } from 'ajv';
import type { StageMeta } from '../../../src/core/stage.js';

/** Options of `sink/aggregate`. */
export interface AggregateSinkOptions {
  /** The output directory; `<name>.json` and the partitions' state files land in it. */
  uri: string;
  /** The user module (relative to the config file) exporting init, update, merge, result. */
  module: string;
  /** The result's file name without `.json`, and its name in the summary. */
  name: string;
}

/** JSON Schema of `sink/aggregate` options, e.g. `{"uri": "out/agg", "module": "./histogram.js", "name": "histogram"}`. */
export const aggregateSinkSchema: JSONSchemaType<AggregateSinkOptions> = {
  type: 'object',
  properties: {
    uri: {
      type: 'string',
      minLength: 1,
      description: 'The output directory (relative to the config file): each partition commits part-NNNNN-of-NNNNN.<name>-state.json in it; <name>.json is written there once every partition is committed.',
    },
    module: {
      type: 'string',
      minLength: 1,
      description: 'The aggregation module (relative to the config file, compiled JavaScript): named exports init(), update(state, rows), merge(a, b), result(state), or a default-exported object with them; the state is plain JSON. See docs/aggregations.md.',
    },
    name: {
      type: 'string',
      pattern: '^[A-Za-z0-9_.-]+$',
      default: 'aggregate',
      description: 'The result file is <name>.json; the summary prints the result under this name.',
    },
  },
  required: ['uri', 'module'],
  additionalProperties: false,
};

/** `sink/aggregate` as validation, the schema and the stage reference know it, without its code (stages/catalog.ts). */
export const aggregateSinkMeta: StageMeta<'sink'> = {
  kind: 'sink',
  type: 'aggregate',
  summary: 'A user aggregation (a module with init, update, merge, result over a JSON state) of every prediction row: per-partition states committed with the partitions, merged once into <name>.json and printed at the end of the run.',
  optionsSchema: aggregateSinkSchema,
  aggregates: true,
};
