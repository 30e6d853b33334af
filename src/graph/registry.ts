import { edgeProblem, type LazyStage, type StageDefinition } from '../core/stage.js';
import type { StageKind } from '../core/types.js';

/** The stages a pipeline may name, by kind and type. Built from an explicit list. */
export interface Registry {
  /**
   * The built-in (listed) stages, with their code or only their meta (a catalogue entry the
   * config does not name, see `loadRegistry`): the pipeline schema is assembled from these.
   */
  readonly stages: readonly BuiltinStage[];
  /**
   * User stages loaded from modules, by `<kind>/<type as written in the config>` (e.g.
   * `sink/./my-sink.js`). Kept apart from `stages` so the precompiled pipeline validator still
   * fits: their options are validated against their own schemas (see `validateConfig`).
   */
  readonly plugins: ReadonlyMap<string, StageDefinition>;
  get(kind: StageKind, type: string): StageDefinition | undefined;
  types(kind: StageKind): string[];
}

/** A built-in's definition, or its catalogue entry when its code is not loaded (stages/catalog.ts). */
export type BuiltinStage = StageDefinition | LazyStage;

/** A definition (every kind has `create`) rather than a catalogue entry whose code is not loaded. */
export const isDefinition = (s: BuiltinStage): s is StageDefinition => typeof (s as { create?: unknown }).create === 'function';

/**
 * A registry over an explicit list of stage definitions (built-ins), plus user stages loaded
 * from modules (see `loadRegistry` in graph/plugins.ts). Two stages of one kind with the same
 * type name are a programming error. A catalogue entry left unloaded counts for validation (its
 * options schema) but `get` refuses it: `loadRegistry` loads every stage a config names.
 *
 * @example
 * const registry = createRegistry(builtinStages);
 * registry.get('post', 'round');
 */
export function createRegistry(stages: readonly BuiltinStage[], plugins: ReadonlyMap<string, StageDefinition> = new Map()): Registry {
  const byKey = new Map<string, BuiltinStage>();
  for (const s of stages) {
    const k = `${s.kind}/${s.type}`;
    if (byKey.has(k)) throw new Error(`two stages are registered as ${k}`);
    const edges = edgeProblem(s);
    if (edges) throw new Error(`stage ${k}: ${edges}`);
    byKey.set(k, s);
  }
  return {
    stages: Object.freeze([...stages]),
    plugins,
    get: (kind, type) => {
      const s = byKey.get(`${kind}/${type}`);
      if (s && !isDefinition(s)) throw new Error(`stage ${kind}/${type} is not loaded: build the registry with loadRegistry`);
      return s ?? plugins.get(`${kind}/${type}`);
    },
    types: (kind) => stages.filter((s) => s.kind === kind).map((s) => s.type),
  };
}
