/**
 * Opening the model stage's model, in one of two places: in this thread (wasm and cpu: one
 * model per worker thread), or, when the pool's layout says so (model/threads.ts: tensorflow,
 * or one worker on wasm or cpu), in the process's model host thread, which owns the one
 * TensorFlow runtime (docs/native.md, "Thread model"). Either way the stage gets a LoadedModel
 * and cannot tell which.
 */
import type { Storage } from '../storage/types.js';
import { setTensorMeter } from '../core/tensors.js';
import { resolveBackend } from './backend.js';
import { tfjsCore } from './tfjs-packages.js';
import { hostedModel, modelHostName } from './host-client.js';
import type { LoadedModel } from './load.js';
import type { ModelRequest } from './host-wire.js';

export type { ModelRequest };

/** The backend a request runs on: a SavedModel runs on tensorflow only. */
export function requestBackend(request: ModelRequest): string {
  return request.kind === 'saved-model' ? 'tensorflow' : resolveBackend(request.options.backend);
}

/** Loads the model in this thread. */
export async function loadHere(storage: Storage, request: ModelRequest): Promise<LoadedModel> {
  const model = request.kind === 'saved-model'
    ? await (await import('./saved-model.js')).loadSavedModel(storage, request.uri, request.options)
    : await (await import('./load.js')).loadModel(storage, request.uri, request.options);
  // The thread that holds the model's tensors counts them (leak checks, the `liveTensors` fact);
  // a worker whose model runs in the host holds none, and has no backend to ask.
  const tf = tfjsCore();
  setTensorMeter(() => tf.memory().numTensors);
  return model;
}

/**
 * The model a request names: from the process's model host when this thread has one, else
 * loaded here. A host of another backend than the request's, or one that could not start
 * TensorFlow (it fell back to wasm), hands the model back to be loaded here.
 *
 * @example
 * const model = await openModel(storage, { kind: 'tfjs', uri: '/m/model.json', options: { backend: 'auto', features, batchSize: 256 } });
 */
export async function openModel(storage: Storage, request: ModelRequest): Promise<LoadedModel> {
  const host = modelHostName();
  if (host) {
    const hosted = await hostedModel(host, request, storage);
    if (hosted) return hosted;
  }
  return loadHere(storage, request);
}
