/**
 * The model of the hang tests: x[4] → HangOn (identity, except that a batch holding `HANG_VALUE`
 * never returns: test/helpers/hang-layer.cts) → dense(2). Processes that load it register the
 * layer with `NODE_OPTIONS` (`HANG_LAYER_ENV`), as users register their own custom layers.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tfl from '@tensorflow/tfjs-layers';
import HangOn from './hang-layer.cjs';
import { initBackend } from '../../src/model/backend.js';
import { storageSaveHandler } from '../../src/model/io-handler.js';
import { createStorage } from '../../src/storage/index.js';

export const HANG_VALUE = 666;
export const HANG_LAYER = fileURLToPath(new URL('./hang-layer.cjs', import.meta.url));
/** The environment a sluice process needs to load the hang model. */
export const HANG_LAYER_ENV = { NODE_OPTIONS: `--require ${HANG_LAYER}` };

/** Saves the hang model as `<dir>/model.json` and its weights. */
export async function saveHangModel(dir: string): Promise<void> {
  await initBackend('cpu');
  const model = tfl.sequential({
    layers: [new HangOn({ value: HANG_VALUE, inputShape: [4], name: 'hang' }), tfl.layers.dense({ units: 2, kernelInitializer: tfl.initializers.ones(), name: 'out' })],
  });
  await model.save(storageSaveHandler(createStorage(), path.resolve(dir)));
  model.dispose();
}
