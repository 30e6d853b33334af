/**
 * The native TensorFlow backend (@tensorflow/tfjs-node, installed by `npm run native`): whether
 * it is usable here, answered from its files without loading the ~850 MB C library, and keeping
 * TensorFlow's C++ log lines out of Sluice's output.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { isMainThread } from 'node:worker_threads';

/** The optional native package behind the `tensorflow` backend (not in package.json: see docs/native.md). */
export const TFJS_NODE = '@tensorflow/tfjs-node';

const require = createRequire(import.meta.url);
let problem: string | null | undefined;

/**
 * Null when tfjs-node is installed with its addon built, else the one-line reason (memoised:
 * asked once per thread). The addon is `lib/napi-v<N>/tfjs_binding.node` in the package; an
 * install without it (scripts skipped, or a failed download) cannot load.
 *
 * @example
 * nativeProblem() // '@tensorflow/tfjs-node is not installed (run npm run native)'
 */
export function nativeProblem(): string | null {
  if (problem !== undefined) return problem;
  let pkg: string;
  try {
    pkg = path.dirname(require.resolve(`${TFJS_NODE}/package.json`));
  } catch {
    return (problem = `${TFJS_NODE} is not installed (run npm run native)`);
  }
  const libDir = path.join(pkg, 'lib');
  const built = fs.existsSync(libDir) && fs.readdirSync(libDir).some((d) => fs.existsSync(path.join(libDir, d, 'tfjs_binding.node')));
  return (problem = built ? null : `${TFJS_NODE} is installed without its native addon (run npm run native)`);
}

/**
 * Sets TF_CPP_MIN_LOG_LEVEL=2 (warnings and info off, errors kept) unless the user set it or
 * asked for `--verbose`. TensorFlow reads it from the process environment when its library
 * loads; only the main thread can change that environment (a worker's `process.env` is a copy
 * native code never sees), so this runs when the main thread imports the model modules, before
 * any worker thread exists, and again before each load. Lines TensorFlow logs through absl
 * before its logging is initialised (TF 2.21's "oneDNN custom operations are on") ignore the
 * variable, so TF_ENABLE_ONEDNN_OPTS defaults to 0 as well: see docs/native.md.
 */
export function quietTensorFlowLogs(): void {
  if (!isMainThread) return;
  // TF 2.21 announces its oneDNN kernels through absl before logging is initialised, past any
  // variable: the contract keeps TensorFlow's lines off the terminal, so oneDNN is off unless the
  // user turns it on (TF_ENABLE_ONEDNN_OPTS=1: faster dense layers, one log line; docs/native.md).
  process.env.TF_ENABLE_ONEDNN_OPTS ??= '0';
  if (process.env.TF_CPP_MIN_LOG_LEVEL !== undefined || process.argv.includes('--verbose')) return;
  process.env.TF_CPP_MIN_LOG_LEVEL = '2';
}

let held = false;

/**
 * Keeps tfjs-node's addon mapped for the life of the process (main thread, tensorflow backend,
 * as the model host starts: see model/host.ts). A worker thread that loaded the addon and is ended while
 * its load is in progress (a run stopped by a config problem while the model loads, e.g. after
 * `loadTimeoutMs`) has the addon unloaded under an exit handler TensorFlow registered: the
 * process then crashes on exit (SIGSEGV, exit 139) after printing its message. Loading it here
 * with RTLD_NODELETE means it is never unloaded. Its init makes an idle TensorFlow context in
 * this thread; no op runs here (docs/native.md, "Thread model").
 */
export function holdNativeAddon(): void {
  if (held || !isMainThread || nativeProblem()) return;
  held = true;
  quietTensorFlowLogs();
  const libDir = path.join(path.dirname(require.resolve(`${TFJS_NODE}/package.json`)), 'lib');
  for (const d of fs.readdirSync(libDir)) {
    const binding = path.join(libDir, d, 'tfjs_binding.node');
    if (!fs.existsSync(binding)) continue;
    try {
      process.dlopen({ exports: {} }, binding, os.constants.dlopen.RTLD_LAZY | ((os.constants.dlopen as Record<string, number>).RTLD_NODELETE ?? 0));
    } catch {
      // Loaded by the worker as usual then; only the exit crash above is not prevented.
    }
  }
}
