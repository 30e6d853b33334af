/**
 * `execution.preload`: modules a config names to be imported in every thread of a run before its
 * stages are made — this process, each worker thread, each `sluice worker` process, each
 * `sluice serve` thread. Node's `--import` does not reach worker threads, so this is how code
 * that must run everywhere gets there: registering custom tfjs layers, or installing storage and
 * model-call wrappers (`wrapStorage`, `wrapPredict` in core/hooks.ts, exported by the stage SDK),
 * for auditing, or, in Sluice's own tests, to inject faults (test/helpers/fault-preload.ts).
 *
 * An entry is a path (relative to the config file, or a `file:` URL) or `{module, options}`. The
 * module is imported once per thread; when its default export is a function it is called once
 * per thread and distinct options, with the options (`{}` when none), and awaited.
 */
import { pathToFileURL } from 'node:url';
import { SluiceError, describeError } from '../core/errors.js';
import type { LoadedConfig } from '../config/load.js';
import { modulePath } from './module-path.js';

type Entry = string | { module?: unknown; options?: unknown };

/** What this thread has run already: `<file> <options JSON>`. */
const done = new Map<string, Promise<void>>();

/**
 * Imports and runs the preload modules of a raw (unvalidated) config in this thread, each once;
 * a module that does not load, or whose function throws, is a config error naming its entry.
 *
 * @example
 * await runPreloads(loadConfig('pipeline.json')); // "execution": {"preload": ["./layers.js"]}
 */
export async function runPreloads(loaded: LoadedConfig): Promise<void> {
  const list = (loaded.config.execution as { preload?: unknown } | undefined)?.preload;
  if (!Array.isArray(list)) return;
  const problems: string[] = [];
  for (const [i, entry] of (list as Entry[]).entries()) {
    const at = `/execution/preload/${i}`;
    const module = typeof entry === 'string' ? entry : entry?.module;
    if (typeof module !== 'string' || !module) continue; // the schema names it
    const options = typeof entry === 'object' && entry.options !== undefined ? entry.options : {};
    const file = modulePath(module, loaded.baseDir);
    const key = `${file} ${JSON.stringify(options)}`;
    if (!done.has(key)) done.set(key, preload(file, module, options));
    try {
      await done.get(key);
    } catch (err) {
      done.delete(key);
      problems.push(`${at}: ${describeError(err)}`);
    }
  }
  if (problems.length) throw new SluiceError('CONFIG_INVALID', problems);
}

async function preload(file: string, module: string, options: unknown): Promise<void> {
  let mod: Record<string, unknown>;
  try {
    mod = await import(pathToFileURL(file).href);
  } catch (err: any) {
    const why = err?.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes(file) ? `no such file ${file}` : describeError(err);
    throw new Error(`cannot load module ${JSON.stringify(module)}: ${why}`);
  }
  if (typeof mod.default !== 'function') return;
  try {
    await (mod.default as (options: unknown) => unknown)(options);
  } catch (err) {
    throw new Error(`module ${JSON.stringify(module)}: its default export threw: ${describeError(err)}`);
  }
}
