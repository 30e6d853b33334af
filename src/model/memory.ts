/**
 * Out of memory while predicting. TensorFlow.js reports it in several ways, and they differ in
 * what is left afterwards:
 *
 * - JavaScript could not allocate a typed array (cpu backend, or tfjs-core before a kernel runs):
 *   `RangeError: Array buffer allocation failed`, `Invalid typed array length: 5033164800`.
 *   Nothing is damaged; a smaller batch can be tried in the same thread.
 * - The wasm heap (at most 4 GB) cannot grow. tfjs-backend-wasm does not check `malloc`'s result
 *   (tfjs#4208): it registers the tensor at address 0 and overwrites the heap, so a later call
 *   aborts, or worse, predictions come out wrong without an error. `guardWasmMalloc` closes that
 *   hole: a failed allocation throws a `WasmOutOfMemoryError` before anything is written, and the
 *   heap stays sound.
 * - Allocations inside the wasm module's own C++ (XNNPACK workspaces) abort the module:
 *   `RuntimeError: Aborted()` (`Aborted(OOM)` in builds with more assertions). Every later call
 *   aborts too: only a fresh worker thread (a fresh module) can go on.
 */

/** The wasm heap's limit in tfjs-backend-wasm's build (emscripten's getHeapMax: 4 GiB − 64 KiB). */
export const WASM_HEAP_MAX = 4294901760;

/** A wasm allocation that failed, caught before tfjs could write through a null pointer. */
export class WasmOutOfMemoryError extends RangeError {
  constructor(bytes: number, heapBytes: number) {
    super(`wasm out of memory: cannot allocate ${gb(bytes)} (heap ${gb(heapBytes)} of at most ${gb(WASM_HEAP_MAX)})`);
    this.name = 'WasmOutOfMemoryError';
  }
}

const gb = (bytes: number) => (bytes >= 1e9 ? `${(bytes / 1e9).toFixed(2)} GB` : `${(bytes / 1e6).toFixed(1)} MB`);

/** Out of memory as classified by `outOfMemory`: `fatal` when the backend cannot be used again in this thread. */
export interface OutOfMemory {
  fatal: boolean;
}

// Real messages: V8 (typed arrays, wasm memories), emscripten (abort, memory growth),
// TensorFlow C (tfjs-node: "OOM when allocating tensor with shape[…]").
const RECOVERABLE = [
  /Array buffer allocation failed/,
  /Invalid typed array length/,
  /Invalid array buffer length/,
  /could not allocate memory/,
  /Out of memory/i,
  /OOM when allocating/,
  /Failed to allocate/,
];
const FATAL = [/^Aborted\(/, /Cannot enlarge memory arrays/];

/**
 * Whether `err` means the backend ran out of memory, and if so whether the backend survived.
 * Anything else (a bad record, a bug) is null: the caller bisects as for any model error.
 *
 * @example
 * outOfMemory(new RangeError('Array buffer allocation failed')) // { fatal: false }
 * outOfMemory(new WebAssembly.RuntimeError('Aborted(). Build with -sASSERTIONS for more info.')) // { fatal: true }
 */
export function outOfMemory(err: unknown): OutOfMemory | null {
  if (err instanceof WasmOutOfMemoryError) return { fatal: false };
  const message = err instanceof Error ? err.message : String(err);
  if (FATAL.some((re) => re.test(message))) return { fatal: true };
  if (RECOVERABLE.some((re) => re.test(message))) return { fatal: false };
  return null;
}

interface WasmModule {
  _malloc(bytes: number): number;
  _free(ptr: number): void;
  HEAPU8: Uint8Array;
  sluiceGuarded?: true;
}

/**
 * Makes the wasm backend's `malloc` throw a `WasmOutOfMemoryError` instead of returning 0 (or,
 * for 4 GB and more, a small block: tfjs passes the size through a 32-bit integer), so that an
 * allocation failure leaves the heap sound and can be retried with a smaller batch. Idempotent;
 * does nothing for other backends.
 *
 * @example
 * guardWasmMalloc(tf.backend()); // after tf.setBackend('wasm')
 */
export function guardWasmMalloc(backend: unknown): void {
  const wasm = (backend as { wasm?: WasmModule } | undefined)?.wasm;
  if (!wasm || typeof wasm._malloc !== 'function' || wasm.sluiceGuarded) return;
  // emscripten binds `_malloc` to the module's export on its first call, replacing itself:
  // call it once so that the function wrapped below is the real one.
  wasm._free(wasm._malloc(8));
  const malloc = wasm._malloc;
  wasm._malloc = (bytes: number): number => {
    if (bytes > WASM_HEAP_MAX) throw new WasmOutOfMemoryError(bytes, wasm.HEAPU8.length);
    const ptr = malloc(bytes);
    if (ptr === 0 && bytes > 0) throw new WasmOutOfMemoryError(bytes, wasm.HEAPU8.length);
    return ptr;
  };
  wasm.sluiceGuarded = true;
}
