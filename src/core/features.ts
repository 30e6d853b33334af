/**
 * Feature decoding (CONTRACT: `decode.features`): turns a record's parsed fields into typed,
 * flattened feature values, or throws a RecordError saying what was expected and found. Shared
 * by the `json` and `csv` decoders (and `tf-example`). The per-record path is compiled once per
 * spec, and flat numeric arrays are written straight into the typed array, with no copies.
 */
import type { FeatureSpec, FeatureSpecMap } from './stage.js';
import type { FeatureValue } from './types.js';
import { RecordError } from './failure.js';
import { SluiceError, shown } from './errors.js';

/** Where the fields came from: JSON values (numbers must be numbers) or CSV cells (text). */
export type DecodeMode = 'json' | 'csv';

const F32_MAX = 3.4028234663852886e38;
const I32_MIN = -2147483648;
const I32_MAX = 2147483647;

/**
 * Elements per instance of a shape: the product of its dims (`[]`, a scalar, holds 1).
 *
 * @example
 * featureSize([28, 28]) // 784
 */
export function featureSize(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/**
 * A shape as messages show it.
 *
 * @example
 * showShape([28, 28]) // '[28,28]'
 */
export function showShape(shape: readonly number[]): string {
  return `[${shape.join(',')}]`;
}

const values = (n: number) => `${n} value${n === 1 ? '' : 's'}`;

/** One compiled feature: what decoding it needs, computed once. */
interface Compiled {
  name: string;
  spec: FeatureSpec;
  size: number;
  shapeText: string;
  template: FeatureValue | null;
}

/** Checks one number against a numeric dtype; `at` is " at element i" or "". */
function checkNumber(c: Compiled, x: number, at: string): void {
  if (x !== x || x === Infinity || x === -Infinity) throw new RecordError('not-finite', `feature "${c.name}": expected a finite number${at}, got ${x}`);
  if (c.spec.dtype === 'int32') {
    if (!Number.isInteger(x)) throw new RecordError('not-integer', `feature "${c.name}": expected an integer (int32)${at}, got ${x}`);
    if (x < I32_MIN || x > I32_MAX) throw new RecordError('out-of-range', `feature "${c.name}": expected an int32 (${I32_MIN} to ${I32_MAX})${at}, got ${x}`);
  } else if (x > F32_MAX || x < -F32_MAX) {
    throw new RecordError('out-of-range', `feature "${c.name}": expected a float32 (magnitude up to ${F32_MAX})${at}, got ${x}`);
  }
}

/**
 * Whether `x` fits the feature's dtype (finite, in range, whole for int32) without building a
 * message: the per-element test of the hot path. NaN fails every comparison. Only a value that
 * fails goes to `checkNumber`, for its message (a message string per element cost more than
 * the rest of the feature's decoding: docs/performance.md).
 */
function numberFits(c: Compiled, x: number): boolean {
  return c.spec.dtype === 'int32' ? x >= I32_MIN && x <= I32_MAX && Math.floor(x) === x : x >= -F32_MAX && x <= F32_MAX;
}

/** A CSV cell as a number, strictly: no empty or blank cell, no trailing junk (`Number`, not `parseFloat`). */
function cellNumber(c: Compiled, cell: string, column?: string): number {
  const x = +cell;
  // A good number: `+cell` in range and no blank cell read as 0 (the message is built only for a bad cell).
  if (numberFits(c, x) && (x !== 0 || cell.trim() !== '')) return x;
  const at = column === undefined ? '' : ` in column "${column}"`;
  // `+" "` is 0 and `+"abc"` is NaN: tell blanks and words from real zeros and NaNs.
  if ((x === 0 && cell.trim() === '') || (x !== x && cell.trim() !== 'NaN')) {
    throw new RecordError('not-numeric', `feature "${c.name}": expected a number${at}, got ${shown(cell)}`);
  }
  checkNumber(c, x, at);
  return x;
}

/**
 * Writes the numbers of a (possibly nested) JSON value into `out` from `pos`, row-major, and
 * returns how many elements it holds (counting on past `out`'s end, for the shape message).
 */
function fillNumbers(c: Compiled, v: unknown, out: Float32Array | Int32Array, pos: number, top: boolean): number {
  // An integer beyond 2^53 kept exact for keys (core/exact-json.ts) is, as a feature, the number JSON.parse would give.
  if (typeof v === 'bigint') v = Number(v);
  if (typeof v === 'number') {
    if (!numberFits(c, v)) checkNumber(c, v, top ? '' : ` at element ${pos}`);
    if (pos < out.length) out[pos] = v;
    return pos + 1;
  }
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) pos = fillNumbers(c, v[i], out, pos, false);
    return pos;
  }
  throw new RecordError('not-numeric', `feature "${c.name}": expected a number${top ? '' : ` at element ${pos}`}, got ${shown(v)}`);
}

/** Like fillNumbers for a string feature: strings as they are, numbers as their text. */
function fillStrings(c: Compiled, v: unknown, out: string[], top: boolean): void {
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'bigint') {
    out.push(typeof v === 'string' ? v : String(v));
    return;
  }
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) fillStrings(c, v[i], out, false);
    return;
  }
  throw new RecordError('not-string', `feature "${c.name}": expected a string${top ? '' : ` at element ${out.length}`}, got ${shown(v)}`);
}

function shapeError(c: Compiled, got: number): RecordError {
  return new RecordError('shape', `feature "${c.name}": expected ${values(c.size)} (shape ${c.shapeText}), got ${got}`);
}

/** A JSON value (or a CSV cell's parsed JSON array) as the feature's typed value. */
function fromJson(c: Compiled, v: unknown): FeatureValue {
  if (c.spec.dtype === 'string') {
    const out: string[] = [];
    fillStrings(c, v, out, true);
    if (out.length !== c.size) throw shapeError(c, out.length);
    return out;
  }
  const out = c.spec.dtype === 'int32' ? new Int32Array(c.size) : new Float32Array(c.size);
  // The common case, a flat array of numbers of the right length, in one tight loop.
  if (Array.isArray(v) && v.length === c.size) {
    let i = 0;
    for (; i < v.length; i++) {
      const x = v[i];
      if (typeof x !== 'number') break;
      if (!numberFits(c, x)) checkNumber(c, x, ` at element ${i}`);
      out[i] = x;
    }
    if (i === v.length) return out;
  }
  const n = fillNumbers(c, v, out, 0, true);
  if (n !== c.size) throw shapeError(c, n);
  return out;
}

/** A CSV cell: a JSON array when it starts with `[`, else a scalar (a string feature of one element takes the text as is). */
function fromCell(c: Compiled, cell: string): FeatureValue {
  if (c.spec.dtype === 'string' && c.size === 1) return [cell];
  if (cell.trimStart().startsWith('[')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(cell);
    } catch {
      const want = c.spec.dtype === 'string' ? 'a JSON array of strings' : 'a number or a JSON array of numbers';
      throw new RecordError(c.spec.dtype === 'string' ? 'not-string' : 'not-numeric', `feature "${c.name}": expected ${want}, got ${shown(cell)}`);
    }
    return fromJson(c, parsed);
  }
  if (c.spec.dtype === 'string') return fromJson(c, cell);
  const x = cellNumber(c, cell);
  if (c.size !== 1) throw shapeError(c, 1);
  const out = c.spec.dtype === 'int32' ? new Int32Array(1) : new Float32Array(1);
  out[0] = x;
  return out;
}

/** The feature from `columns`: one cell per element. */
function fromColumns(c: Compiled, fields: Record<string, unknown>, columns: string[]): FeatureValue | undefined {
  let empty = 0;
  const cells = columns.map((col) => (Object.hasOwn(fields, col) ? fields[col] : undefined));
  for (const cell of cells) if (isMissing(cell, 'csv')) empty++;
  if (empty === columns.length) return undefined;
  const out: FeatureValue = c.spec.dtype === 'string' ? new Array<string>(c.size) : c.spec.dtype === 'int32' ? new Int32Array(c.size) : new Float32Array(c.size);
  for (let i = 0; i < columns.length; i++) {
    const cell = cells[i];
    if (isMissing(cell, 'csv')) {
      throw new RecordError('missing-feature', `feature "${c.name}": column "${columns[i]}" is ${cell === undefined ? 'not in the header' : 'empty'} (${empty} of ${columns.length} columns empty)`);
    }
    const text = String(cell);
    if (c.spec.dtype === 'string') (out as string[])[i] = text;
    else (out as Float32Array | Int32Array)[i] = cellNumber(c, text, columns[i]);
  }
  return out;
}

function isMissing(v: unknown, mode: DecodeMode): boolean {
  return v === undefined || v === null || (mode === 'csv' && v === '');
}

/**
 * Compiles a feature spec into a decoder for one record's fields; throws `CONFIG_INVALID` when
 * the spec itself is wrong (see `checkFeatureSpecs`).
 *
 * @example
 * const decode = compileFeatures({ age: { dtype: 'int32', shape: [1] } }, 'json');
 * decode({ age: 42 }) // { age: Int32Array [42] }
 */
export function compileFeatures(specs: FeatureSpecMap, mode: DecodeMode, path = '/decode/features'): (fields: Record<string, unknown>) => Record<string, FeatureValue> {
  const problems = checkFeatureSpecs(specs, path);
  for (const [name, spec] of Object.entries(specs)) {
    // JSON and CSV values have no int64 or bytes type; only tf.Example features do.
    if (spec.dtype === 'int64' || spec.dtype === 'bytes') problems.push(`${path}/${pointer(name)}/dtype: expected float32, int32 or string for ${mode} records, got ${spec.dtype} (only decode/tf-example reads it)`);
  }
  if (problems.length) throw new SluiceError('CONFIG_INVALID', problems);
  const compiled: Compiled[] = Object.entries(specs).map(([name, spec]) => {
    const c: Compiled = { name, spec, size: featureSize(spec.shape), shapeText: showShape(spec.shape), template: null };
    if (spec.default !== undefined) c.template = defaultValue(c);
    return c;
  });
  return (fields) => {
    const out: Record<string, FeatureValue> = {};
    for (const c of compiled) {
      let value: FeatureValue | undefined;
      if (mode === 'csv' && c.spec.columns) {
        value = fromColumns(c, fields, c.spec.columns);
      } else {
        // hasOwn: a feature named "constructor" must not find Object.prototype's.
        const v = Object.hasOwn(fields, c.name) ? fields[c.name] : undefined;
        if (!isMissing(v, mode)) value = mode === 'csv' && typeof v === 'string' ? fromCell(c, v) : fromJson(c, v);
      }
      if (value === undefined) {
        if (c.template === null) {
          const where = mode === 'csv' && c.spec.columns ? `columns ${c.spec.columns.map((s) => `"${s}"`).join(', ')} are empty` : `no value for "${c.name}"`;
          throw new RecordError('missing-feature', `feature "${c.name}": missing (${where}) and the feature has no default`);
        }
        value = c.template.slice(); // a copy: callers may write into what they get
      }
      out[c.name] = value;
    }
    return out;
  };
}

// Compiled decoders by spec object: a spec is compiled once however often decodeFeatures is called.
const cache = new WeakMap<FeatureSpecMap, Map<DecodeMode, (fields: Record<string, unknown>) => Record<string, FeatureValue>>>();

/**
 * Decodes the features of one record (CONTRACT: a scalar or nested arrays flattened row-major;
 * the element count must equal the shape's product; a missing value takes `default`). Throws a
 * RecordError with code `missing-feature`, `shape`, `not-numeric`, `not-finite`, `not-integer`,
 * `out-of-range` or `not-string`.
 *
 * @example
 * decodeFeatures({ pixels: '[0,1,0]' }, { pixels: { dtype: 'float32', shape: [3] } }, 'csv')
 * // { pixels: Float32Array [0, 1, 0] }
 */
export function decodeFeatures(fields: Record<string, unknown>, specs: FeatureSpecMap, mode: DecodeMode): Record<string, FeatureValue> {
  let byMode = cache.get(specs);
  if (!byMode) cache.set(specs, (byMode = new Map()));
  let decode = byMode.get(mode);
  if (!decode) byMode.set(mode, (decode = compileFeatures(specs, mode)));
  return decode(fields);
}

/** The default as a typed value (the spec is already checked). */
function defaultValue(c: Compiled): FeatureValue {
  return featureDefault(c.spec)!;
}

/**
 * A spec's `default` as a typed value, broadcast to the shape, or null without one (the spec
 * is already checked by `checkFeatureSpecs`). Callers get a fresh value each time.
 *
 * @example
 * featureDefault({ dtype: 'int64', shape: [2], default: 7 }) // BigInt64Array [7n, 7n]
 */
export function featureDefault(spec: FeatureSpec): FeatureValue | null {
  const d = spec.default;
  if (d === undefined) return null;
  const size = featureSize(spec.shape);
  const flat: unknown[] = Array.isArray(d) ? (d as unknown[]).flat(Infinity) : new Array(size).fill(d);
  if (spec.dtype === 'int64') return BigInt64Array.from(flat, (x) => toInt64(x)!);
  if (spec.dtype === 'string' || spec.dtype === 'bytes') return flat.map((x) => String(x));
  return spec.dtype === 'int32' ? Int32Array.from(flat as number[]) : Float32Array.from(flat as number[]);
}

const pointer = (name: string) => name.replace(/~/g, '~0').replace(/\//g, '~1');

/**
 * Problems of a feature spec itself, one line each with its JSON path: a `default` whose
 * element count does not fit the shape or whose values do not fit the dtype, `columns` whose
 * count does not fit the shape.
 *
 * @example
 * checkFeatureSpecs({ x: { dtype: 'float32', shape: [3], default: [0, 0] } }, '/decode/features')
 * // ['/decode/features/x/default: expected 3 values (shape [3]) or one scalar, got 2']
 */
export function checkFeatureSpecs(specs: FeatureSpecMap, path: string): string[] {
  const problems: string[] = [];
  for (const [name, spec] of Object.entries(specs)) {
    const at = `${path}/${pointer(name)}`;
    if (!spec.shape.every((d) => Number.isInteger(d) && d >= 0)) {
      problems.push(`${at}/shape: expected integers >= 0, got ${shown(spec.shape)}`);
      continue;
    }
    const size = featureSize(spec.shape);
    const shapeText = showShape(spec.shape);
    if (spec.columns !== undefined && spec.columns.length !== size) {
      problems.push(`${at}/columns: expected ${size} column name${size === 1 ? '' : 's'} (shape ${shapeText}), got ${spec.columns.length}`);
    }
    if (spec.default === undefined) continue;
    const flat: unknown[] = Array.isArray(spec.default) ? (spec.default as unknown[]).flat(Infinity) : [spec.default];
    if (Array.isArray(spec.default) && flat.length !== size) {
      problems.push(`${at}/default: expected ${values(size)} (shape ${shapeText}) or one scalar, got ${flat.length}`);
      continue;
    }
    const bad = flat.find((x) => !fitsDtype(x, spec.dtype));
    if (bad !== undefined) problems.push(`${at}/default: expected ${dtypeWords[spec.dtype]}, got ${shown(bad)}`);
  }
  return problems;
}

const dtypeWords: Record<FeatureSpec['dtype'], string> = {
  float32: 'finite numbers (float32)',
  int32: `integers from ${I32_MIN} to ${I32_MAX} (int32)`,
  int64: 'integers (int64; beyond 2^53 as decimal strings)',
  string: 'strings',
  bytes: 'base64 strings (bytes)',
};

const I64_MIN = -(2n ** 63n);
const I64_MAX = 2n ** 63n - 1n;

/**
 * An int64 given as a safe integer or as decimal text (exact beyond 2^53), or null when it is
 * neither or out of range.
 *
 * @example
 * toInt64('17031080100') // 17031080100n
 */
export function toInt64(x: unknown): bigint | null {
  let v: bigint;
  if (typeof x === 'number' && Number.isSafeInteger(x)) v = BigInt(x);
  else if (typeof x === 'bigint') v = x;
  else if (typeof x === 'string' && /^-?\d{1,19}$/.test(x)) v = BigInt(x);
  else return null;
  return v >= I64_MIN && v <= I64_MAX ? v : null;
}

function fitsDtype(x: unknown, dtype: FeatureSpec['dtype']): boolean {
  if (dtype === 'string') return typeof x === 'string' || typeof x === 'number' || typeof x === 'bigint';
  if (dtype === 'bytes') return typeof x === 'string' && /^[A-Za-z0-9+/]*={0,2}$/.test(x);
  if (dtype === 'int64') return toInt64(x) !== null;
  if (typeof x !== 'number' || !Number.isFinite(x)) return false;
  if (dtype === 'int32') return Number.isInteger(x) && x >= I32_MIN && x <= I32_MAX;
  return Math.abs(x) <= F32_MAX;
}

/**
 * JSON Schema of `features` for a decoder's options; `columns` only where the decoder reads
 * CSV cells.
 *
 * @example
 * properties: { features: featuresSchema({ columns: true }) }
 */
export function featuresSchema(options: { columns: boolean; tfExample?: boolean }): Record<string, unknown> {
  const spec: Record<string, unknown> = {
    type: 'object',
    properties: {
      dtype: options.tfExample
        ? {
            type: 'string',
            enum: ['float32', 'int32', 'int64', 'string', 'bytes'],
            description:
              'float32 (from a float_list or an int64_list), int32 (from an int64_list; values outside int32 are a Failure), int64 (an int64_list, exact), string (a bytes_list as UTF-8 text) or bytes (a bytes_list as base64 strings).',
          }
        : { type: 'string', enum: ['float32', 'int32', 'string'], description: 'The element type of the tensor fed to the model.' },
      shape: {
        type: 'array',
        items: { type: 'integer', minimum: 0 },
        description: 'The per-instance shape, without the batch dimension; [] is a scalar. A value must hold exactly the product of its dims of elements.',
      },
      default: {
        type: ['number', 'string', 'array'],
        description: 'The value of a record that lacks the feature: a scalar (broadcast to the shape) or a full-length array. Without it, a missing feature is a Failure.',
      },
      ...(options.columns
        ? {
            columns: {
              type: 'array',
              items: { type: 'string' },
              minItems: 1,
              description: 'The CSV columns holding the elements of the feature, in row-major order (instead of one cell holding a JSON array).',
            },
          }
        : {}),
    },
    required: ['dtype', 'shape'],
    additionalProperties: false,
  };
  return {
    type: 'object',
    minProperties: 1,
    additionalProperties: spec,
    description: 'The features to decode, by name: each maps to a model input of that name (or to the single input of a single-input model).',
  };
}
