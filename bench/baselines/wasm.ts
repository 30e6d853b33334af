/**
 * The backend (wasm, or tfjs-node where `npm run native` ran) and model loading, set up the way
 * a plain tfjs user would (shared by the model baselines; not an entry itself).
 */
import path from 'node:path';
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs-core';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import * as tfl from '@tensorflow/tfjs-layers';
import { createStorage } from '../../src/storage/index.js';
import { storageLoadHandler } from '../../src/model/io-handler.js';

/** Selects the wasm backend with its binaries found from the installed package, not the CWD. */
export async function useWasm(): Promise<void> {
  const require = createRequire(import.meta.url);
  const pkg = require.resolve('@tensorflow/tfjs-backend-wasm/package.json');
  setWasmPaths(path.join(path.dirname(pkg), 'dist') + path.sep);
  if (!(await tf.setBackend('wasm'))) throw new Error('the wasm backend did not initialise');
  await tf.ready();
}

/** Selects `backend`: wasm as above, or tfjs-node (`tensorflow`, installed by `npm run native`). */
export async function useBackend(backend: string): Promise<void> {
  if (backend !== 'tensorflow') return useWasm();
  process.env.TF_CPP_MIN_LOG_LEVEL ??= '2';
  const specifier: string = '@tensorflow/tfjs-node'; // a variable: tsc must not require it
  await import(specifier);
  if (!(await tf.setBackend('tensorflow'))) throw new Error('the tensorflow backend did not initialise (run npm run native)');
}

/** Loads a LayersModel from a local `model.json` (the same loader Sluice uses). */
export function loadModel(modelJson: string): Promise<tfl.LayersModel> {
  return tfl.loadLayersModel(storageLoadHandler(createStorage(), path.resolve(modelJson)));
}
