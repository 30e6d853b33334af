/**
 * The typed programmatic builder. A chain is typed by the record type on its last edge, so a
 * wrong order does not compile:
 *
 *   pipeline(source.jsonl({ uri }))          // RawRecord
 *     .pipe(decode.json({ features }))       // Instance
 *     .pipe(key.field({ field: 'id' }))      // KeyedInstance
 *     .pipe(model.tfjs({ uri }))             // Prediction
 *     .pipe(post.argmax({}))                 // Prediction
 *     .to(sink.jsonl({ uri }))               // a PipelineDefinition
 *
 * It compiles to the very config a `pipeline.json` holds (built-ins by `type`, user stages by
 * module path, never closures), so `run()` takes it through the same validation, graph checks,
 * worker threads, partitions and commit as the CLI; worker threads rebuild it from that data.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SinkDefinition, SourceDefinition, StageDefinition, TransformDefinition } from '../core/stage.js';
import { KIND_EDGES } from '../core/stage.js';
import type { RecordTypeName, StageKind } from '../core/types.js';
import type { RawConfig } from '../config/load.js';

/** One configured stage: its kind, the record types on its edges, and its config entry. */
export interface Step<In extends RecordTypeName, Out extends RecordTypeName, K extends StageKind = StageKind> {
  readonly kind: K;
  readonly accepts: In;
  readonly emits: Out;
  /** The stage's entry in the config: `{"type": …, …options}`. */
  readonly config: { readonly type: string; readonly [option: string]: unknown };
}

/** A pipeline as data: the config a `pipeline.json` would hold, and the directory its relative URIs resolve against. */
export interface PipelineDefinition {
  readonly config: RawConfig;
  readonly baseDir: string;
}

/** The options of a stage definition (the first parameter of its `create`). */
export type OptionsOf<D> = D extends { create(options: infer O, ...rest: any[]): unknown } ? O : never;

/** Options as a user writes them: the keys in `Defaulted` (those with a schema default) may be left out. */
export type StageOptions<O, Defaulted extends keyof O = never> = Omit<O, Defaulted> & Partial<Pick<O, Defaulted>>;

type Transform = 'decode' | 'key' | 'model' | 'post';

/** What `.to()` takes besides the sinks; each has the same meaning and default as in a config. */
export interface PipelineOptions {
  /** The pipeline name (default "pipeline"). */
  name?: string;
  /** The directory relative URIs (data, model, outputs) resolve against: a path or a file: URL (default: the working directory). */
  baseDir?: string | URL;
  /** The errors sink (default: jsonl under `<sink uri>/_errors`). */
  errors?: Step<'Prediction', 'Rows', 'sink'>;
  /** `execution` as in a config: workers, partitionBytes, maxErrors, maxErrorRate, maxAttempts. */
  execution?: { workers?: number; partitionBytes?: number; maxErrors?: number; maxErrorRate?: number; maxAttempts?: number };
}

/** A chain under construction; `Out` is the record type its last stage emits. */
export class Chain<Out extends RecordTypeName> {
  /** @internal the steps so far, source first. */
  private readonly steps: readonly Step<any, any>[];
  /** The record type on the chain's open end (also what makes `Chain<A>` and `Chain<B>` differ). */
  readonly emits: Out;

  /** @internal use `pipeline(source)`. */
  constructor(steps: readonly Step<any, any>[], emits: Out) {
    this.steps = steps;
    this.emits = emits;
  }

  /** Appends a decode, key, model or post stage that accepts what the chain emits. */
  pipe<N extends RecordTypeName>(step: Step<Out, N, Transform>): Chain<N> {
    return new Chain<N>([...this.steps, step], step.emits);
  }

  /**
   * Ends the chain in one sink or several (every sink receives every prediction) and returns
   * the pipeline as data, ready for `run()`. Only a chain that emits Predictions can end.
   */
  to(this: Chain<'Prediction'>, sinks: Step<'Prediction', 'Rows', 'sink'> | Step<'Prediction', 'Rows', 'sink'>[], options: PipelineOptions = {}): PipelineDefinition {
    const slot = (kind: StageKind) => this.steps.filter((s) => s.kind === kind).map((s) => ({ ...s.config }));
    const one = (kind: StageKind) => {
      const list = slot(kind);
      // Only reachable from untyped (JavaScript) callers: the types allow one of each.
      if (list.length > 1) throw new Error(`a pipeline has one ${kind} stage, got ${list.length}`);
      return list[0];
    };
    const config: RawConfig = { name: options.name ?? 'pipeline', source: one('source'), decode: one('decode') };
    const k = one('key');
    if (k) config.key = k;
    config.model = one('model');
    const post = slot('post');
    if (post.length) config.post = post;
    config.sink = Array.isArray(sinks) ? sinks.map((s) => ({ ...s.config })) : { ...sinks.config };
    if (options.errors) config.errors = { ...options.errors.config };
    if (options.execution) config.execution = { ...options.execution };
    const base = options.baseDir ?? process.cwd();
    return Object.freeze({ config, baseDir: path.resolve(base instanceof URL || base.startsWith('file:') ? fileURLToPath(base) : base) });
  }
}

/**
 * Starts a chain at a source.
 *
 * @example
 * const p = pipeline(source.jsonl({ uri: 'data/flowers.jsonl' })).pipe(decode.json({ features })).pipe(key.position({})).pipe(model.tfjs({ uri: 'model/model.json' })).to(sink.jsonl({ uri: 'out' }));
 */
export function pipeline(source: Step<'Partition', 'RawRecord', 'source'>): Chain<'RawRecord'> {
  return new Chain<'RawRecord'>([source], 'RawRecord');
}

/** The `Step` type of a stage definition. */
export type StepOf<D> = D extends { kind: infer K extends StageKind } ? StepOfKind<K> : never;

/** The `Step` of a kind: its edges follow from the kind (`KIND_EDGES`), never from a definition. */
export type StepOfKind<K extends StageKind> = Step<(typeof KIND_EDGES)[K][0], (typeof KIND_EDGES)[K][1], K>;

/** A step of `kind` with `config`, its edges from the kind. */
function stepOf<K extends StageKind>(kind: K, config: Step<RecordTypeName, RecordTypeName>['config']): StepOfKind<K> {
  const [accepts, emits] = KIND_EDGES[kind];
  return { kind, accepts, emits, config } as unknown as StepOfKind<K>;
}

/**
 * A typed factory for a stage definition's steps; `Defaulted` names the options with defaults.
 *
 * @example
 * const round = stageFactory<typeof roundDef, 'digits'>(roundDef);
 * round({}) // { kind: 'post', accepts: 'Prediction', emits: 'Prediction', config: { type: 'round' } }
 */
export function stageFactory<D extends StageDefinition, Defaulted extends keyof OptionsOf<D> = never>(def: D) {
  return (options: StageOptions<OptionsOf<D>, Defaulted>): StepOf<D> =>
    stepOf(def.kind, { type: def.type, ...options }) as StepOf<D>;
}

/** A module's path for a config: a file: URL as its href, a path as given (relative ones resolve against baseDir). */
function moduleRef(module: string | URL): string {
  if (module instanceof URL) return module.href;
  return module.startsWith('.') || module.startsWith('/') || module.startsWith('file:') ? module : `./${module}`;
}


/**
 * A user stage from a module (its default export, made with `defineStage`), named by path so
 * that worker threads can import it too. Type it with the module's definition (and, like
 * `stageFactory`, the names of options that have defaults):
 *
 * @example
 * const http = plugin<typeof import('./http-sink.js').default, 'timeoutMs'>('sink', new URL('./http-sink.js', import.meta.url), { url, uri: 'out/receipts' });
 */
export function plugin<D extends StageDefinition, Defaulted extends keyof OptionsOf<D> = never>(
  kind: D['kind'],
  module: string | URL,
  options: StageOptions<OptionsOf<D>, Defaulted>,
): StepOf<D> {
  return stepOf(kind, { type: moduleRef(module), ...options }) as StepOf<D>;
}

/** The three stages of a prediction spec module (see `defineSpec`), for `.pipe()`. */
export interface SpecSteps {
  decode: Step<'RawRecord', 'Instance', 'decode'>;
  model(options?: { batchSize?: number; backend?: 'auto' | 'wasm' | 'cpu' | 'tensorflow'; onNonFinite?: 'fail' | 'keep' | 'null' }): Step<'KeyedInstance', 'Prediction', 'model'>;
  post: Step<'Prediction', 'Prediction', 'post'>;
}

/**
 * The stages of a prediction spec module whose default export is `defineSpec(MySpec)`.
 *
 * @example
 * const iris = spec(new URL('./iris-spec.js', import.meta.url));
 * pipeline(src).pipe(iris.decode).pipe(key.field({ field: 'id' })).pipe(iris.model({ batchSize: 32 })).pipe(iris.post).to(out);
 */
export function spec(module: string | URL): SpecSteps {
  const type = moduleRef(module);
  return {
    decode: stepOf('decode', { type }),
    model: (options = {}) => stepOf('model', { type, ...options }),
    post: stepOf('post', { type }),
  };
}
