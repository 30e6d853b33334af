/**
 * A user aggregation: a module (or object) with `init()`, `update(state, rows)`, `merge(a, b)`
 * and `result(state)` over a JSON state, adapted to the engine's `Aggregation` (aggregation.ts)
 * so the `aggregate` sink and a prediction spec's metrics share the metrics sink's mechanism:
 * one state file per partition, committed with it, merged once at the end.
 *
 * Every call into user code is wrapped so that what it throws names the aggregation and the
 * function (`aggregation ./hist.js: update() threw: …`), and a state that is not plain JSON is
 * refused naming where in the state (a Map, a class instance, NaN, undefined…), because it
 * could not be committed and merged exactly.
 */
import type { Aggregation } from '../aggregation.js';
import { importExport, type Json, type Row, type StageContext } from '../../../src/sdk.js';

/** What a user module exports (named exports, or one default-exported object). */
export interface UserAggregation<State = any, Result = any> {
  /** An empty state (plain JSON: objects, arrays, strings, finite numbers, booleans, null). */
  init(): State;
  /** Adds a batch of output rows (`{key, <forwarded fields>, prediction}`); returns the new state (or mutates `state` and returns nothing). */
  update(state: State, rows: Row[]): State | void;
  /** The state of `a` and `b` together; must be associative and commutative (see `checkMerge`). */
  merge(a: State, b: State): State;
  /** The figure written to `<name>.json` and reported (plain JSON). */
  result(state: State): Result;
}

const FUNCTIONS = ['init', 'update', 'merge', 'result'] as const;

/** Where `value` stops being plain JSON (a path like `state.bins[3]` and why), or null when it is plain JSON. */
export function jsonProblem(value: unknown, at: string, seen = new Set<object>()): string | null {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return null;
  if (typeof value === 'number') return Number.isFinite(value) ? null : `${at} is ${value} (JSON has no NaN or Infinity)`;
  if (typeof value !== 'object') return `${at} is ${typeof value === 'undefined' ? 'undefined' : `a ${typeof value}`}`;
  if (seen.has(value)) return `${at} is a circular reference`;
  seen.add(value);
  try {
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        const p = jsonProblem(value[i], `${at}[${i}]`, seen);
        if (p) return p;
      }
      return null;
    }
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) return `${at} is a ${proto?.constructor?.name ?? 'non-plain object'} (use plain objects and arrays)`;
    for (const [k, v] of Object.entries(value)) {
      const p = jsonProblem(v, `${at}.${k}`, seen);
      if (p) return p;
    }
    return null;
  } finally {
    seen.delete(value);
  }
}

/** What is missing from `user` to be an aggregation, or null. */
export function aggregationProblem(user: unknown): string | null {
  if (user === null || typeof user !== 'object') return 'is not an object with init(), update(), merge(), result()';
  const missing = FUNCTIONS.filter((f) => typeof (user as Record<string, unknown>)[f] !== 'function');
  return missing.length ? `lacks ${missing.map((f) => `${f}()`).join(', ')}` : null;
}

/** Imports a user aggregation module: its named exports `init`… when it has them, else its default export. */
export async function loadUserAggregation(ctx: StageContext, module: string): Promise<UserAggregation> {
  // A module that does not load fails here, naming it; one without `init` may export a default object.
  const named = await importExport(ctx, module, 'init').then(
    () => true,
    (err: Error) => {
      if (err.message.startsWith('cannot load')) throw err;
      return false;
    },
  );
  const user = named ? Object.fromEntries(await Promise.all(FUNCTIONS.map(async (f) => [f, await importExport(ctx, module, f)]))) : await importExport(ctx, module, 'default');
  const problem = aggregationProblem(user);
  if (problem) throw new Error(`aggregation ${module} ${problem} (export them, or export default an object with them)`);
  return user as UserAggregation;
}

/** Calls user code, naming the aggregation and the function in what it throws. */
function call<T>(name: string, fn: string, thunk: () => T): T {
  try {
    return thunk();
  } catch (err) {
    throw new Error(`aggregation ${name}: ${fn}() threw: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}

/** Throws, naming the aggregation, when `value` (what `fn` made) is not plain JSON. */
export function requireJson(name: string, fn: string, value: unknown, what = 'state'): Json {
  const problem = jsonProblem(value, what);
  if (problem) throw new Error(`aggregation ${name}: the ${what} from ${fn}() is not JSON-serialisable: ${problem}`);
  return value as Json;
}

/** The state box the engine mutates; the user's state is `s` (user functions may return a new one). */
interface Box {
  s: unknown;
}

/** `user` as an engine `Aggregation` over batches of rows, named `name` in every error. */
export function fromUser(user: UserAggregation, name: string): Aggregation<Box, Row[], Json> {
  return {
    init: () => ({ s: call(name, 'init', () => user.init()) }),
    update: (box, rows) => {
      const next = call(name, 'update', () => user.update(box.s, rows));
      if (next !== undefined) box.s = next;
    },
    merge: (into, other) => {
      into.s = call(name, 'merge', () => user.merge(into.s, other.s));
    },
    result: (box) => requireJson(name, 'result', call(name, 'result', () => user.result(box.s)), 'result'),
    encode: (box) => requireJson(name, 'update', box.s),
    decode: (json) => ({ s: json }),
  };
}
