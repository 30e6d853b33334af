import { WorkerResetError, bisect, hookedPredict, defineStage, mapAsync, rechunk, isFailure, RecordError, toFailure, SluiceError, describeError, withTimeout, LeakGuard, liveTensors, type Chunk, type PartitionContext, type TransformInstance, type Failure, type Json, type KeyedInstance, type Prediction } from '../../../src/sdk.js';
import { isStorageFailure } from '../../../src/storage/errors.js';
import { backendProblem, backendReason, resolveBackend } from '../../../src/model/backend.js';
import { checkSavedModel, describeSavedModel, isSavedModel, savedModelChoice } from './saved-model.js';
import { dirOf, readModelJson } from '../../../src/model/io-handler.js';
import { weightSizeProblems } from '../../../src/model/weights.js';
import { readSignature, shortName } from '../../../src/model/signature.js';
import { unknownLayerClasses } from '../../../src/model/layer-classes.js';
import { CONFIG_PATHS, checkFeatures } from '../../../src/model/features.js';
import { hashModel } from '../../../src/model/fingerprint.js';
import type { LoadedModel } from '../../../src/model/load.js';
import type { ModelRequest } from '../../../src/model/open.js';
import { ModelHostGone } from '../../../src/model/host-wire.js';
import { findNonFinite, nonFiniteMessage, nullNonFinite, type NonFiniteMode } from '../../../src/model/finite.js';
import { outOfMemory } from '../../../src/model/memory.js';
import { DEFAULT_BACKEND, DEFAULT_BATCH_SIZE, DEFAULT_LOAD_TIMEOUT_MS, DEFAULT_ON_NON_FINITE, tfjsMeta, type TfjsOptions } from './schema.js';

let retries = 0;

/**
 * How many model calls bisection has made so far in this thread: each half of a failed batch
 * tried again counts one. A clean batch adds none; one poison record in a batch of 256 adds 16
 * (two halves at each of 8 levels). Tests read the difference around a run.
 *
 * @example
 * const before = bisectionRetries(); await run(); const spent = bisectionRetries() - before;
 */
export function bisectionRetries(): number {
  return retries;
}

/** A Prediction carrying `record`'s key, forwarded fields and origin. */
function toPrediction(record: KeyedInstance, prediction: Json): Prediction {
  const { key, forward, source, index, offset, raw } = record;
  return { key, forward, prediction, source, index, offset, raw };
}

/**
 * Predicts a batch, isolating poison records: when the model throws on the batch, each half is
 * tried again, recursively, down to single records; only a record that fails on its own becomes
 * a Failure (stage `model`, code `model-error`, the model's message for that record). Every other
 * record is predicted, and results keep the batch's order.
 *
 * Out of memory is not a record's fault: it is rethrown, for `predictAdaptive` to retry with a
 * smaller batch. Any other throw bisects: a model that throws on every call costs 2n-1 calls for
 * a batch of n before all of its records fail, each with its own message — bounded, never a loop.
 * Healthy batches pay nothing: one call, no retries.
 *
 * @example
 * await predictIsolating(model, batch) // 256 records, id 50 out of an embedding's range at 137:
 * // [Prediction k0, …, Failure { key: 'k137', code: 'model-error', error: 'GatherV2: the index value 50 is not in [0, 9]' }, …]
 */
export async function predictIsolating(
  model: LoadedModel,
  batch: KeyedInstance[],
  predict: (records: KeyedInstance[]) => Promise<Json[]> = (records) => model.predict(records),
): Promise<Array<Prediction | Failure>> {
  return bisect<KeyedInstance, Prediction | Failure>(batch, {
    run: async (records) => {
      const predictions = await predict(records);
      return records.map((r, i) => toPrediction(r, predictions[i]!));
    },
    // A RecordError keeps its code (a batch that timed out on every attempt: `timeout`).
    alone: (record, err) => toFailure('model', record, err instanceof RecordError ? err : new RecordError('model-error', describeError(err))),
    // Out of memory is retried smaller; a model host that died fails the partition, not its records.
    rethrow: (err) => !!outOfMemory(err) || err instanceof ModelHostGone,
    onSplit: () => void (retries += 2),
  });
}

/** One worker's model runner state: the batch size in use, and what to report after a partition. */
export interface RunnerState {
  /** Records per model call now: the configured size, halved after each out-of-memory failure. */
  batchSize: number;
  /** Halvings since the last report (i.e. in the current partition). */
  outOfMemory: number;
  /** The config path of the batch size, in `--set` syntax, e.g. `model.batchSize`. */
  batchSizeSetting: string;
}

/**
 * Predicts a batch in slices of `state.batchSize`. When a slice runs out of memory, the batch
 * size of this worker is halved (for this and every later batch) and the slice is tried again;
 * a single record that still does not fit becomes a Failure (code `out-of-memory`). When the
 * backend itself died (the wasm module aborted), throws a WorkerResetError asking for a fresh
 * thread with half the batch size.
 *
 * @example
 * await predictAdaptive(model, batch, state) // 256 records, 256 do not fit: two calls of 128; state.batchSize is 128 now
 */
export async function predictAdaptive(
  model: LoadedModel,
  batch: KeyedInstance[],
  state: RunnerState,
  predict: GuardedPredict = (records) => model.predict(records),
): Promise<Array<Prediction | Failure>> {
  const out: Array<Prediction | Failure> = [];
  const startSize = state.batchSize;
  for (let i = 0; i < batch.length; ) {
    const slice = batch.slice(i, i + state.batchSize);
    try {
      out.push(...(await predictIsolating(model, slice, predict)));
      i += slice.length;
    } catch (err) {
      const oom = outOfMemory(err);
      if (!oom) throw err;
      const half = Math.ceil(slice.length / 2);
      if (oom.fatal) {
        throw new WorkerResetError(`the model ran out of memory at batch size ${slice.length} (${describeError(err)})`, { [state.batchSizeSetting]: half });
      }
      if (slice.length === 1) {
        out.push(toFailure('model', slice[0]!, new RecordError('out-of-memory', `out of memory on this record alone: ${describeError(err)}`)));
        i++;
        // The halvings led to one record too big on its own: its fault, not the batch size's.
        // Go back to the size this batch began with (the rest halves again if it must).
        state.batchSize = startSize;
        continue;
      }
      state.batchSize = half;
      state.outOfMemory++;
    }
  }
  return out;
}

type GuardedPredict = (records: KeyedInstance[]) => Promise<Json[]>;

/**
 * Model calls under the engine's guard (`PartitionContext.guard`): each call is timed against
 * `batchTimeoutMs` by positions of its records in this stage's input, counted chunk by chunk;
 * returns, per input chunk, the predict function for that chunk's records.
 */
function guardedPredict(model: LoadedModel, guard: PartitionContext['guard'], batchTimeoutMs: number | undefined): (chunk: Chunk<KeyedInstance>) => GuardedPredict {
  let next = 0;
  return (chunk) => {
    const positions = new Map<unknown, number>();
    chunk.forEach((item) => positions.set(item, next++));
    if (!guard) return (records) => model.predict(records);
    return (records) => guard(records.map((r) => positions.get(r)!), batchTimeoutMs, () => model.predict(records));
  };
}

/** `work` (reading or loading the model) within `model.loadTimeoutMs`, or a SluiceError naming both. */
function loading<T>(options: TfjsOptions, ctx: { path: string; resolve(uri: string): string }, work: Promise<T>): Promise<T> {
  const ms = options.loadTimeoutMs ?? DEFAULT_LOAD_TIMEOUT_MS;
  const line = `${ctx.path}/uri: model ${ctx.resolve(options.uri)} did not load within ${ms} ms (${ctx.path}/loadTimeoutMs)`;
  return withTimeout(work, ms, () => new SluiceError('MODEL_INVALID', line));
}

/** True when `value` is a finite number or a flat array of them (`x - x` is NaN for NaN and ±Infinity). */
function finiteNumbers(value: Json): boolean {
  if (typeof value === 'number') return value - value === 0;
  if (!Array.isArray(value)) return false;
  for (let i = 0; i < value.length; i++) {
    const x = value[i];
    if (typeof x !== 'number' || x - x !== 0) return false;
  }
  return true;
}

/**
 * Applies `model.onNonFinite` to one result: a Prediction holding NaN or ±Infinity becomes a
 * Failure (`fail`, code `not-finite`), gets nulls in their place (`null`), or stays (`keep`).
 *
 * @example
 * checkFinite(prediction, ['scores'], 'fail') // Failure: 'output "scores" has a non-finite value (NaN) at element 3'
 */
function checkFinite(result: Prediction | Failure, outputNames: string[], mode: NonFiniteMode): Prediction | Failure {
  if (mode === 'keep' || isFailure(result)) return result;
  if (mode === 'null') {
    result.prediction = nullNonFinite(result.prediction);
    return result;
  }
  // The common case, a flat output of finite numbers, in one loop without findNonFinite's allocations.
  if (finiteNumbers(result.prediction)) return result;
  const found = findNonFinite(result.prediction, outputNames);
  return found ? toFailure('model', result, new RecordError('not-finite', nonFiniteMessage(found))) : result;
}

/**
 * One chunk of at most `maxBatch` records: Failures pass through in place, a record whose
 * features cannot fill its rows fails alone, the rest go to the model as one batch (bisected if
 * it throws: see `predictIsolating`).
 */
async function predictChunk(
  model: LoadedModel,
  chunk: Chunk<KeyedInstance>,
  onNonFinite: NonFiniteMode,
  state: RunnerState,
  guarded: GuardedPredict = (records) => model.predict(records),
): Promise<Chunk<Prediction>> {
  const out: Chunk<Prediction> = new Array(chunk.length);
  const batch: KeyedInstance[] = [];
  const slots: number[] = [];
  chunk.forEach((item, i) => {
    if (isFailure(item)) {
      out[i] = item;
      return;
    }
    const problem = model.recordProblem(item);
    if (problem) {
      out[i] = toFailure('model', item, new RecordError('model-input', problem));
      return;
    }
    batch.push(item);
    slots.push(i);
  });
  if (batch.length > 0) {
    const results = await predictAdaptive(model, batch, state, guarded);
    results.forEach((r, j) => (out[slots[j]!] = checkFinite(r, model.outputNames, onNonFinite)));
  }
  return out;
}

/**
 * `model/tfjs`: batches keyed instances into tensors, runs a TensorFlow.js LayersModel or
 * GraphModel (loaded once per worker thread), and emits one Prediction per record, in order.
 * Records the model throws on, or whose outputs are not finite (`onNonFinite: "fail"`), become
 * Failures at stage `model`; the rest of their batch is predicted.
 *
 * @example
 * { "type": "tfjs", "uri": "model/model.json", "batchSize": 256, "backend": "wasm", "onNonFinite": "fail" }
 */
export default defineStage<TfjsOptions>()({
  ...tfjsMeta,
  examples: [{ uri: 'model/model.json', batchSize: 256, backend: 'auto', onNonFinite: 'fail' }],
  runtimeOptions: ['batchSize', 'loadTimeoutMs', 'batchTimeoutMs'],

  async check(options, ctx) {
    const at = `${ctx.path}/uri`;
    const uri = ctx.resolve(options.uri);
    if (await isSavedModel(ctx.storage, uri)) return checkSavedModel(options, ctx);
    let json: any;
    let signature;
    try {
      json = await loading(options, ctx, readModelJson(ctx.storage, uri));
    } catch (err) {
      if (isStorageFailure(err)) throw err; // storage down: exit 1, not a config problem
      if (err instanceof SluiceError) return err.lines;
      return [`${at}: ${describeError(err)}`]; // the message names the file
    }
    try {
      signature = readSignature(json);
    } catch (err) {
      return [`${at}: model file ${uri}: ${describeError(err)}`];
    }
    const problems: string[] = [];
    const backend = backendProblem(options.backend ?? DEFAULT_BACKEND);
    if (backend) problems.push(`${ctx.path}/backend: ${backend}`);
    for (const problem of await weightSizeProblems(ctx.storage, uri, dirOf(uri), json.weightsManifest)) problems.push(`${at}: ${problem}`);
    problems.push(...checkFeatures(signature, ctx.features, { ...CONFIG_PATHS, model: ctx.path }));
    if (signature.format === 'layers-model') {
      const unknown = await unknownLayerClasses(json);
      // Custom layers are registered by a NODE_OPTIONS=--require module in every thread, this one too: a class not registered here cannot load in any worker.
      if (unknown.length) problems.push(`${at}: model file ${uri}: layer class ${unknown.map((c) => `"${c}"`).join(', ')} is not registered with TensorFlow.js (register custom layers with NODE_OPTIONS="--require ./my-layers.cjs", see docs/runs.md)`);
    }
    return problems;
  },

  // The outputs as predictions name them (multi-output: by short name) and their classes, from model.json alone.
  async outputs(options, ctx) {
    const signature = readSignature(await loading(options, ctx, readModelJson(ctx.storage, ctx.resolve(options.uri))));
    return signature.outputs.map((o) => {
      const last = o.shape && o.shape.length > 1 ? o.shape[o.shape.length - 1]! : -1;
      return { name: shortName(o.name), classes: last > 0 ? last : null };
    });
  },

  async describe(options, ctx) {
    const uri = ctx.resolve(options.uri);
    if (await isSavedModel(ctx.storage, uri)) return describeSavedModel(options, ctx);
    const json = await loading(options, ctx, readModelJson(ctx.storage, uri));
    return {
      uri: options.uri,
      format: readSignature(json).format,
      sha256: await loading(options, ctx, hashModel(ctx.storage, uri, json)),
      backend: resolveBackend(options.backend ?? DEFAULT_BACKEND),
      backendReason: backendReason(options.backend ?? DEFAULT_BACKEND),
    };
  },

  summarizeFacts(facts, options) {
    const sizes = facts.map((f) => f.batchSize).filter((x): x is number => typeof x === 'number');
    const backends = [...new Set(facts.map((f) => f.backend).filter((b): b is string => typeof b === 'string'))];
    return {
      // The backend the workers ran on (auto resolved, and fallen back to wasm if tfjs-node would not load).
      backend: backends.join(', ') || null,
      batchSize: sizes.length ? Math.min(...sizes) : null,
      configuredBatchSize: options.batchSize ?? DEFAULT_BATCH_SIZE,
      outOfMemory: facts.reduce((n, f) => n + (typeof f.outOfMemory === 'number' ? f.outOfMemory : 0), 0),
    };
  },

  async create(options, ctx): Promise<TransformInstance<KeyedInstance, Prediction>> {
    // tfjs loads here, in the worker, never in the coordinator that validates the config.
    const { openModel } = await import('../../../src/model/open.js');
    const uri = ctx.resolve(options.uri);
    const common = { features: ctx.features, batchSize: options.batchSize ?? DEFAULT_BATCH_SIZE, paths: { ...CONFIG_PATHS, model: ctx.path } };
    const request: ModelRequest = (await isSavedModel(ctx.storage, uri))
      ? { kind: 'saved-model', uri, options: { ...common, ...savedModelChoice(options) } }
      : { kind: 'tfjs', uri, options: { ...common, backend: options.backend ?? DEFAULT_BACKEND } };
    // In this thread, or in the process's model host thread on tensorflow (src/model/open.ts).
    const loaded = await loading(options, ctx, openModel(ctx.storage, request));
    // Model calls go through the wrappers preload modules installed (wrapPredict), if any.
    const model: LoadedModel = { ...loaded, predict: hookedPredict((records) => loaded.predict(records), { path: ctx.path, backend: loaded.backend }) };
    const onNonFinite = options.onNonFinite ?? DEFAULT_ON_NON_FINITE;
    const state: RunnerState = { batchSize: model.maxBatch, outOfMemory: 0, batchSizeSetting: `${ctx.path.slice(1).split('/').join('.')}.batchSize` };
    // Between batches the live tensors must be back where they were: the guard warns (once) if not.
    const guard = new LeakGuard(`${ctx.path} (model/tfjs)`);
    const predict = async (chunk: Chunk<KeyedInstance>, guarded: GuardedPredict) => {
      const before = liveTensors();
      const out = await predictChunk(model, chunk, onNonFinite, state, guarded);
      guard.observe(before, liveTensors());
      return out;
    };
    // The engine's watchdog times one guarded call at a time per worker (runtime/watchdog.ts).
    const concurrency = options.batchTimeoutMs === undefined ? model.concurrentBatches : 1;
    let closed = false;
    return {
      transform: (input, part) => {
        const guarded = guardedPredict(model, part.guard, options.batchTimeoutMs);
        return input
          .through(rechunk<KeyedInstance>(model.maxBatch))
          .through(mapAsync((chunk: Chunk<KeyedInstance>) => predict(chunk, guarded(chunk)), { concurrency, ordered: true }));
      },
      report() {
        // liveTensors: what the model's thread holds between partitions (the model's weights; the
        // model host's count on tensorflow, src/model/host-client.ts); it must not grow.
        const facts = { backend: model.backend, batchSize: state.batchSize, outOfMemory: state.outOfMemory, liveTensors: liveTensors() ?? null };
        state.outOfMemory = 0;
        const leak = guard.warning();
        return leak ? { facts, warnings: { 'tensor-leak': leak } } : { facts };
      },
      close() {
        if (!closed) model.dispose();
        closed = true;
      },
    };
  },
});
