import type Highland from 'highland';
import type { Failure, Json, Partition, RecordTypeName, StageKind } from './types.js';
import type { Storage } from './storage.js';

/** A stream element: a chunk of records (or Failures, which pass through every stage). */
export type Chunk<T> = Array<T | Failure>;
/** The stream a transform stage reads and returns. */
export type ChunkStream<T> = Highland.Stream<Chunk<T>>;

/** A feature spec as written under `decode.features` (CONTRACT: dtype, shape, default). */
export interface FeatureSpec {
  /** `int64` and `bytes` come from tf.Example features only (`decode/tf-example`). */
  dtype: 'float32' | 'int32' | 'int64' | 'string' | 'bytes';
  shape: number[];
  default?: number | string | Json[];
  /** CSV only: the columns that hold the elements of a feature of shape [n]. */
  columns?: string[];
}
export type FeatureSpecMap = Record<string, FeatureSpec>;

/** What every stage's `create` (and `check`, `plan`) receives. */
export interface StageContext {
  /** The stage's JSON path in the config, e.g. `/post/1`, for messages. */
  path: string;
  /** The config file's directory: relative URIs in options are resolved against it. */
  baseDir: string;
  /** Resolves a URI from the config against the config file's directory. */
  resolve(uri: string): string;
  /**
   * How an input file is named in keys and error rows: its path relative to the config
   * directory when it lies beneath it (so keys do not depend on where the project is checked
   * out), else its absolute path or URI.
   */
  displayName(uri: string): string;
  /** Storage behind every URI scheme. */
  storage: Storage;
  /** The decode stage's feature spec (the model stage maps features to inputs with it). */
  features: FeatureSpecMap;
  /** Names of the fields the key stage forwards (sinks use them for CSV headers). */
  forward: string[];
  /** Execution settings that stages may size themselves by. */
  execution: { workers: number; partitionBytes?: number };
  /**
   * What the stages before this one say its predictions hold (see `TransformDefinition.outputs`):
   * the model's outputs as changed by earlier post steps; undefined when unknown. For `check`.
   */
  outputs?(): Promise<OutputInfo[] | undefined>;
}

/** One output of the predictions a stage receives: its name and the size of its last axis (its classes), when known. */
export interface OutputInfo {
  name: string;
  classes: number | null;
}

/** What a running partition offers the stages that read from it or write for it. */
export interface PartitionContext {
  partition: Partition;
  /**
   * Opens the temporary file for this partition's output of one sink. The engine commits it as
   * `<dir>/part-00007-of-00032.<ext>` when the whole partition succeeded; never under that name before.
   * `base` replaces `part` (e.g. `prediction.results` for Vertex AI's layout); an empty `ext` adds none.
   */
  createOutput(dir: string, ext: string, base?: string): NodeJS.WritableStream;
  /** Aborted when the run stops (interrupt, error budget) or the partition times out. */
  signal: AbortSignal;
  /**
   * Runs a call that might never return (one model batch) over the records at `positions` of
   * this stage's input in the partition (0-based, counted the same way on every attempt). With
   * `timeoutMs`, the engine terminates the worker thread when the call overruns it and retries
   * the partition; on the retry a call holding the one that hung throws a plain Error (bisect
   * it), so attempt by attempt the record that hangs is found; a call of records that are to
   * fail throws a RecordError (code `timeout`) instead of running (src/runtime/hangs.ts).
   * Absent outside the engine (tests, online serving): call directly.
   *
   * @example
   * const out = await (part.guard ?? ((_p, _t, f) => f()))(positions, 30_000, () => model.predict(batch));
   */
  guard?: <T>(positions: readonly number[], timeoutMs: number | undefined, call: () => Promise<T>) => Promise<T>;
}

/** A row written by a sink: a prediction row or an error row, keys in output order. */
export type Row = Record<string, Json>;

/** A source reads one partition as a stream of RawRecord chunks. */
export interface SourceInstance {
  read(part: PartitionContext): ChunkStream<import('./types.js').RawRecord>;
  close?(): Promise<void> | void;
}

/**
 * What a stage tells the run about itself after a partition: `facts` (JSON, e.g. the batch size
 * in use) are kept with the partition's commit and summarised in the run summary; `warnings` are
 * one-line messages by a stable id, printed once per run whatever the number of workers.
 */
export interface StageReport {
  facts?: Record<string, Json>;
  warnings?: Record<string, string>;
}

/** decode / key / model / post: a stream transform; Failures pass through unchanged. */
export interface TransformInstance<In, Out> {
  transform(input: ChunkStream<In>, part: PartitionContext): ChunkStream<Out>;
  /** Called after each partition that completed: see `StageReport`. */
  report?(): StageReport;
  close?(): Promise<void> | void;
}

/**
 * Writes the rows of one partition attempt. The lifecycle: `write(rows)` any number of times,
 * then either `end()` (the attempt is complete; nothing may be visible yet) or `abort()` (the
 * attempt failed or is abandoned: drop what it staged). A partition whose attempt ended is
 * committed by the engine: its files become visible, its manifest entry (the commit point) is
 * written, then the sink definition's `commit` runs with the state `end` returned.
 *
 * `end` may resolve to a JSON value: the partition's *state* (e.g. a metrics sink's counts and
 * sums, or what an external sink staged). The engine stores it in the partition's manifest
 * entry, so a resumed run still has the state of every partition; it hands it to `commit`, and
 * all of them to the sink definition's `finish` once every partition is committed.
 */
export interface RowWriter {
  write(rows: Row[]): Promise<void> | void;
  end(): Promise<Json | void>;
  /** The attempt failed or was abandoned: release what it holds; nothing of it may ever be visible. */
  abort?(): Promise<void> | void;
}

/** A sink opens one writer per partition. */
export interface SinkInstance {
  open(part: PartitionContext): RowWriter;
  close?(): Promise<void> | void;
}

interface BaseDefinition<Options> {
  type: string;
  /** One line for `--help`, logs and the README's stage reference. */
  summary: string;
  /** JSON Schema of the options (without `type`): strict, with descriptions and defaults. */
  optionsSchema: Record<string, unknown>;
  /** Example options (validated by the compliance test). */
  examples?: Options[];
  /**
   * Checks that need the outside world but no data (a model's JSON, a source's listing);
   * returns one line per problem. Runs in `validate` and before `run` reads any data.
   */
  check?(options: Options, ctx: StageContext): Promise<string[]>;
  /**
   * Facts about the configured stage for the run summary and the config fingerprint, e.g. a
   * model's URI, the sha256 of its files and its backend (a changed model blocks a resume).
   */
  describe?(options: Options, ctx: StageContext): Promise<Record<string, Json>>;
  /**
   * Options that change how the stage runs but not the rows it outputs (a batch size, time
   * limits): left out of the config fingerprint, so changing them does not block a resume.
   */
  runtimeOptions?: string[];
}

export interface SourceDefinition<Options = any> extends BaseDefinition<Options> {
  kind: 'source';
  /** Follows from the kind (`KIND_EDGES`); a definition may state it, but only as its kind fixes it. */
  accepts?: 'Partition';
  emits?: 'RawRecord';
  /**
   * The files, directories or patterns this source reads (resolved URIs), so that no sink may
   * write there; default: the `uri` option, resolved.
   */
  inputs?(options: Options, ctx: StageContext): string[];
  /** Lists the input and cuts it into partitions, deterministically. */
  plan(options: Options, ctx: StageContext): Promise<Omit<Partition, 'id' | 'of'>[]>;
  create(options: Options, ctx: StageContext): SourceInstance | Promise<SourceInstance>;
}

export interface TransformDefinition<Options = any, In = any, Out = any> extends BaseDefinition<Options> {
  kind: 'decode' | 'key' | 'model' | 'post';
  /** Follow from the kind (`KIND_EDGES`); a definition may state them, but only as its kind fixes them. */
  accepts?: RecordTypeName;
  emits?: RecordTypeName;
  /** decode only: the feature spec this stage produces (the model checks it against its inputs). */
  features?(options: Options): FeatureSpecMap;
  /** key only: the input fields this stage forwards to the output. */
  forwards?(options: Options): string[];
  /**
   * model and post: the outputs of the predictions this stage emits, from those it receives
   * (`upstream`; the model reads its signature). Without it, what follows is unknown and later
   * checks of outputs (select, labels) are skipped. For `check` only: reads no weights.
   */
  outputs?(options: Options, ctx: StageContext, upstream: OutputInfo[] | undefined): Promise<OutputInfo[] | undefined> | OutputInfo[] | undefined;
  create(options: Options, ctx: StageContext): TransformInstance<In, Out> | Promise<TransformInstance<In, Out>>;
  /**
   * The run summary's view of the facts this stage reported per partition (see `StageReport`),
   * e.g. the smallest batch size any worker ended with; without it the summary shows the facts
   * of the last partition.
   */
  summarizeFacts?(facts: Record<string, Json>[], options: Options): Json;
}

export interface SinkDefinition<Options = any> extends BaseDefinition<Options> {
  kind: 'sink';
  /** Follows from the kind (`KIND_EDGES`); a definition may state it, but only as its kind fixes it. */
  accepts?: 'Prediction';
  emits?: 'Rows';
  /** The directory (URI) this sink writes into, for commit and `_SUCCESS`. */
  outputDir(options: Options, ctx: StageContext): string;
  /**
   * The base name of its partition files when not `part` (see `PartitionContext.createOutput`):
   * two sinks may share a directory only when their bases differ.
   */
  outputBase?(options: Options, ctx: StageContext): string;
  create(options: Options, ctx: StageContext): SinkInstance | Promise<SinkInstance>;
  /**
   * Runs once in the coordinator after every partition is committed (also when a rerun finds
   * them all committed already), before `_SUCCESS` is written. `states` holds what each
   * partition's writer returned from `end()`, in partition order, read from the manifest, so
   * partitions committed by an earlier, interrupted run count too. A sink that aggregates
   * (metrics) merges the states here, writes its result into its `outputDir` (atomically,
   * through `ctx.storage`), and returns a report: `lines` are printed after the run summary,
   * `result` goes into the run summary (`_SUCCESS`, `--json`) under `reports[<config path>]`.
   * Merging must depend on the states alone (associative, no order or worker dependence), so
   * states from other machines merge the same way. A throw fails the run (exit 1) before
   * `_SUCCESS`; rerunning the same command retries only this step.
   *
   * @example
   * async finish(options, states, ctx) {
   *   const total = states.reduce((n, s) => n + (s as { rows: number }).rows, 0);
   *   await ctx.storage.writeAtomic(joinUri(ctx.resolve(options.uri), 'count.json'), JSON.stringify({ total }));
   *   return { lines: [`rows: ${total}`], result: { total } };
   * }
   */
  finish?(options: Options, states: Json[], ctx: StageContext): Promise<SinkReport>;
  /**
   * Publishes one committed partition: runs after its files are visible and its manifest entry
   * is written, with the state its writer's `end()` returned (null when none). An external sink
   * delivers here (stage rows in `write`, send them in `commit`), so a failed or retried attempt
   * delivers nothing. It must be idempotent (e.g. an idempotency key per partition): a throw is
   * retried (`execution.maxAttempts`), and a run that stopped between the manifest entry and the
   * end of `commit` calls it again when rerun.
   *
   * @example
   * async commit(options, state, ctx, partition) {
   *   await post(options.url, await ctx.storage.readAll((state as { file: string }).file), `part-${partition.id}`);
   * }
   */
  commit?(options: Options, state: Json | null, ctx: StageContext, partition: Partition): Promise<void>;
  /** An attempt that ended but will never be committed (the run stopped, another attempt won), with its state. */
  abort?(options: Options, state: Json | null, ctx: StageContext, partition: Partition): Promise<void>;
}

/** What a sink's `finish` reports at the end of a run. */
export interface SinkReport {
  /** Lines printed on stderr after the run summary, e.g. a table of metrics. */
  lines: string[];
  /** JSON put into the run summary under `reports[<sink's config path>]`. */
  result: Json;
}

export type StageDefinition = SourceDefinition | TransformDefinition | SinkDefinition;

/**
 * What validation, the pipeline schema and the stage reference need of a built-in stage, without
 * its code: each built-in's schema.ts exports one and its index.ts spreads it into the definition;
 * stages/catalog.ts lists them beside a lazy import of each definition, so a run imports only the
 * stages its config names.
 */
export interface StageMeta<K extends StageKind = StageKind> {
  kind: K;
  type: string;
  summary: string;
  optionsSchema: Record<string, unknown>;
  /** A sink that aggregates (it has `finish`) instead of writing rows: it cannot be the errors sink. */
  aggregates?: boolean;
}

/** A built-in as stages/catalog.ts lists it: its meta now, its definition when a config names it. */
export interface LazyStage extends StageMeta {
  load(): Promise<StageDefinition>;
}

/**
 * Identity helper so that a stage definition's options type is inferred and checked.
 *
 * @example
 * export default defineStage<RoundOptions>()({ kind: 'post', type: 'round', ... });
 */
export function defineStage<Options>() {
  return <D extends SourceDefinition<Options> | TransformDefinition<Options> | SinkDefinition<Options>>(def: D): D => def;
}

/** Every kind in chain order. */
export const KIND_ORDER: StageKind[] = ['source', 'decode', 'key', 'model', 'post', 'sink'];

/** The record type each kind accepts and emits (the chain's edges; literal types for the builder). */
export const KIND_EDGES = {
  source: ['Partition', 'RawRecord'],
  decode: ['RawRecord', 'Instance'],
  key: ['Instance', 'KeyedInstance'],
  model: ['KeyedInstance', 'Prediction'],
  post: ['Prediction', 'Prediction'],
  sink: ['Prediction', 'Rows'],
} as const satisfies Record<StageKind, readonly [RecordTypeName, RecordTypeName]>;

/**
 * Why a definition's stated `accepts`/`emits` disagree with its kind, or null: a stage's edges
 * follow from its kind, so a definition states them (as older plugins do) only as its kind does.
 *
 * @example
 * edgeProblem({ kind: 'post', accepts: 'Instance' }) // 'its post stage definition says it accepts Instance …'
 */
export function edgeProblem(def: { kind: StageKind; accepts?: unknown; emits?: unknown }): string | null {
  const [accepts, emits] = KIND_EDGES[def.kind];
  if ((def.accepts === undefined || def.accepts === accepts) && (def.emits === undefined || def.emits === emits)) return null;
  return `its ${def.kind} stage definition says it accepts ${def.accepts ?? accepts} and emits ${def.emits ?? emits}, but a ${def.kind} stage accepts ${accepts} and emits ${emits} (leave accepts/emits out: the kind fixes them)`;
}
