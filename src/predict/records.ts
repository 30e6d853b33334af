import type { RawRecord } from '../core/types.js';
import { nestedDeeperThan, tooDeepError } from '../core/nesting.js';
import { stringifyExact } from '../core/exact-json.js';
import type { BatchResult } from './rows.js';

/**
 * The `source` of records handed over in memory (a `predict()` call, an HTTP request): error
 * rows name it, and `key/position` keys such records `instances:<index>`.
 */
export const MEMORY_SOURCE = 'instances';

/**
 * An in-memory record as the decode stage expects a record read from a file, so that it takes
 * the same path: a string is the record's text (a JSONL line: `decode/json` parses it), bytes
 * are a binary record (a serialized tf.Example), and any other value is the record already
 * parsed (its `fields`, as the parquet source hands them over), kept as JSON text for error rows.
 *
 * @example
 * toRawRecord({ id: 'a', x: [1, 2] }, 0) // { source: 'instances', index: 0, offset: null, raw: '{"id":"a","x":[1,2]}', fields: {…} }
 * toRawRecord('{"id":"a"}', 1)           // { source: 'instances', index: 1, offset: null, raw: '{"id":"a"}' }
 */
export function toRawRecord(value: unknown, index: number, source = MEMORY_SOURCE): RawRecord {
  if (typeof value === 'string' || value instanceof Uint8Array) return { source, index, offset: null, raw: value };
  const fields = value === undefined ? null : value;
  return { source, index, offset: null, raw: stringifyExact(fields) ?? String(fields), fields: fields as Record<string, unknown> };
}

/** One batch of in-memory records through the chain (`Predictor.run`). */
type RunBatch = (values: unknown[], indexes?: number[]) => Promise<BatchResult>;

/**
 * The nesting guard (core/nesting.ts) where in-memory records come in, before anything
 * serialises or clones them to a worker thread (both recurse): a value nested past the limit
 * gets its own error row, and only the others go to `run`, so it never fails its neighbours.
 *
 * @example
 * const run = guardNesting((values, indexes) => runChain(chain, values, indexes));
 */
export function guardNesting(run: RunBatch): RunBatch {
  return async (values, indexes) => {
    const deep = values.map((v) => nestedDeeperThan(v));
    if (!deep.includes(true)) return run(values, indexes);
    const at = (i: number) => indexes?.[i] ?? i;
    const keep = values.flatMap((_, i) => (deep[i] ? [] : [i]));
    const inner = keep.length ? await run(keep.map((i) => values[i]), keep.map(at)) : { rows: [], codes: [] };
    const result: BatchResult = { rows: new Array(values.length), codes: new Array(values.length) };
    const error = tooDeepError();
    keep.forEach((i, j) => {
      result.rows[i] = inner.rows[j]!;
      result.codes[i] = inner.codes[j] ?? null;
    });
    deep.forEach((isDeep, i) => {
      if (!isDeep) return;
      result.rows[i] = { key: null, source: MEMORY_SOURCE, index: at(i), offset: null, stage: 'decode', code: error.code, error: error.message, raw: null };
      result.codes[i] = error.code;
    });
    return result;
  };
}
