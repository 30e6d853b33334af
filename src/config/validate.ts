import { SluiceError, describeError } from '../core/errors.js';
import type { StorageSettings } from '../storage/index.js';
import type { Registry } from '../graph/registry.js';
import { createAjv, formatErrors } from './ajv.js';
import { isModuleType, pipelineSchema } from './schema.js';
import type { StageDefinition } from '../core/stage.js';
import type { StageKind } from '../core/types.js';
import { slotEntries } from '../core/slots.js';
import { precompiledValidator } from './precompiled.js';
import type { RawConfig } from './load.js';
import { withDefaultStages } from './default-stages.js';

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
    /** Distributed runs (src/distributed/): the Redis URL of the queue. */
    coordinator?: string;
    redisTimeout: number;
    /** Modules imported in every thread before stages are made (graph/preload.ts). */
    preload?: Array<string | { module: string; options?: Record<string, unknown> }>;
  };
  /** Settings of the object-store clients (the backends read them when first used). */
  storage?: StorageSettings;
  /** Online prediction settings (`sluice serve`); defaults filled in, `maxBatchSize`/`workers` resolved by the server. */
  serve: {
    maxBatchSize?: number;
    batchTimeoutMs: number;
    maxQueue: number;
    maxBodyBytes: number;
    workers?: number;
    drainTimeoutMs: number;
    maxInstancesPerRequest: number;
    predictTimeoutMs: number;
    requestTimeoutMs: number;
    headersTimeoutMs: number;
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
  const config = withDefaultStages(structuredClone(raw)) as any;
  let validate = validators.get(registry);
  if (!validate) {
    const schema = pipelineSchema(registry.stages);
    validate = precompiledValidator(schema) ?? createAjv().compile(schema);
    validators.set(registry, validate);
  }
  const problems = validate(config) ? [] : formatErrors(validate.errors, config);
  problems.push(...validatePluginOptions(config, registry));
  if (problems.length) throw new SluiceError('CONFIG_INVALID', problems);
  if (!Array.isArray(config.sink)) config.sink = [config.sink];
  return config as PipelineConfig;
}

const pluginValidators = new WeakMap<StageDefinition, ReturnType<ReturnType<typeof createAjv>['compile']> | string>();

/**
 * Validates the options of every stage whose `type` names a user module against that module's
 * own `optionsSchema`, exactly as a built-in's are (same ajv setup, defaults filled in, one
 * line per problem with its JSON path). The pipeline schema only checks that such a stage is an
 * object with a `type`: the user's schema is known once the module is loaded, at run time.
 */
function validatePluginOptions(config: any, registry: Registry): string[] {
  const problems: string[] = [];
  const check = (slot: any, at: string, kind: StageKind) => {
    if (slot === null || typeof slot !== 'object' || !isModuleType(slot.type)) return;
    const def = registry.plugins.get(`${kind}/${slot.type}`);
    if (!def) {
      problems.push(`${at}/type: module ${JSON.stringify(slot.type)} was not loaded (build the registry with loadRegistry)`);
      return;
    }
    let validate = pluginValidators.get(def);
    if (!validate) {
      try {
        validate = createAjv().compile(def.optionsSchema);
      } catch (err) {
        validate = `module ${JSON.stringify(slot.type)} has an invalid options schema: ${describeError(err)}`;
      }
      pluginValidators.set(def, validate);
    }
    if (typeof validate === 'string') {
      problems.push(`${at}/type: ${validate}`);
      return;
    }
    const { type, ...options } = slot;
    if (!validate(options)) {
      problems.push(...formatErrors(validate.errors, options, at));
      return;
    }
    Object.assign(slot, options);
  };
  for (const e of slotEntries(config)) check(e.value, e.path, e.kind);
  return problems;
}
