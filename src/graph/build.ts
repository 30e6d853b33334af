import path from 'node:path';
import { layoutFor } from '../model/threads.js';
import { SluiceError, describeError } from '../core/errors.js';
import type { FeatureSpecMap, OutputInfo, SinkDefinition, SourceDefinition, StageContext, StageDefinition, TransformDefinition } from '../core/stage.js';
import type { StageKind } from '../core/types.js';
import type { LoadedConfig } from '../config/load.js';
import { validateConfig, type PipelineConfig, type StageConfig } from '../config/validate.js';
import { isModuleType } from '../config/schema.js';
import { displayName, resolveUri, type Storage } from '../storage/index.js';
import { isStorageFailure } from '../storage/errors.js';
import type { Registry } from './registry.js';
import { overlap } from './overlap.js';
import { slotEntries } from '../core/slots.js';
import { bindStage, type Bound } from './bind.js';

/**
 * One resolved stage of a graph: its definition, its methods bound to its options (validated,
 * defaults applied by the schema once: see bind.ts), its config path.
 */
export interface GraphStage<D extends StageDefinition = StageDefinition> {
  def: D;
  /** The definition's methods with the stage's options and context bound: `call.create()`. */
  call: Bound<D>;
  path: string;
  ctx: StageContext;
  /** True for a stage loaded from a user module: the runtime guards its code (runtime/guard.ts). */
  plugin: boolean;
  /** How messages name the stage: `/post/1 (my-stage)`. */
  label: string;
}

/** A frozen, checked pipeline: everything `run` needs, nothing touched yet. */
export interface Graph {
  name: string;
  baseDir: string;
  config: PipelineConfig;
  source: GraphStage<SourceDefinition>;
  /** decode, key, model, then post steps: the transforms in chain order. */
  transforms: GraphStage<TransformDefinition>[];
  sinks: GraphStage<SinkDefinition>[];
  errors: GraphStage<SinkDefinition>;
  workers: number;
  /** Why `workers` is not `execution.workers` (the tensorflow backend runs one thread): one line, else null. */
  workersNote: string | null;
  /** "jsonl → json → field → tfjs → argmax → round → jsonl (+ errors jsonl)". */
  summary: string;
}

/**
 * Config → frozen typed graph: validates the config (all problems at once), resolves each
 * stage from the registry with its methods bound to its options, and checks sink directories.
 * Touches no storage and no model; `checkGraph` does the checks that read a listing or a
 * model's JSON.
 *
 * @example
 * const graph = buildGraph(loadConfig('pipeline.json'), createRegistry(builtinStages), createStorage());
 */
export function buildGraph(loaded: LoadedConfig, registry: Registry, storage: Storage): Graph {
  const config = validateConfig(loaded.config, registry);
  const layout = layoutFor(config as unknown as Record<string, unknown>, config.execution.workers);
  const workers = layout.workers;
  const problems: string[] = [];
  const features: FeatureSpecMap = {};
  const forward: string[] = [];
  const execution = { workers, partitionBytes: config.execution.partitionBytes };

  const resolve = <K extends StageKind>(kind: K, cfg: StageConfig, path: string): GraphStage<any> | undefined => {
    const def = registry.get(kind, cfg.type);
    if (!def) {
      problems.push(`${path}/type: unknown ${kind} type "${cfg.type}" (known: ${registry.types(kind).join(', ')})`);
      return undefined;
    }
    const { type: _type, ...options } = cfg;
    const ctx: StageContext = {
      path,
      baseDir: loaded.baseDir,
      resolve: (uri) => resolveUri(uri, loaded.baseDir),
      displayName: (uri) => displayName(uri, loaded.baseDir),
      storage,
      features,
      forward,
      execution,
    };
    return Object.freeze({ def, call: bindStage(def, options, ctx), path, ctx, plugin: isModuleType(cfg.type), label: `${path} (${def.type})` });
  };

  // One pass over the slot table (core/slots.ts); paths as the user wrote them (`/sink` or `/sink/0`).
  const rawSinkList = Array.isArray(loaded.config.sink);
  const resolved = slotEntries(config as unknown as Record<string, unknown>).map((e) => {
    const path = e.slot.key === 'sink' && !rawSinkList ? '/sink' : e.path;
    return { key: e.slot.key, kind: e.kind, stage: resolve(e.kind, e.value as StageConfig, path) };
  });
  const of = (key: string) => resolved.filter((r) => r.key === key).map((r) => r.stage);
  const source = of('source')[0] as GraphStage<SourceDefinition> | undefined;
  // The transforms in slot order: every slot whose kind is neither a source nor a sink.
  const transforms = resolved.filter((r) => r.kind !== 'source' && r.kind !== 'sink').map((r) => r.stage) as (GraphStage<TransformDefinition> | undefined)[];
  const sinks = of('sink') as (GraphStage<SinkDefinition> | undefined)[];
  const errors = of('errors')[0] as GraphStage<SinkDefinition> | undefined;
  if (problems.length || !source || !errors || transforms.some((t) => !t) || sinks.some((s) => !s)) {
    throw new SluiceError('CONFIG_INVALID', problems);
  }

  // No edge check here: a stage's edges follow from its kind (KIND_EDGES), the slot table fixes
  // each slot's kind, and a definition stating other edges is refused when it is registered.

  // What later stages learn from earlier ones: the decode features, the forwarded fields.
  for (const t of transforms as GraphStage<TransformDefinition>[]) {
    try {
      if (t.call.features) Object.assign(features, t.call.features());
      if (t.call.forwards) forward.push(...t.call.forwards());
    } catch (err) {
      problems.push(`${t.label}: ${describeError(err)}`);
    }
  }

  // What post stages learn of the predictions they receive: each stage's `outputs` from the last, lazily (checks only).
  let upstream: () => Promise<OutputInfo[] | undefined> = async () => undefined;
  for (const t of transforms as GraphStage<TransformDefinition>[]) {
    const before = upstream;
    (t.ctx as { outputs?: () => Promise<OutputInfo[] | undefined> }).outputs = before;
    let known: Promise<OutputInfo[] | undefined> | undefined;
    upstream = () => (known ??= before().then((up) => (t.call.outputs ? t.call.outputs(up) : undefined)).catch(() => undefined));
  }

  // Every sink writes its own directory: two sinks in one place would overwrite each other's parts.
  const dirs = new Map<string, string>();
  for (const s of [...(sinks as GraphStage<SinkDefinition>[]), errors]) {
    let dir: string;
    try {
      dir = s.call.outputDir();
    } catch (err) {
      // User code (a plugin sink) may throw here: a config problem naming the stage, not a crash.
      problems.push(`${s.label}: ${describeError(err)}`);
      continue;
    }
    // A root (`/`, `C:\\`) is never an output directory: its listing is the whole disk and --overwrite would empty it.
    if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(dir) && path.parse(path.resolve(dir)).root === path.resolve(dir)) {
      problems.push(`${s.path}/uri: writes to ${dir}, the root of the file system; give the sink a directory of its own`);
    }
    // Sinks with different file bases (Vertex's results and errors) may share a directory.
    const place = `${dir}\0${s.call.outputBase?.() ?? 'part'}`;
    const other = dirs.get(place);
    if (other) problems.push(`${s.path}/uri: writes to ${dir}, which ${other} already writes to; give each sink its own directory`);
    dirs.set(place, s.path);
    for (const input of sourceInputs(source, config.source)) {
      const why = overlap(input, dir);
      if (why) problems.push(`${s.path}/uri: writes to ${dir}, where the source reads (${source.path}/uri: ${input}): ${why}; give the sink a directory outside the input`);
    }
  }
  if (problems.length) throw new SluiceError('CONFIG_INVALID', problems);

  const names = [source, ...(transforms as GraphStage[]), ...(sinks as GraphStage[])].map((s) => s.def.type);
  return Object.freeze({
    name: config.name,
    baseDir: loaded.baseDir,
    config,
    source,
    transforms: transforms as GraphStage<TransformDefinition>[],
    sinks: sinks as GraphStage<SinkDefinition>[],
    errors,
    workers,
    workersNote: layout.note,
    summary: `${names.join(' → ')} (+ errors ${errors.def.type})`,
  });
}

/** What a source reads, resolved: its `inputs` hook, else its `uri` option. */
function sourceInputs(source: GraphStage<SourceDefinition>, cfg: StageConfig): string[] {
  if (source.call.inputs) return source.call.inputs();
  const uri = cfg.uri;
  return typeof uri === 'string' ? [source.ctx.resolve(uri)] : [];
}

/**
 * The checks that need the outside world but no data: a source that matches no file, a model
 * whose JSON is missing or whose inputs the features cannot fit, a labels file that is missing.
 * Every problem is reported at once (exit 2) before any record is read.
 */
export async function checkGraph(graph: Graph): Promise<void> {
  await checkStages([graph.source, ...graph.transforms, ...graph.sinks, graph.errors]);
}

/**
 * `checkGraph` for some stages only: online prediction checks its chain (decode → post: the
 * model's signature, labels files) and not the source listing or the sinks it never uses.
 */
export async function checkStages(stages: GraphStage[]): Promise<void> {
  const results = await Promise.all(
    stages.map(async (s) => {
      if (!s.call.check) return [];
      try {
        return await s.call.check();
      } catch (err: any) {
        // Storage that is down is not a problem of the config: it fails the command (exit 1).
        if (isStorageFailure(err)) throw err;
        return [`${s.plugin ? s.label : s.path}: ${describeError(err)}`];
      }
    }),
  );
  const problems = results.flat();
  if (problems.length) throw new SluiceError('CONFIG_INVALID', problems);
}

/** Every output directory of a graph: the sinks' and the errors sink's. */
export function outputDirs(graph: Graph): string[] {
  // Once each: sinks that share a directory (different file bases) share its commit files.
  return [...new Set([...graph.sinks, graph.errors].map((s) => s.call.outputDir()))];
}
