/**
 * Runs a TensorFlow SavedModel as it is, no conversion, on the tensorflow backend (tfjs-node's
 * session API over TensorFlow's C library). Inputs and outputs go through the binding directly,
 * not through tfjs tensors: tfjs has no int64, and tfjs-node's `TFSavedModel.predict` feeds an
 * int64 input from an int32 tensor (values beyond ±2^31 lost) and warns on every int64 output.
 * Here int64 inputs are built from exact 64-bit values and int64 outputs read back exactly.
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { isMainThread } from 'node:worker_threads';
import type { FeatureSpecMap } from '../core/stage.js';
import type { KeyedInstance } from '../core/types.js';
import { SluiceError } from '../core/errors.js';
import { schemeOf } from '../storage/index.js';
import { localPath } from '../storage/local.js';
import type { Storage } from '../storage/types.js';
import { initBackend } from './backend.js';
import { CONFIG_PATHS, type CheckPaths, type InputBinding } from './features.js';
import { predictFrom, recordProblem, type OutputValues } from './batch.js';
import type { LoadedModel } from './load.js';
import { mapSavedModelFeatures, readSavedModelSignature, savedModelDir, type SavedModelSignature } from './saved-model-signature.js';
import { TFJS_NODE } from './native.js';
import { tfjsNode } from './tfjs-packages.js';

export interface SavedModelOptions {
  features: FeatureSpecMap;
  batchSize: number;
  tags: string[];
  signature: string;
  paths?: CheckPaths;
}

const cacheRoot = path.join(os.tmpdir(), `sluice-saved-models-${process.pid}`);
if (isMainThread) process.once('exit', () => fs.rmSync(cacheRoot, { recursive: true, force: true }));

/**
 * A local directory holding the SavedModel: the directory itself for a local URI; for s3:// or
 * gs:// a copy in this process's cache (TensorFlow's C API loads from a path), keyed by the
 * objects' URIs and versions and made once per process (threads racing rename the same result).
 */
export async function localSavedModel(storage: Storage, uri: string): Promise<string> {
  const dir = savedModelDir(uri);
  const scheme = schemeOf(dir);
  if (scheme === '' || scheme === 'file') return localPath(dir);
  const files = await storage.list(`${dir}/**`);
  const key = createHash('sha256').update(JSON.stringify(files.map((f) => [f.uri, f.size, f.etag ?? f.mtimeMs]))).digest('hex');
  const target = path.join(cacheRoot, key);
  if (fs.existsSync(target)) return target;
  const tmp = `${target}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  for (const f of files) {
    const local = path.join(tmp, ...f.uri.slice(dir.length + 1).split('/'));
    await fsp.mkdir(path.dirname(local), { recursive: true });
    await fsp.writeFile(local, await storage.readAll(f.uri));
  }
  try {
    await fsp.rename(tmp, target);
  } catch (err) {
    // Another thread finished first: its copy is the same objects.
    if (!fs.existsSync(target)) throw err;
    await fsp.rm(tmp, { recursive: true, force: true });
  }
  return target;
}

/** int64 values as JSON: numbers when exact (|v| ≤ 2^53 − 1), else their decimal text. */
function int64Values(values: BigInt64Array): Array<number | string> {
  const out = new Array<number | string>(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    out[i] = v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(v) : v.toString();
  }
  return out;
}

/** One input's values for a batch, as the binding's createTensor takes them. */
function inputValues(b: InputBinding, records: KeyedInstance[]): unknown {
  const n = records.length * b.size;
  const feature = (r: KeyedInstance) => r.features[b.feature] as any;
  switch (b.input.dtype) {
    case 'string': {
      const out: Uint8Array[] = new Array(n);
      records.forEach((r, i) => (feature(r) as string[]).forEach((s, k) => (out[i * b.size + k] = Buffer.from(s, 'utf8'))));
      return out;
    }
    case 'int64': {
      const big = new BigInt64Array(n);
      records.forEach((r, i) => {
        const v = feature(r);
        if (v instanceof BigInt64Array) big.set(v, i * b.size);
        else for (let k = 0; k < b.size; k++) big[i * b.size + k] = BigInt(v[k]);
      });
      // The binding takes 64-bit values as pairs of int32 (little-endian), as tfjs-node does.
      return new Int32Array(big.buffer);
    }
    default: {
      const out = b.input.dtype === 'float32' ? new Float32Array(n) : b.input.dtype === 'int32' ? new Int32Array(n) : new Uint8Array(n);
      records.forEach((r, i) => out.set(feature(r) as ArrayLike<number>, i * b.size));
      return out;
    }
  }
}

/**
 * Loads the SavedModel at `uri` (a directory holding saved_model.pb; s3:// and gs:// copied to
 * a local cache first) on the tensorflow backend, checking the features against the signature.
 *
 * @example
 * const model = await loadSavedModel(storage, 'models/ratings', { features, batchSize: 256, tags: ['serve'], signature: 'serving_default' });
 * await model.predict(records) // [[3.7], …] (one output) or [{ key: 'k1', rating: [3.7] }, …] (several)
 */
export async function loadSavedModel(storage: Storage, uri: string, options: SavedModelOptions): Promise<LoadedModel> {
  const paths = options.paths ?? CONFIG_PATHS;
  let signature: SavedModelSignature;
  try {
    signature = await readSavedModelSignature(storage, uri, options.tags, options.signature);
  } catch (err) {
    throw new SluiceError('SIGNATURE_MISMATCH', `${paths.model}/uri: ${(err as Error).message}`);
  }
  const { bindings, problems } = mapSavedModelFeatures(signature, options.features, paths);
  if (problems.length) throw new SluiceError('SIGNATURE_MISMATCH', problems);
  const backend = await initBackend('tensorflow');
  const tfn = tfjsNode(TFJS_NODE);
  const dir = await localSavedModel(storage, uri);
  // The session is shared by every loadSavedModel of this directory and tag set in the thread.
  const model = await tfn.node.loadSavedModel(dir, options.tags, options.signature);
  const binding = model.backend.binding;
  const DTYPE: Record<string, number> = { float32: binding.TF_FLOAT, int32: binding.TF_INT32, int64: binding.TF_INT64, uint8: binding.TF_UINT8, string: binding.TF_STRING, bool: binding.TF_BOOL };
  const outputNames = signature.outputs.map((o) => o.name);
  const inputTensors = bindings.map((b) => b.input.tensor!).join(',');
  const outputTensors = signature.outputs.map((o) => o.tensor).join(',');

  const outputs = async (records: KeyedInstance[]): Promise<OutputValues[]> => {
    const ids: number[] = [];
    let outs: Array<{ id: number; shape: number[]; dtype: number }> = [];
    try {
      for (const b of bindings) ids.push(binding.createTensor([records.length, ...b.instanceShape], DTYPE[b.input.dtype], inputValues(b, records)));
      outs = binding.runSavedModel(model.sessionId, ids, inputTensors, outputTensors);
      return outs.map((o) => {
        const raw = binding.tensorDataSync(o.id);
        return { values: raw instanceof BigInt64Array ? int64Values(raw) : raw, shape: o.shape };
      });
    } finally {
      for (const id of [...ids, ...outs.map((o) => o.id)]) binding.deleteTensor(id);
    }
  };
  return {
    format: 'saved-model',
    backend,
    signature,
    bindings,
    outputNames,
    maxBatch: options.batchSize,
    concurrentBatches: 1,
    recordProblem: (record) => recordProblem(bindings, record),
    outputs,
    predict: predictFrom(outputs, outputNames),
    dispose: () => model.dispose(),
  };
}
