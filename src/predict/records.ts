import type { RawRecord } from '../core/types.js';

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
  return { source, index, offset: null, raw: JSON.stringify(fields) ?? String(fields), fields: fields as Record<string, unknown> };
}
