/**
 * User stages from modules: a config names one by path in any stage slot, e.g.
 * `"sink": {"type": "./stages/my-sink.js", "table": "predictions"}`. The module's default export
 * is a stage definition made with `defineStage` (or a list of them, one per kind, as a
 * prediction spec exports). Loading is async (dynamic import), so it happens before
 * `buildGraph`, in the CLI and again in every worker thread: a config carries module paths,
 * never closures, so each thread rebuilds the same registry from the same serialisable data.
 */
import { pathToFileURL } from 'node:url';
import { SluiceError, describeError } from '../core/errors.js';
import type { StageDefinition } from '../core/stage.js';
import { edgeProblem } from '../core/stage.js';
import { slotEntries } from '../core/slots.js';
import type { StageKind } from '../core/types.js';
import type { LoadedConfig } from '../config/load.js';
import { isModuleType } from '../config/schema.js';
import { createRegistry, isDefinition, type BuiltinStage, type Registry } from './registry.js';
import { withDefaultStages } from '../config/default-stages.js';
import { modulePath } from './module-path.js';
import { runPreloads } from './preload.js';

/** A stage slot of a raw config: where it is, which kind it must be, its `type`. */
interface Slot {
  path: string;
  kind: StageKind;
  type: string;
}

/** Every stage slot of a raw (unvalidated) config whose `type` names a module. */
function moduleSlots(config: Record<string, unknown>): Slot[] {
  return slotEntries(config).flatMap(({ path: at, kind, value }) => {
    const type = (value as { type?: unknown } | null)?.type;
    return value !== null && typeof value === 'object' && isModuleType(type) ? [{ path: at, kind, type }] : [];
  });
}

/** What each kind's definition must provide (functions), for a message naming what is missing. */
const REQUIRED: Record<StageKind, string[]> = {
  source: ['plan', 'create'],
  decode: ['create'],
  key: ['create'],
  model: ['create'],
  post: ['create'],
  sink: ['outputDir', 'create'],
};

/** What is wrong with a module's definition of `kind`, or null when it is usable. */
function definitionProblem(def: any, kind: StageKind): string | null {
  const missing: string[] = [];
  if (typeof def.type !== 'string' || !def.type) missing.push('type');
  if (typeof def.summary !== 'string') missing.push('summary');
  if (def.optionsSchema === null || typeof def.optionsSchema !== 'object') missing.push('optionsSchema');
  for (const fn of REQUIRED[kind]) if (typeof def[fn] !== 'function') missing.push(`${fn}()`);
  if (missing.length) return `its ${kind} stage definition lacks ${missing.join(', ')}`;
  // A stage's edges follow from its kind; a definition may still state them, but not otherwise.
  return edgeProblem(def);
}

/** The definitions a module exports: its default export, one definition or a list of them. */
function exportedDefinitions(mod: Record<string, unknown>): any[] {
  const d = mod.default;
  if (Array.isArray(d)) return d.filter((x) => x && typeof x === 'object');
  return d && typeof d === 'object' ? [d] : [];
}

const describeKinds = (defs: any[]) => (defs.length ? defs.map((d) => `${d.kind} "${d.type}"`).join(', ') : 'nothing usable as its default export');

/**
 * `builtins` with the code of every catalogue entry the config names loaded (its slots, with
 * the default key and errors stages): the one place built-in stage code is imported for a run,
 * so a thread imports no stage it does not use. A type the catalogue does not know is left to
 * validation, which names it with its "did you mean".
 */
async function loadNamed(loaded: LoadedConfig, builtins: readonly BuiltinStage[]): Promise<BuiltinStage[]> {
  const named = new Set(
    slotEntries(withDefaultStages({ ...loaded.config })).map(({ kind, value }) => `${kind}/${(value as { type?: unknown } | null)?.type}`),
  );
  return Promise.all(builtins.map((s) => (!isDefinition(s) && named.has(`${s.kind}/${s.type}`) ? s.load() : s)));
}

/**
 * The registry for a loaded config: the built-ins (those it names with their code, see
 * `loadNamed`) plus the user stages its slots name by path. Every problem (a module that does
 * not load, exports no stage of the slot's kind, or a malformed definition) is one config line
 * naming the slot, all reported at once (exit 2).
 *
 * @example
 * const registry = await loadRegistry(loadConfig('pipeline.json'), builtinCatalog);
 * const graph = buildGraph(loaded, registry, storage);
 */
export async function loadRegistry(loaded: LoadedConfig, builtins: readonly BuiltinStage[]): Promise<Registry> {
  // Every thread builds its registry before its stages: the config's preload modules run first.
  await runPreloads(loaded);
  const named = await loadNamed(loaded, builtins);
  const slots = moduleSlots(loaded.config);
  if (slots.length === 0) return createRegistry(named);
  const plugins = new Map<string, StageDefinition>();
  const problems: string[] = [];
  for (const slot of slots) {
    const key = `${slot.kind}/${slot.type}`;
    if (plugins.has(key)) continue;
    const file = modulePath(slot.type, loaded.baseDir);
    let mod: Record<string, unknown>;
    try {
      mod = await import(pathToFileURL(file).href);
    } catch (err: any) {
      const why = err?.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes(file) ? `no such file ${file}` : describeError(err);
      problems.push(`${slot.path}/type: cannot load module ${JSON.stringify(slot.type)}: ${why}`);
      continue;
    }
    const defs = exportedDefinitions(mod);
    const def = defs.find((d) => d.kind === slot.kind);
    if (!def) {
      problems.push(`${slot.path}/type: module ${JSON.stringify(slot.type)} exports no ${slot.kind} stage (it exports ${describeKinds(defs)}); export default defineStage<Options>()({ kind: '${slot.kind}', … })`);
      continue;
    }
    const problem = definitionProblem(def, slot.kind);
    if (problem) {
      problems.push(`${slot.path}/type: module ${JSON.stringify(slot.type)}: ${problem}`);
      continue;
    }
    plugins.set(key, def as StageDefinition);
  }
  if (problems.length) throw new SluiceError('CONFIG_INVALID', problems);
  return createRegistry(named, plugins);
}
