import { defineStage, RecordError, shown, type Key } from '../../../src/sdk.js';
import { keyTransform } from '../position/index.js';
import { forwardNames, forwardProblems } from '../position/forward.js';
import { fieldKeyMeta, type FieldKeyOptions } from './schema.js';

/**
 * The key held in `fields[field]`: a non-empty string or a finite number; anything else
 * throws a RecordError (`missing-key` when absent, null or empty; `bad-key` otherwise).
 *
 * @example
 * fieldKey({ id: 'u-17', x: 1 }, 'id') // 'u-17'
 */
export function fieldKey(fields: Record<string, unknown>, field: string): Key {
  let v = Object.hasOwn(fields, field) ? fields[field] : undefined;
  // tf.Example features are always lists: a one-element list holds the key.
  if (Array.isArray(v) && v.length === 1) v = v[0];
  if (typeof v === 'string') {
    if (v === '') throw new RecordError('missing-key', `key field "${field}" is empty`);
    return v;
  }
  if ((typeof v === 'number' && Number.isFinite(v)) || typeof v === 'bigint') return v;
  if (v === undefined) throw new RecordError('missing-key', `key field "${field}" is missing`);
  if (v === null) throw new RecordError('missing-key', `key field "${field}" is null`);
  throw new RecordError('bad-key', `key field "${field}": expected a string or a number, got ${shown(v)}`);
}

/** The key of a Failure's parsed fields, or null when it has none to give. */
function failureKey(fields: Record<string, unknown> | undefined, field: string): Key | null {
  if (!fields) return null;
  try {
    return fieldKey(fields, field);
  } catch {
    return null;
  }
}

/**
 * `key/field`: the key is an input field's value (a string or a number); a record without it
 * is a Failure. Failures of records that parsed (bad features) still carry their key.
 *
 * @example
 * { "type": "field", "field": "id", "forward": ["city"] }
 */
export default defineStage<FieldKeyOptions>()({
  ...fieldKeyMeta,
  examples: [{ field: 'id', forward: [] }, { field: 'key', forward: ['userId', 'movieId'] }, { field: 'id', forward: '*' }],
  forwards: (options) => forwardNames(options.forward),
  check: async (options, ctx) => forwardProblems(options.forward, ctx.path),
  create(options) {
    const field = options.field;
    return { transform: keyTransform((r) => fieldKey(r.fields, field), (f) => failureKey(f.fields, field), options.forward) };
  },
});
