/**
 * The one way a pipeline is prepared and run, shared by the CLI (`sluice run`) and the library
 * (`run(pipeline)`): load the user stages a config names, build and check the graph, then run
 * it on a pool of worker threads. A programmatic pipeline is a config too (see api/builder.ts),
 * so both go through exactly the same partitions, workers, commit and errors.
 */
import type { LoadedConfig } from '../config/load.js';
import type { Graph } from '../graph/build.js';
import { storageFor, type Storage } from '../storage/index.js';
import type { RunOptions, RunSummary } from './run.js';

/** A config made ready to run: its graph built and checked (no data read yet). */
export interface PreparedPipeline {
  loaded: LoadedConfig;
  graph: Graph;
  storage: Storage;
}

/**
 * Loads the user stages a config names, builds the graph (all config problems at once) and runs
 * the checks that read a listing or a model's JSON but no data. Throws a SluiceError (exit 2).
 *
 * @example
 * const { graph } = await preparePipeline(loadConfig('pipeline.json'));
 */
export async function preparePipeline(loaded: LoadedConfig, storage: Storage = storageFor(loaded.config)): Promise<PreparedPipeline> {
  // Imported here, not above: `runPipeline` starts the worker threads before this thread loads
  // validation, the graph and the stages.
  const [{ buildGraph, checkGraph }, { loadRegistry }, { builtinCatalog }] = await Promise.all([import('../graph/build.js'), import('../graph/plugins.js'), import('../../stages/catalog.js')]);
  const registry = await loadRegistry(loaded, builtinCatalog);
  const graph = buildGraph(loaded, registry, storage);
  await checkGraph(graph);
  return { loaded, graph, storage };
}

/**
 * Prepares and runs a loaded config. Worker threads start first, so that model loading in them
 * overlaps this thread's validation, checks and planning; none outlives the run.
 *
 * @example
 * const summary = await runPipeline(loadConfig('pipeline.json'), { overwrite: true });
 */
export async function runPipeline(loaded: LoadedConfig, options: Omit<RunOptions, 'pool'> = {}): Promise<RunSummary> {
  // Loaded lazily so that `validate` and `--help` start fast; the threads start before this
  // thread imports the rest (the run loop, validation, the stages).
  const { startPool, requestedWorkers } = await import('./pool.js');
  const pool = startPool(loaded, requestedWorkers(loaded.config));
  try {
    const { run } = await import('./run.js');
    const prepared = await preparePipeline(loaded);
    return await run(loaded, prepared.graph, prepared.storage, { ...options, pool });
  } finally {
    await pool.destroy();
  }
}
