import type { StageDefinition } from '../core/stage.js';
import type { StageKind } from '../core/types.js';

/** The top-level keys of a pipeline config, in the order users write them. */
export const TOP_LEVEL_KEYS = ['name', 'source', 'decode', 'key', 'model', 'post', 'sink', 'errors', 'execution'] as const;

/** JSON Schema of `execution`: shared by every pipeline whatever its stages. */
export const executionSchema = {
  type: 'object',
  description: 'How the run is executed: parallelism, partition size, error budget.',
  properties: {
    workers: { type: 'integer', minimum: 1, description: 'Worker threads, each loading the model once. Default: the number of CPU cores.' },
    partitionBytes: {
      type: 'integer',
      minimum: 1,
      description: 'Target partition size for splitting large line-oriented files. Default: total input / (workers x 4), between 1 MiB and 64 MiB.',
    },
    maxErrors: { type: 'integer', minimum: 0, description: 'Stop the run (exit 1) once more records than this have failed. Default: unlimited.' },
    maxErrorRate: {
      type: 'number',
      minimum: 0,
      maximum: 1,
      default: 0.1,
      description: 'Stop the run (exit 1) when failed/read exceeds this, judged once 1,000 records have been read and at the end.',
    },
    maxAttempts: {
      type: 'integer',
      minimum: 1,
      default: 3,
      description:
        'Attempts per partition when it fails for an infrastructure reason (I/O error, a worker thread that crashes, exits or overruns partitionTimeoutMs), with backoff; also the tries a model batch gets before a batch timeout fails its records.',
    },
    partitionTimeoutMs: {
      type: 'integer',
      minimum: 1,
      description:
        'Longest time (ms) one attempt of a partition may run once its worker has loaded the model; past it the worker thread is terminated and the attempt counts as failed (retried up to maxAttempts). Default: no limit.',
    },
  },
  additionalProperties: false,
} as const;

/** The schema of one stage slot: a discriminated union of the registry's stages of `kind`. */
function kindSchema(kind: StageKind, defs: StageDefinition[]): Record<string, unknown> {
  const branches = defs
    .filter((d) => d.kind === kind)
    .map((d) => {
      const own = d.optionsSchema as any;
      return {
        ...own,
        type: 'object',
        description: d.summary,
        properties: { type: { const: d.type, description: `${kind} stage type` }, ...(own.properties ?? {}) },
        required: ['type', ...(own.required ?? [])],
        additionalProperties: false,
      };
    });
  return {
    type: 'object',
    description: `A ${kind} stage: one of ${branches.map((b: any) => b.properties.type.const).join(', ')}.`,
    properties: { type: { type: 'string', description: `The ${kind} stage type.` } },
    required: ['type'],
    discriminator: { propertyName: 'type' },
    oneOf: branches,
  };
}

/**
 * Assembles the pipeline JSON Schema from the stages' own option schemas: what ajv validates a
 * config against, and what `schemas/pipeline.schema.json` holds for editors (`"$schema"`).
 *
 * @example
 * const schema = pipelineSchema(builtinStages);
 */
export function pipelineSchema(defs: StageDefinition[]): Record<string, unknown> {
  const sink = kindSchema('sink', defs);
  return {
    $id: 'https://sluice.dev/schemas/pipeline.schema.json',
    title: 'Sluice pipeline',
    description: 'A batch-prediction pipeline: source → decode → key → model → post* → sink(s).',
    type: 'object',
    properties: {
      $schema: { type: 'string', description: 'Path or URL of this schema, for editor autocompletion.' },
      name: { type: 'string', minLength: 1, description: 'The pipeline name (default: the config file name).' },
      source: kindSchema('source', defs),
      decode: kindSchema('decode', defs),
      key: kindSchema('key', defs),
      model: kindSchema('model', defs),
      post: { type: 'array', description: 'Post-processing steps, applied in order.', items: kindSchema('post', defs), default: [] },
      sink: {
        description: 'Where predictions go: one sink, or a list (every sink receives every prediction).',
        if: { type: 'array' },
        then: { type: 'array', minItems: 1, items: sink },
        else: sink,
      },
      errors: { ...sink, description: 'The sink that receives one row per failed record (default: jsonl under <sink uri>/_errors).' },
      execution: { ...executionSchema, default: {} },
    },
    required: ['source', 'decode', 'model', 'sink'],
    additionalProperties: false,
  };
}
