import { RecordError } from './failure.js';

/**
 * The deepest nesting of arrays and objects a record may hold (docs/limits.md).
 *
 * Why a limit at all: V8's `JSON.parse` handles any depth, but everything after it recurses —
 * `JSON.stringify` (sinks, error rows), the structured clone that carries records to and from
 * worker threads, feature flattening. In Node 20 they overflow the stack somewhere between
 * ~3,000 and ~16,000 levels depending on the thread, and an overflow there fails a whole
 * partition or batch instead of one record. 1,000 levels leaves every one of those a wide
 * margin, and no real record comes near it.
 */
export const MAX_NESTING_DEPTH = 1000;

/**
 * True when `value` nests arrays/objects deeper than `limit` (a scalar is depth 0, `[]` is 1).
 * Iterative, so it cannot overflow itself; it stops at the first branch past the limit.
 *
 * @example
 * nestedDeeperThan([[1]], 1) // true
 * nestedDeeperThan({ a: [1] }, 2) // false
 */
export function nestedDeeperThan(value: unknown, limit = MAX_NESTING_DEPTH): boolean {
  if (value === null || typeof value !== 'object') return false;
  const stack: unknown[] = [value];
  const depths: number[] = [1];
  while (stack.length) {
    const v = stack.pop() as object;
    const depth = depths.pop()!;
    if (depth > limit) return true;
    // Typed arrays and buffers hold numbers, not nested values.
    if (ArrayBuffer.isView(v)) continue;
    const children = Array.isArray(v) ? v : Object.values(v);
    for (const child of children) {
      if (child !== null && typeof child === 'object') {
        stack.push(child);
        depths.push(depth + 1);
      }
    }
  }
  return false;
}

/**
 * Whether a JSON text can nest deeper than `limit` at all: each level costs two characters
 * (`[` and `]`), so a shorter text cannot, and the walk is skipped on the hot path.
 */
export function textMayNestDeeperThan(length: number, limit = MAX_NESTING_DEPTH): boolean {
  return length > 2 * limit;
}

/** The one message for a record past the limit (the same in batch runs and over HTTP). */
export function tooDeepError(limit = MAX_NESTING_DEPTH): RecordError {
  return new RecordError('too-deep', `record nests arrays/objects deeper than ${limit} levels (the limit: see docs/limits.md)`);
}

/**
 * Throws a RecordError (`too-deep`) when a parsed record nests deeper than the limit: the one
 * guard every entry point calls where records come in (decode/json for files, the predictor
 * for in-memory and HTTP instances), so nothing downstream ever recurses past it.
 *
 * @example
 * checkNesting(JSON.parse(line), line.length)
 */
export function checkNesting(value: unknown, textLength = Infinity, limit = MAX_NESTING_DEPTH): void {
  if (textMayNestDeeperThan(textLength, limit) && nestedDeeperThan(value, limit)) throw tooDeepError(limit);
}
