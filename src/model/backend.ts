/**
 * Backend selection for TensorFlow.js, once per thread.
 *
 * Every tfjs package is loaded on first use (tfjs-packages.ts): the CLI's coordinator imports the
 * model stage to validate a config and must not pay for (or depend on) loading tfjs.
 */
import path from 'node:path';
import { createRequire } from 'node:module';
import { guardWasmMalloc } from './memory.js';
import { nativeProblem, quietTensorFlowLogs, TFJS_NODE } from './native.js';
import { tfjsBackendCpu, tfjsBackendWasm, tfjsCore, tfjsNode } from './tfjs-packages.js';

/** The backends a `model` stage may ask for; `auto` is `tensorflow` where tfjs-node is built, else `wasm`. */
export type BackendName = 'auto' | 'wasm' | 'cpu' | 'tensorflow';

const require = createRequire(import.meta.url);

// Before any thread loads TensorFlow's C library (it reads the variable once, from the process
// environment, which only the main thread can set): see native.ts.
quietTensorFlowLogs();

/**
 * The backend `name` stands for: `auto` is `tensorflow` where tfjs-node is installed with its
 * addon built (`npm run native`), else wasm (portable, and faster than `cpu`).
 *
 * @example
 * resolveBackend('auto') // 'wasm' on a clone where `npm run native` has not run
 */
export function resolveBackend(name: BackendName): Exclude<BackendName, 'auto'> {
  if (name !== 'auto') return name;
  return nativeProblem() ? 'wasm' : 'tensorflow';
}

/**
 * Why `name` resolves as it does, for the summary and `_SUCCESS`.
 *
 * @example
 * backendReason('auto') // 'auto: @tensorflow/tfjs-node is not installed (npm run native)'
 */
export function backendReason(name: BackendName): string {
  if (name !== 'auto') return 'configured';
  const problem = nativeProblem();
  return problem ? `auto: ${problem}` : `auto: ${TFJS_NODE} is installed with its addon`;
}

/** The one-line error for `tensorflow` without tfjs-node, shared by `check` and `initBackend`. */
export const TFJS_NODE_MISSING =
  `backend "tensorflow" needs ${TFJS_NODE}, which is not installed (run npm run native); use "wasm" or "cpu"`;

/**
 * Whether a backend can be used here, answered from the installed files without loading tfjs:
 * `null` when it can, else the one-line reason. Lets `validate` report a missing tfjs-node as
 * a config error before any data is read.
 *
 * @example
 * backendProblem('tensorflow') // 'backend "tensorflow" needs @tensorflow/tfjs-node, …' when absent
 */
export function backendProblem(name: BackendName): string | null {
  if (name !== 'tensorflow') return null;
  const problem = nativeProblem();
  return problem ? `backend "tensorflow": ${problem}; use "wasm" or "cpu"` : null;
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
    tfjsBackendCpu();
  } else if (name === 'wasm') {
    const wasm = tfjsBackendWasm();
    // Must precede the backend's initialisation; in Node the wasm backend is single-threaded
    // (tfjs turns threads off there), so cores are used through worker threads instead.
    if (!wasmPathsSet) {
      wasm.setWasmPaths(wasmDir());
      wasmPathsSet = true;
    }
  } else {
    try {
      quietTensorFlowLogs();
      tfjsNode(TFJS_NODE);
    } catch (err: any) {
      if (err?.code === 'ERR_MODULE_NOT_FOUND' || err?.code === 'MODULE_NOT_FOUND') throw new Error(TFJS_NODE_MISSING);
      throw new Error(`backend "tensorflow": ${TFJS_NODE} failed to load: ${String(err?.message ?? err).split('\n')[0]}`);
    }
  }
}

/** Registers a backend's package once per thread; a failed registration may be retried. */
function registered(wanted: Exclude<BackendName, 'auto'>): Promise<void> {
  let pending = ready.get(wanted);
  if (!pending) {
    pending = register(wanted);
    ready.set(wanted, pending);
    // A failed registration may be retried (e.g. after installing tfjs-node in a REPL).
    pending.catch(() => ready.delete(wanted));
  }
  return pending;
}

/**
 * Makes `name` the thread's TensorFlow.js backend and returns the name in use. Idempotent:
 * the packages load and initialise once per thread; a later call with another name switches.
 *
 * @example
 * await initBackend('auto'); // 'tensorflow' after `npm run native`, else 'wasm'
 * await initBackend('tensorflow'); // throws: backend "tensorflow" needs @tensorflow/tfjs-node, …
 */
export async function initBackend(name: BackendName): Promise<string> {
  let wanted = resolveBackend(name);
  try {
    await registered(wanted);
  } catch (err) {
    // `auto` found tfjs-node's files but the library does not load here: wasm, as without them.
    if (name !== 'auto' || wanted !== 'tensorflow') throw err;
    wanted = 'wasm';
    await registered(wanted);
  }
  const tf = tfjsCore();
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
  // A TensorFlow runtime (2.21) torn down without ever having run an op segfaults the process
  // at exit (seen when every record failed before the model): run one op now.
  if (wanted === 'tensorflow') {
    const two = tf.tidy(() => tf.add(tf.scalar(1), tf.scalar(1)));
    two.dataSync();
    two.dispose();
  }
  return tf.getBackend();
}
