// The native TensorFlow backend (@tensorflow/tfjs-node), installed by `npm run native`. Tests of
// the `tensorflow` backend and of SavedModels skip with a one-line reason where it is absent.
import { nativeProblem } from '../../src/model/native.js';

/** `skip` for a test that needs the `tensorflow` backend: false when tfjs-node is built, else why not. */
export function needsNative(): string | false {
  const problem = nativeProblem();
  return problem ? `needs the tensorflow backend: ${problem}` : false;
}

/** The backends every model test runs on: wasm and cpu always, tensorflow where it is built. */
export const BACKENDS = ['wasm', 'cpu', 'tensorflow'] as const;
