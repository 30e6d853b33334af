import type { JSONSchemaType } from 'ajv';
import { RecordError } from '../../../src/core/failure.js';

/** What a key stage copies to the output: named input fields, or `"*"`: every input field. */
export type Forward = string[] | '*';

/** Output row columns of their own: a forwarded field cannot take these names. */
export const TAKEN = ['key', 'prediction'];

/** Under `"*"`, an input field named like an output column is written under this name instead. */
export const RENAMED_PREFIX = 'input.';

/** JSON Schema of `forward`, shared by the key stages. */
export const forwardSchema: JSONSchemaType<Forward> = {
  oneOf: [
    { type: 'string', const: '*' },
    { type: 'array', items: { type: 'string', minLength: 1 }, uniqueItems: true },
  ],
  default: [],
  description:
    'Input fields copied to every output row unchanged, after the key: JSON and CSV values as they appear in the input; a missing field is null. "key" and "prediction" are taken. "*" (or ["*"]) copies every input field of each record (SageMaker JoinSource=Input); under "*" an input field named "key" or "prediction" is written as "input.key" / "input.prediction", and a record that also holds "input.key" (or "input.prediction") fails alone at the key stage (forward-conflict).',
} as any;

/** `["*"]` means `"*"` too: the users wrote it so, and a field named `*` is not plausible. */
export function forwardsAll(forward: Forward): boolean {
  return forward === '*' || (forward.length === 1 && forward[0] === '*');
}

/**
 * The config problems of a `forward` option: one line per field named like an output row's own
 * column (the CONTRACT makes that a config error), and `"*"` mixed with names.
 *
 * @example
 * forwardProblems(['city', 'key'], '/key') // ['/key/forward/1: a forwarded field cannot be named "key" (the output row's own column)']
 */
export function forwardProblems(forward: Forward, path: string): string[] {
  if (forwardsAll(forward)) return [];
  const problems: string[] = [];
  (forward as string[]).forEach((name, i) => {
    if (TAKEN.includes(name)) problems.push(`${path}/forward/${i}: a forwarded field cannot be named "${name}" (the output row's own column)`);
    if (name === '*') problems.push(`${path}/forward/${i}: "*" already forwards every field; write "forward": "*" alone`);
  });
  return problems;
}

/** The field names a key stage declares (sinks order CSV columns by them); none are known for `"*"`. */
export function forwardNames(forward: Forward): string[] {
  return forwardsAll(forward) ? [] : (forward as string[]);
}

// A field named "__proto__" would set the prototype through plain assignment.
function put(out: Record<string, unknown>, name: string, value: unknown): void {
  if (name === '__proto__') Object.defineProperty(out, name, { value, enumerable: true, writable: true, configurable: true });
  else out[name] = value;
}

/**
 * Every field of a record, in its order, with `key` and `prediction` renamed to `input.key` and
 * `input.prediction` so they never overwrite the row's own columns. A record that holds both
 * `key` and `input.key` cannot be renamed without losing one: it throws a RecordError.
 *
 * @example
 * forwardAll({ key: 'u1', x: 1 }) // { 'input.key': 'u1', x: 1 }
 */
export function forwardAll(fields: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const name of Object.keys(fields)) {
    const value = fields[name] === undefined ? null : fields[name];
    if (!TAKEN.includes(name)) {
      put(out, name, value);
      continue;
    }
    const renamed = RENAMED_PREFIX + name;
    if (Object.hasOwn(fields, renamed)) {
      throw new RecordError('forward-conflict', `forward "*": the record has both "${name}" and "${renamed}"; "${name}" cannot be renamed to "${renamed}" without overwriting it`);
    }
    put(out, renamed, value);
  }
  return out;
}

/**
 * A function copying the forwarded fields of a record: the named ones unchanged (a missing
 * field is null), or every field for `"*"` (see `forwardAll`).
 *
 * @example
 * forwarder(['city'])({ city: 'Oslo', x: 1 }) // { city: 'Oslo' }
 */
export function forwarder(forward: Forward): (fields: Record<string, unknown>) => Record<string, unknown> {
  if (forwardsAll(forward)) return forwardAll;
  const names = forward as string[];
  return (fields) => {
    const out: Record<string, unknown> = {};
    for (const name of names) {
      const v = Object.hasOwn(fields, name) ? fields[name] : undefined;
      put(out, name, v === undefined ? null : v);
    }
    return out;
  };
}
