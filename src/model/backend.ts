/**
 * Backend selection for TensorFlow.js, once per thread.
 *
 * Every tfjs package is imported dynamically, on first use: the CLI's coordinator imports the
 * model stage to validate a config and must not pay for (or depend on) loading tfjs.
 */
import path from 'node:path';
import { createRequire } from 'node:module';
import { guardWasmMalloc } from './memory.js';

/** The backends a `model` stage may ask for; `auto` means `wasm`. */
export type BackendName = 'auto' | 'wasm' | 'cpu' | 'tensorflow';

const require = createRequire(import.meta.url);

/** The optional native package behind the `tensorflow` backend (absent on offline machines). */
const TFJS_NODE = '@tensorflow/tfjs-node';

/**
 * The backend `auto` stands for: wasm is portable, needs no native build and beats `cpu`.
 *
 * @example
 * resolveBackend('auto') // 'wasm'
 */
export function resolveBackend(name: BackendName): Exclude<BackendName, 'auto'> {
  return name === 'auto' ? 'wasm' : name;
}

/** The one-line error for `tensorflow` without tfjs-node, shared by `check` and `initBackend`. */
export const TFJS_NODE_MISSING =
  `backend "tensorflow" needs ${TFJS_NODE}, which is not installed (npm install ${TFJS_NODE}); use "wasm" or "cpu"`;

/**
 * Whether a backend can be used here, answered from the installed files without loading tfjs:
 * `null` when it can, else the one-line reason. Lets `validate` report a missing tfjs-node as
 * a config error before any data is read.
 *
 * @example
 * backendProblem('tensorflow') // 'backend "tensorflow" needs @tensorflow/tfjs-node, …' when absent
 */
export function backendProblem(name: BackendName): string | null {
  if (resolveBackend(name) !== 'tensorflow') return null;
  try {
    require.resolve(TFJS_NODE);
    return null;
  } catch {
    return TFJS_NODE_MISSING;
  }
}

/** The directory holding the wasm binaries, with a trailing separator as `setWasmPaths` wants. */
function wasmDir(): string {
  // Resolved from this file, not the working directory, so the CLI works from anywhere.
  return path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm')) + path.sep;
}

let wasmPathsSet = false;
const ready = new Map<string, Promise<void>>();

/** Imports the package that registers `name` with tfjs-core (each at most once per thread). */
async function register(name: Exclude<BackendName, 'auto'>): Promise<void> {
  if (name === 'cpu') {
    await import('@tensorflow/tfjs-backend-cpu');
  } else if (name === 'wasm') {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    // Must precede the backend's initialisation; in Node the wasm backend is single-threaded
    // (tfjs turns threads off there), so cores are used through worker threads instead.
    if (!wasmPathsSet) {
      wasm.setWasmPaths(wasmDir());
      wasmPathsSet = true;
    }
  } else {
    try {
      // A variable specifier: the package is optional and absent from the type graph.
      const specifier: string = TFJS_NODE;
      await import(specifier);
    } catch (err: any) {
      if (err?.code === 'ERR_MODULE_NOT_FOUND' || err?.code === 'MODULE_NOT_FOUND') throw new Error(TFJS_NODE_MISSING);
      throw new Error(`backend "tensorflow": ${TFJS_NODE} failed to load: ${String(err?.message ?? err).split('\n')[0]}`);
    }
  }
}

/**
 * Makes `name` the thread's TensorFlow.js backend and returns the name in use. Idempotent:
 * the packages load and initialise once per thread; a later call with another name switches.
 *
 * @example
 * await initBackend('auto'); // 'wasm'
 * await initBackend('tensorflow'); // throws: backend "tensorflow" needs @tensorflow/tfjs-node, …
 */
export async function initBackend(name: BackendName): Promise<string> {
  const wanted = resolveBackend(name);
  let pending = ready.get(wanted);
  if (!pending) {
    pending = register(wanted);
    ready.set(wanted, pending);
    // A failed registration may be retried (e.g. after installing tfjs-node in a REPL).
    pending.catch(() => ready.delete(wanted));
  }
  await pending;
  const tf = await import('@tensorflow/tfjs-core');
  if (tf.getBackend() !== wanted) {
    // On failure tfjs has just warned why (the stack of the backend's init) on stderr.
    if (!(await tf.setBackend(wanted))) throw new Error(`backend "${wanted}" failed to initialise (see the warning above)`);
  }
  // Prod mode only silences tfjs' console warnings, chiefly the "install tfjs-node" banner the
  // cpu backend prints on first use, which would land in Sluice's progress output on stderr.
  tf.enableProdMode();
  await tf.ready();
  // A failed wasm allocation must throw, not corrupt the heap (see memory.ts).
  if (wanted === 'wasm') guardWasmMalloc(tf.backend());
  return tf.getBackend();
}
