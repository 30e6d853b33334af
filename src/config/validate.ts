import { SluiceError } from '../core/errors.js';
import { joinUri } from '../storage/index.js';
import type { Registry } from '../graph/registry.js';
import { createAjv, formatErrors } from './ajv.js';
import { pipelineSchema } from './schema.js';
import { precompiledValidator } from './precompiled.js';
import type { RawConfig } from './load.js';

/** One stage as configured: its type and its options (defaults applied). */
export interface StageConfig {
  type: string;
  [option: string]: unknown;
}

/** A validated pipeline config with every default filled in. */
export interface PipelineConfig {
  name: string;
  source: StageConfig;
  decode: StageConfig;
  key: StageConfig;
  model: StageConfig;
  post: StageConfig[];
  sink: StageConfig[];
  errors: StageConfig;
  execution: {
    workers?: number;
    partitionBytes?: number;
    maxErrors?: number;
    maxErrorRate: number;
    maxAttempts: number;
    partitionTimeoutMs?: number;
  };
}

const validators = new WeakMap<Registry, ReturnType<ReturnType<typeof createAjv>['compile']>>();

/**
 * Validates a raw config against the pipeline schema assembled from `registry`, reporting all
 * problems at once (one line each, with its JSON path), and fills in defaults: `key`
 * (`position`), `post` (none), `errors` (jsonl under `<first sink uri>/_errors`), `execution`.
 * The sink is always returned as a list.
 *
 * @example
 * const config = validateConfig(loaded.config, createRegistry(builtinStages));
 */
export function validateConfig(raw: RawConfig, registry: Registry): PipelineConfig {
  const config = structuredClone(raw) as any;
  if (config.key === undefined) config.key = { type: 'position' };
  const firstSink = Array.isArray(config.sink) ? config.sink[0] : config.sink;
  if (config.errors === undefined && firstSink && typeof firstSink.uri === 'string') {
    config.errors = { type: 'jsonl', uri: joinUri(firstSink.uri, '_errors') };
  }
  let validate = validators.get(registry);
  if (!validate) {
    const schema = pipelineSchema(registry.stages as any);
    validate = precompiledValidator(schema) ?? createAjv().compile(schema);
    validators.set(registry, validate);
  }
  if (!validate(config)) {
    throw new SluiceError('CONFIG_INVALID', formatErrors(validate.errors, config));
  }
  if (!Array.isArray(config.sink)) config.sink = [config.sink];
  return config as PipelineConfig;
}
