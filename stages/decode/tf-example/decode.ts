/**
 * tf.train.Features → typed feature values (by a FeatureSpecMap) and → plain fields for keys and
 * forwarding. Shared by `decode/tf-example` and `decode/tf-sequence-example` (its context).
 */
import { RecordError, SluiceError, checkFeatureSpecs, featureDefault, featureSize, showShape, type FeatureSpec, type FeatureSpecMap, type FeatureValue } from '../../../src/sdk.js';
import type { TfFeature } from './proto.js';

type Int64 = { low: number; high: number; toNumber(): number; toString(): string } | number;
type Kind = 'float_list' | 'int64_list' | 'bytes_list';

/** The list kinds each dtype reads, in TF's FixedLenFeature spirit plus two lossless-enough casts. */
const ACCEPTS: Record<FeatureSpec['dtype'], Kind[]> = {
  float32: ['float_list', 'int64_list'],
  int32: ['int64_list'],
  int64: ['int64_list'],
  string: ['bytes_list'],
  bytes: ['bytes_list'],
};

function kindOf(f: TfFeature | undefined): Kind | null {
  if (!f) return null;
  return f.float_list ? 'float_list' : f.int64_list ? 'int64_list' : f.bytes_list ? 'bytes_list' : null;
}

function listOf(f: TfFeature | undefined): ArrayLike<unknown> {
  return (f?.float_list ?? f?.int64_list ?? f?.bytes_list)?.value ?? [];
}

const TWO32 = 2 ** 32;

/** An int64 as a JS number when exact (|v| ≤ 2^53 − 1), else as its decimal text. */
export function int64Json(v: Int64): number | string {
  if (typeof v === 'number') return v;
  const n = v.high * TWO32 + (v.low >>> 0);
  return Number.isSafeInteger(n) ? n : v.toString();
}

function int64Big(v: Int64): bigint {
  if (typeof v === 'number') return BigInt(v);
  return (BigInt(v.high) << 32n) + BigInt(v.low >>> 0);
}

/** The shortest decimal that reads back as the same float32: `0.1`, not `0.10000000149011612`. */
export function float32Json(x: number): number {
  if (!Number.isFinite(x) || Number.isInteger(x)) return x;
  for (let p = 1; p < 9; p++) {
    const y = +x.toPrecision(p);
    if (Math.fround(y) === x) return y;
  }
  return x;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Bytes as UTF-8 text when they are valid UTF-8, else as base64 (for forwarding). */
export function bytesJson(b: Uint8Array): string {
  try {
    return utf8.decode(b);
  } catch {
    return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64');
  }
}

/**
 * One feature as a list of JSON values (CONTRACT: int64 beyond 2^53 as strings; `[]` for an
 * empty feature; bytes as UTF-8 text when valid, else base64; floats as their shortest float32 text).
 *
 * @example
 * featureJson({ int64_list: { value: [Long.fromString('9007199254740993')] } }) // ['9007199254740993']
 */
export function featureJson(f: TfFeature | undefined): (number | string)[] {
  if (f?.float_list) return Array.from(f.float_list.value, float32Json);
  if (f?.int64_list) return f.int64_list.value.map((v) => int64Json(v as Int64));
  if (f?.bytes_list) return f.bytes_list.value.map(bytesJson);
  return [];
}

/**
 * The fields of a record, converted only when read: forwarding two features of an image must not
 * pay for turning its 784 floats into JSON. Properties are own, enumerable and cached.
 *
 * @example
 * lazyFields(example.features.feature, featureJson).image_class // [3]
 */
export function lazyFields<T>(map: Record<string, T> | undefined, convert: (v: T) => unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (!map) return out;
  for (const name of Object.keys(map)) {
    let cached: unknown;
    let done = false;
    Object.defineProperty(out, name, {
      enumerable: true,
      configurable: true,
      get() {
        if (!done) {
          cached = convert(map[name]!);
          done = true;
        }
        return cached;
      },
    });
  }
  return out;
}

const article = (k: string) => (k.startsWith('int') ? 'an' : 'a');

interface Compiled {
  name: string;
  spec: FeatureSpec;
  size: number;
  shapeText: string;
}

function fill(c: Compiled, kind: Kind, list: ArrayLike<unknown>): FeatureValue {
  const n = list.length;
  const { dtype } = c.spec;
  if (dtype === 'string') return Array.from(list as ArrayLike<Uint8Array>).map((b) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('utf8'));
  if (dtype === 'bytes') return Array.from(list as ArrayLike<Uint8Array>).map((b) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64'));
  if (dtype === 'int64') {
    const out = new BigInt64Array(n);
    for (let i = 0; i < n; i++) out[i] = int64Big(list[i] as Int64);
    return out;
  }
  if (dtype === 'int32') {
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const v = list[i] as Int64;
      // A Long fits int32 exactly when its high word is the sign extension of its low word.
      const fits = typeof v === 'number' ? v === (v | 0) : v.high === v.low >> 31;
      if (!fits) {
        throw new RecordError('out-of-range', `feature "${c.name}": expected an int32 (-2147483648 to 2147483647)${n > 1 ? ` at element ${i}` : ''}, got ${int64Json(v)}`);
      }
      out[i] = typeof v === 'number' ? v : v.low;
    }
    return out;
  }
  if (kind === 'float_list') {
    // The decoder made this Float32Array for this record alone: it is handed on without a copy.
    const floats = list as Float32Array;
    for (let i = 0; i < n; i++) {
      const x = floats[i]!;
      if (x - x !== 0) throw new RecordError('not-finite', `feature "${c.name}": expected a finite number${n > 1 ? ` at element ${i}` : ''}, got ${x}`);
    }
    return floats;
  }
  const out = new Float32Array(n);
  {
    for (let i = 0; i < n; i++) {
      const v = list[i] as Int64;
      out[i] = typeof v === 'number' ? v : v.toNumber();
    }
  }
  return out;
}

/**
 * Compiles a feature spec into a decoder of a tf.train.Features map (`features.feature`):
 * throws `CONFIG_INVALID` for a wrong spec; per record, a RecordError with code
 * `missing-feature` (absent or empty, no default), `wrong-type` (a list kind the dtype does not
 * read), `shape`, `not-finite` or `out-of-range` (an int64 that does not fit int32).
 *
 * @example
 * const decode = compileTfFeatures({ image_class: { dtype: 'int32', shape: [1] } });
 * decode(example.features.feature) // { image_class: Int32Array [5] }
 */
export function compileTfFeatures(specs: FeatureSpecMap, path = '/decode/features'): (map: Record<string, TfFeature> | undefined) => Record<string, FeatureValue> {
  const problems = checkFeatureSpecs(specs, path);
  if (problems.length) throw new SluiceError('CONFIG_INVALID', problems);
  const compiled: Compiled[] = Object.entries(specs).map(([name, spec]) => ({ name, spec, size: featureSize(spec.shape), shapeText: showShape(spec.shape) }));
  return (map) => {
    const out: Record<string, FeatureValue> = {};
    for (const c of compiled) {
      const f = map && Object.hasOwn(map, c.name) ? map[c.name] : undefined;
      const kind = kindOf(f);
      const list = listOf(f);
      if (list.length === 0) {
        const d = featureDefault(c.spec);
        if (d === null) {
          const found = f === undefined ? 'not in the record' : kind === null ? 'present but holds no list' : `an empty ${kind}`;
          throw new RecordError('missing-feature', `feature "${c.name}": missing (${found}) and the feature has no default`);
        }
        out[c.name] = d;
        continue;
      }
      const accepted = ACCEPTS[c.spec.dtype];
      if (!accepted.includes(kind!)) {
        throw new RecordError('wrong-type', `feature "${c.name}": expected ${accepted.map((k) => `${article(k)} ${k}`).join(' or ')} (dtype ${c.spec.dtype}), got ${article(kind!)} ${kind}`);
      }
      if (list.length !== c.size) {
        throw new RecordError('shape', `feature "${c.name}": expected ${c.size} value${c.size === 1 ? '' : 's'} (shape ${c.shapeText}), got ${list.length}`);
      }
      out[c.name] = fill(c, kind!, list);
    }
    return out;
  };
}
