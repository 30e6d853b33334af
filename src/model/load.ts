/**
 * Loads a TensorFlow.js model (LayersModel or GraphModel) once, through Sluice's Storage, and
 * wraps it as one `predict(records)` call per batch. This module imports tfjs statically: the
 * model stage imports it lazily, in `create`, so validating a config never loads tfjs.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import type { GraphModel } from '@tensorflow/tfjs-converter';
import type { FeatureSpecMap } from '../core/stage.js';
import type { Json, KeyedInstance } from '../core/types.js';
import { SluiceError } from '../core/errors.js';
import type { Storage } from '../storage/types.js';
import { initBackend, type BackendName } from './backend.js';
import { readModelJson, storageLoadHandler } from './io-handler.js';
import { readSignature, shortName, type ModelFormat, type ModelSignature } from './signature.js';
import { CONFIG_PATHS, effectiveBatchSize, mapFeatures, type CheckPaths, type InputBinding } from './features.js';
import { predictFrom, recordProblem, runBatch, type OutputValues } from './batch.js';
import { tfjsConverter, tfjsLayers } from './tfjs-packages.js';

/** A loaded model, ready to predict batches of records. */
export interface LoadedModel {
  format: ModelFormat;
  /** The backend in use, e.g. `wasm`. */
  backend: string;
  signature: ModelSignature;
  /** Model inputs in the order the model takes them, each with its feature. */
  bindings: InputBinding[];
  /** Names of the outputs: the keys of a multi-output prediction. */
  outputNames: string[];
  /** The largest batch the model takes: the configured size, or less for a fixed batch dimension. */
  maxBatch: number;
  /**
   * Batches the model stage may have in flight: 1 for a model that runs in this thread (a call
   * holds the thread anyway), 2 for one that runs in the model host (this thread prepares the
   * next batch while the host runs the current one).
   */
  concurrentBatches: number;
  /** Why a record cannot join a batch (a feature missing or of the wrong size), or null. */
  recordProblem(record: KeyedInstance): string | null;
  /**
   * Predicts one batch (at most `maxBatch` records, each with every bound feature of the right
   * size: see `recordProblem`): one JSON value per record, in order. Disposes every tensor it makes.
   */
  predict(records: KeyedInstance[]): Promise<Json[]>;
  /**
   * The same batch's outputs as read from the model, before they are split per record (what
   * the model host sends back: a few typed arrays, not a value per record).
   */
  outputs(records: KeyedInstance[]): Promise<OutputValues[]>;
  /** Releases the model's weights. */
  dispose(): void;
}

export interface LoadOptions {
  backend: BackendName;
  /** The decode features, mapped to the model's inputs by name. */
  features: FeatureSpecMap;
  batchSize: number;
  /** Config paths for mismatch messages (default: `/decode/features`, `/model`). */
  paths?: CheckPaths;
}

/**
 * Initialises the backend and loads the model at `uri` once; features that cannot feed the
 * model's inputs throw a SluiceError with one line per problem.
 *
 * @example
 * const model = await loadModel(storage, '/models/emotion.json', { backend: 'wasm', features, batchSize: 64 });
 * const predictions = await model.predict(records); // [[0.1, 0.02, …], …]
 * model.dispose();
 */
export async function loadModel(storage: Storage, uri: string, options: LoadOptions): Promise<LoadedModel> {
  const backend = await initBackend(options.backend);
  const signature = readSignature(await readModelJson(storage, uri));
  const { bindings, problems } = mapFeatures(signature, options.features, options.paths ?? CONFIG_PATHS);
  if (problems.length) throw new SluiceError('SIGNATURE_MISMATCH', problems);
  const { batchSize: maxBatch, fixed } = effectiveBatchSize(signature, options.batchSize);
  const handler = storageLoadHandler(storage, uri);
  const runner = signature.format === 'layers-model'
    ? // Each worker imports only the tfjs package its model needs (~35-80 ms of start-up each).
      withModel(await tfjsLayers().loadLayersModel(handler), (m) => layersRunner(m, bindings))
    : withModel(await tfjsConverter().loadGraphModel(handler), (m) => graphRunner(m, bindings));
  const outputs = (records: KeyedInstance[]) => runBatch(runner.bindings, records, fixed ?? records.length, runner.run);
  return {
    format: signature.format,
    backend,
    signature,
    bindings: runner.bindings,
    outputNames: runner.outputNames,
    maxBatch,
    concurrentBatches: 1,
    recordProblem: (record) => recordProblem(runner.bindings, record),
    outputs,
    predict: predictFrom(outputs, runner.outputNames),
    dispose: runner.dispose,
  };
}

interface Runner {
  bindings: InputBinding[];
  outputNames: string[];
  run(inputs: tf.Tensor[]): Promise<tf.Tensor[]>;
  dispose(): void;
}

/** Wraps a freshly loaded model, disposing it if wrapping fails, so a failed start leaks nothing. */
function withModel<M extends { dispose(): unknown }>(model: M, wrap: (m: M) => Runner): Runner {
  try {
    return wrap(model);
  } catch (err) {
    model.dispose();
    throw err;
  }
}

const asList = (x: tf.Tensor | tf.Tensor[]): tf.Tensor[] => (Array.isArray(x) ? x : [x]);

function layersRunner(model: LayersModel, bindings: InputBinding[]): Runner {
  // Names come from the layers behind the model's input and output tensors: a Sequential model
  // leaves `inputNames`/`outputNames` empty, and its implicit input layer is `<first>_input`,
  // as the signature read from JSON says. The model takes its inputs in its own order.
  const inputNames = model.inputs.map((t) => t.sourceLayer.name);
  const ordered = inputNames.map((name) => {
    const b = inputNames.length === 1 && bindings.length === 1 ? bindings[0] : bindings.find((x) => x.input.name === name);
    if (!b) throw new Error(`model input "${name}" has no feature (inputs read from the model JSON: ${bindings.map((x) => x.input.name).join(', ')})`);
    return b;
  });
  return {
    bindings: ordered,
    outputNames: model.outputs.map((t) => t.sourceLayer.name),
    // The model called on the batch (Keras' `model(x, training=False)`), not predict(): predict()
    // re-slices the inputs into batches and concatenates the outputs, more kernels per call:
    // half of a linear model's call on wasm (0.042 → 0.022 ms), a quarter on tensorflow (0.198 →
    // 0.150 ms; docs/performance.md, "Calling the model"). Same layers, kernels and values; the
    // model's call() runs in its own tidy and frees each layer's output once it is used. And a
    // scalar input (a rank-1 batch) runs: predict() made it rank 2, then refused it.
    run: async (inputs) => asList(model.apply(inputs.length === 1 ? inputs[0]! : inputs, { training: false }) as tf.Tensor | tf.Tensor[]),
    dispose: () => void model.dispose(),
  };
}

function graphRunner(model: GraphModel, bindings: InputBinding[]): Runner {
  // Ask for the signature's outputs by key (tfjs maps them to tensors); without a signature,
  // the graph's leaf nodes as tfjs finds them.
  const sigOutputs = (model.modelSignature as { outputs?: Record<string, unknown> } | undefined)?.outputs;
  const requested = sigOutputs && Object.keys(sigOutputs).length > 0 ? Object.keys(sigOutputs) : model.outputNodes;
  let useAsync = false;
  const run = async (inputs: tf.Tensor[]): Promise<tf.Tensor[]> => {
    const feed: tf.NamedTensorMap = {};
    bindings.forEach((b, i) => (feed[b.input.name] = inputs[i]!));
    if (!useAsync) {
      try {
        return asList(model.execute(feed, requested));
      } catch (err) {
        // Control flow or dynamic shapes: tfjs refuses execute() before running anything, so
        // nothing leaks; switch to executeAsync() for this and every later batch.
        if (!/executeAsync\(\)/.test(String((err as Error)?.message))) throw err;
        useAsync = true;
      }
    }
    return asList(await model.executeAsync(feed, requested));
  };
  return { bindings, outputNames: requested.map(shortName), run, dispose: () => model.dispose() };
}
