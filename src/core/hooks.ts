/**
 * Thread hooks: wrappers a preload module (`execution.preload`, see graph/preload.ts) installs in
 * every thread before stages run — around the storage every stage and commit goes through
 * (`wrapStorage`: auditing, access checks, a test's injected write failure) and around each model
 * call (`wrapPredict`: timing, a test's injected out-of-memory abort).
 *
 * The wrappers live on `globalThis` under a registry symbol, not in this module's scope, so a
 * preload module that resolves another copy of Sluice (its own node_modules) still reaches the
 * engine's thread. They last for the thread's life.
 */
import type { Storage } from './storage.js';
import type { Json, KeyedInstance } from './types.js';

/** One model call: the records of a batch in, one output per record out, in order. */
export type PredictCall = (records: KeyedInstance[]) => Promise<Json[]>;

/** What a predict wrapper is told about the model it wraps. */
export interface PredictInfo {
  /** The model stage's config path, e.g. `/model`. */
  path: string;
  /** The backend in use, e.g. `wasm` or `tensorflow`. */
  backend: string;
}

export type StorageWrapper = (storage: Storage) => Storage;
export type PredictWrapper = (predict: PredictCall, info: PredictInfo) => PredictCall;

interface Registry {
  storage: StorageWrapper[];
  predict: PredictWrapper[];
}

const KEY = Symbol.for('sluice.thread-hooks');

function registry(): Registry {
  const g = globalThis as unknown as Record<symbol, Registry | undefined>;
  return (g[KEY] ??= { storage: [], predict: [] });
}

/**
 * Wraps every storage this thread uses from now on (also storages made earlier, from their next
 * call): `fn` gets the storage as it is and returns the one to use. Wrappers apply in the order
 * they were installed, the last one outermost.
 *
 * @example
 * wrapStorage((inner) => ({ ...inner, remove: (uri, o) => (console.error(`remove ${uri}`), inner.remove(uri, o)) }));
 */
export function wrapStorage(fn: StorageWrapper): void {
  registry().storage.push(fn);
}

/**
 * Wraps every model call of the model stages this thread creates from now on. A wrapper may
 * time, log or refuse a call; what it throws is what the model threw (out of memory is
 * recognised by its message, see src/model/memory.ts).
 *
 * @example
 * wrapPredict((predict, { path }) => async (records) => { const t = Date.now(); try { return await predict(records); } finally { log(path, records.length, Date.now() - t); } });
 */
export function wrapPredict(fn: PredictWrapper): void {
  registry().predict.push(fn);
}

/**
 * `base` as the installed storage wrappers make it, seen at each call: a storage made before a
 * preload ran (the CLI makes one early) still gets wrappers installed later. Without wrappers
 * every call goes straight to `base`.
 */
export function hookedStorage(base: Storage): Storage {
  let seen = 0;
  let current = base;
  const now = (): Storage => {
    const list = registry().storage;
    if (list.length !== seen) {
      current = list.reduce((s, wrap) => wrap(s), base);
      seen = list.length;
    }
    return current;
  };
  return new Proxy(base, {
    get(_, prop) {
      const s = now();
      const value = (s as unknown as Record<string | symbol, unknown>)[prop];
      return typeof value === 'function' ? value.bind(s) : value;
    },
  });
}

/** `predict` with the installed predict wrappers around it (itself when there are none). */
export function hookedPredict(predict: PredictCall, info: PredictInfo): PredictCall {
  return registry().predict.reduce((call, wrap) => wrap(call, info), predict);
}
