import path from 'node:path';
import { SluiceError } from '../core/errors.js';
import { loadConfig, type LoadedConfig, type RawConfig } from '../config/load.js';
import type { PipelineConfig } from '../config/validate.js';
import { buildGraph, checkStages, type Graph } from '../graph/build.js';
import { loadRegistry } from '../graph/plugins.js';
import type { PipelineDefinition } from '../api/builder.js';
import { storageFor } from '../storage/index.js';
import { builtinCatalog } from '../../stages/catalog.js';

/**
 * A pipeline for online prediction: the path of a config file (as `sluice run` takes), a
 * pipeline from the programmatic builder (`{config, baseDir}`), a config object (a validated
 * `PipelineConfig`, or a raw one as parsed from JSON), or a `LoadedConfig` from `loadConfig`.
 */
export type PipelineInput = string | PipelineDefinition | PipelineConfig | RawConfig | LoadedConfig;

/** How a pipeline is read: relative URIs in a config object resolve against `baseDir`; `set` overrides values of a config file. */
export interface PipelineOptions {
  /** The directory a config object's relative URIs resolve against (default: the working directory). */
  baseDir?: string;
  /** `path=value` overrides, as `--set` on the command line. */
  set?: string[];
}

function isDefinition(x: object): x is PipelineDefinition {
  const d = x as Partial<PipelineDefinition> & { file?: unknown };
  return d.file === undefined && typeof d.baseDir === 'string' && typeof d.config === 'object' && d.config !== null;
}

function isLoaded(x: object): x is LoadedConfig {
  const l = x as Partial<LoadedConfig>;
  return typeof l.file === 'string' && typeof l.baseDir === 'string' && typeof l.config === 'object' && l.config !== null;
}

/**
 * The pipeline as a `LoadedConfig` (what `buildGraph` and worker threads take).
 *
 * @example
 * loadPipeline('examples/quickstart/pipeline.json')
 * loadPipeline({ source: …, decode: …, model: …, sink: … }, { baseDir: '/srv/models/iris' })
 */
export function loadPipeline(pipeline: PipelineInput, options: PipelineOptions = {}): LoadedConfig {
  if (typeof pipeline === 'string') return loadConfig(pipeline, options.set ?? []);
  if (pipeline === null || typeof pipeline !== 'object' || Array.isArray(pipeline)) {
    throw new SluiceError('USAGE', `pipeline: expected a config file path or a config object, got ${pipeline === null ? 'null' : Array.isArray(pipeline) ? 'an array' : typeof pipeline}`);
  }
  if (isLoaded(pipeline)) return pipeline;
  if (isDefinition(pipeline)) {
    const config = structuredClone(pipeline.config);
    return { file: path.join(pipeline.baseDir, `${String(config.name ?? 'pipeline')}.json`), baseDir: pipeline.baseDir, config };
  }
  const baseDir = path.resolve(options.baseDir ?? process.cwd());
  // A copy: the caller's object is theirs; validation fills in defaults on its own copy anyway.
  const config = structuredClone(pipeline) as RawConfig;
  config.name ??= 'pipeline';
  return { file: path.join(baseDir, '<config object>'), baseDir, config };
}

/**
 * Validates a pipeline and checks its chain against the outside world without reading data:
 * the model's signature against the features, labels files. The source listing and the sinks
 * are not checked: online prediction reads no input files and writes none. Throws a
 * SluiceError with one line per problem.
 */
export async function preparePipeline(loaded: LoadedConfig): Promise<Graph> {
  // User stages are named by module path in the config: they are imported here, as a worker does.
  const graph = buildGraph(loaded, await loadRegistry(loaded, builtinCatalog), storageFor(loaded.config));
  await checkStages(graph.transforms);
  return graph;
}
