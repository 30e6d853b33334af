import path from 'node:path';
import { loadConfig, type LoadedConfig } from '../config/load.js';
import { preparePipeline, runPipeline } from '../runtime/pipeline.js';
import type { RunSummary } from '../runtime/run.js';
import type { ProgressReporter } from '../runtime/progress.js';
import type { PipelineDefinition } from './builder.js';

/** What `run()` takes: a config file's path, or a pipeline from the builder (or any config object with its base directory). */
export type PipelineInput = string | PipelineDefinition;

/** Options of the library's `run`, as the CLI's `run` flags. */
export interface LibraryRunOptions {
  /** Replace an existing output instead of resuming it (`--overwrite`). */
  overwrite?: boolean;
  /** Abort to stop the run as SIGINT does: committed partitions are kept, the run rejects. */
  signal?: AbortSignal;
  /** `--set path=value` overrides (config files only). */
  set?: string[];
  /** Progress events (the CLI prints a bar); default none. */
  progress?: ProgressReporter;
}

/** The LoadedConfig of a pipeline: a file is read as the CLI reads it; a definition is copied. */
export function loadPipeline(input: PipelineInput, set: string[] = []): LoadedConfig {
  if (typeof input === 'string') return loadConfig(input, set);
  const config = structuredClone(input.config);
  return { file: path.join(input.baseDir, `${String(config.name ?? 'pipeline')}.json`), baseDir: input.baseDir, config };
}

/**
 * Runs a pipeline exactly as `sluice run` does (same validation, graph checks, worker threads,
 * partitions, commit and resume) and resolves with the run summary. Rejects with a SluiceError
 * (`exitCode` 2: invalid config; 1: the run failed) carrying one line per problem.
 *
 * @example
 * const summary = await run(pipeline(source.jsonl({ uri: 'in.jsonl' })).pipe(…).to(sink.jsonl({ uri: 'out' }), { baseDir: import.meta.url }));
 * const again = await run('examples/quickstart/pipeline.json', { overwrite: true });
 */
export function run(input: PipelineInput, options: LibraryRunOptions = {}): Promise<RunSummary> {
  return runPipeline(loadPipeline(input, options.set), { overwrite: options.overwrite, signal: options.signal, progress: options.progress });
}

/**
 * Checks a pipeline as `sluice validate` does (config, user stages, model signature; no data
 * read) and resolves with its chain summary, e.g. "jsonl → json → field → tfjs → jsonl (+ errors jsonl)".
 */
export async function validate(input: PipelineInput, options: { set?: string[] } = {}): Promise<string> {
  const { graph } = await preparePipeline(loadPipeline(input, options.set));
  return graph.summary;
}
