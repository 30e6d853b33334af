/**
 * The model host thread (docs/native.md, "Thread model"): the one thread of a process that
 * loads TensorFlow's runtime and runs its models, for every worker thread of a pool (or, for a
 * single worker on wasm or cpu, the thread its model runs in beside it: threads.ts). Workers
 * send packed batches; the host runs the model on them, one batch after the other, and
 * answers the output tensors' values (the worker splits them per record: a few typed arrays
 * cross threads, not a value per record), or the error for the worker to bisect on.
 * A model asked for by several workers is loaded once, and disposed when the last releases it.
 */
import { BroadcastChannel, workerData } from 'node:worker_threads';
import type { Storage } from '../storage/types.js';
import { liveTensors } from '../core/tensors.js';
import { initBackend } from './backend.js';
import { fromWire, toWire, unpackColumns, type Column, type WireError } from './host-wire.js';
import { workerStorage } from './host-storage.js';
import type { HostedLoad, HostedPrediction } from './host-client.js';
import type { OutputValues } from './batch.js';
import type { LoadedModel } from './load.js';
import { loadHere, requestBackend, type ModelRequest } from './open.js';

const { name, backend } = workerData as { name: string; backend: 'tensorflow' | 'wasm' | 'cpu' };
// TensorFlow's library takes most of a second to load (wasm's module a fraction of one): begin
// at once, while the workers start and before any asks for its model. If it cannot load, the
// model's own load says why (or, for `auto`, falls back to wasm, and the workers load their own).
initBackend(backend).catch(() => undefined);

interface Held {
  handle: number;
  model: Promise<LoadedModel>;
  refs: number;
}
const byRequest = new Map<string, Held>();
const byHandle = new Map<number, { key: string; held: Held }>();
let nextHandle = 0;

async function load(request: ModelRequest, storage: Storage): Promise<HostedLoad | null> {
  // A model of another backend than this host's is loaded by the worker that asks.
  if (requestBackend(request) !== backend) return null;
  const key = JSON.stringify(request);
  let held = byRequest.get(key);
  if (!held) {
    held = { handle: nextHandle++, model: loadHere(storage, request), refs: 0 };
    byRequest.set(key, held);
    byHandle.set(held.handle, { key, held });
    // A failed load is not kept: the next worker asking tries again.
    held.model.catch(() => release(held!.handle, true));
  }
  const model = await held.model;
  if (model.backend !== backend) {
    // TensorFlow would not start here (auto fell back): the workers load their own wasm models.
    release(held.handle, true);
    return null;
  }
  held.refs++;
  const { format, signature, bindings, outputNames, maxBatch } = model;
  return { handle: held.handle, model: { format, backend: model.backend, signature, bindings, outputNames, maxBatch }, tensors: liveTensors() ?? 0 };
}

function release(handle: number, all = false): void {
  const entry = byHandle.get(handle);
  if (!entry) return;
  entry.held.refs = all ? 0 : entry.held.refs - 1;
  if (entry.held.refs > 0) return;
  byHandle.delete(handle);
  byRequest.delete(entry.key);
  entry.held.model.then((m) => m.dispose(), () => undefined);
}

let predicting: Promise<unknown> = Promise.resolve();

/** A typed array that views part of a larger buffer is copied: posting it would copy the whole buffer. */
function ownBuffer(values: OutputValues['values']): OutputValues['values'] {
  return ArrayBuffer.isView(values) && values.byteLength !== values.buffer.byteLength ? (values as unknown as Float32Array).slice() : values;
}

type Message = { id: number; op: string; request?: ModelRequest; handle?: number; count?: number; columns?: Record<string, Column> };

async function answer(message: Message, storage: () => Storage): Promise<unknown> {
  switch (message.op) {
    case 'load':
      return load(message.request!, storage());
    case 'predict': {
      const entry = byHandle.get(message.handle!);
      if (!entry) throw new Error(`model ${message.handle} is not loaded in the model host`);
      const model = await entry.held.model;
      // One batch after the other (TensorFlow runs one at a time anyway), so that the live
      // tensors counted after each are the models' own: the workers' leak checks read them.
      const turn = predicting.then(() => model.outputs(unpackColumns(model.bindings, message.columns!, message.count!)));
      predicting = turn.catch(() => undefined);
      const outputs = (await turn).map((o) => ({ values: ownBuffer(o.values), shape: o.shape }));
      return { outputs, tensors: liveTensors() ?? 0 } satisfies HostedPrediction;
    }
    case 'release':
      return release(message.handle!);
    default:
      throw new Error(`unknown model host call "${message.op}"`);
  }
}

/** Serves one worker on its own channel: its calls, and the storage reads its loads make. */
function serve(worker: number): BroadcastChannel {
  const own = new BroadcastChannel(`${name}/${worker}`);
  const reads = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  let nextRead = 0;
  own.onmessage = (e) => {
    const data = (e as MessageEvent).data as Message & { read?: number; result?: unknown; error?: WireError };
    if (data.read !== undefined) {
      const pending = reads.get(data.read);
      reads.delete(data.read);
      if (data.error) pending?.reject(fromWire(data.error));
      else pending?.resolve(data.result);
      return;
    }
    // A load reads the model's files through the storage of the worker that asked (host-storage.ts).
    const storage = () =>
      workerStorage(
        (method, args) =>
          new Promise((resolve, reject) => {
            const read = nextRead++;
            reads.set(read, { resolve, reject });
            own.postMessage({ read, load: data.id, method, args });
          }),
      );
    answer(data, storage).then(
      (result) => own.postMessage({ id: data.id, result }),
      (err) => own.postMessage({ id: data.id, error: toWire(err) }),
    );
  };
  return own;
}

const workers = new Map<number, BroadcastChannel>();
const shared = new BroadcastChannel(name);
shared.onmessage = (event) => {
  const hello = ((event as MessageEvent).data as { hello?: unknown })?.hello;
  if (typeof hello !== 'number') return;
  let channel = workers.get(hello);
  if (!channel) workers.set(hello, (channel = serve(hello)));
  channel.postMessage({ welcome: true });
};
