import { defineStage, createRowWriter, stringifyExact, type Row, type Json } from '../../../src/sdk.js';
import { frameRecord } from '../../../src/core/tfrecord.js';
import { ExampleType } from '../../decode/tf-example/proto.js';
import { tfrecordSinkMeta, type TfrecordSinkOptions } from './schema.js';

/** A tensorflow.Feature to encode: exactly one list. */
type OutFeature = { bytes_list: { value: Uint8Array[] } } | { float_list: { value: number[] } } | { int64_list: { value: (number | string)[] } };

const INT_TEXT = /^-?\d{1,19}$/;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

function flatten(v: Json, out: Json[]): Json[] {
  if (Array.isArray(v)) for (const x of v) flatten(x, out);
  else out.push(v);
  return out;
}

const bytes = (values: Json[]): OutFeature => ({
  bytes_list: { value: values.map((x) => Buffer.from(typeof x === 'string' ? x : x === null ? '' : stringifyExact(x), 'utf8')) },
});
const num = (x: Json): number => (typeof x === 'boolean' || typeof x === 'bigint' ? Number(x) : (x as number));

/**
 * A forwarded or error-row field as a tf.Feature, by its natural type (arrays flattened):
 * integers (and booleans) → int64_list, also with decimal strings among them (the exact text of
 * an int64 beyond 2^53) or integers kept exact beyond 2^53 (bigint, in int64's range); other numbers → float_list; anything with text → bytes_list (UTF-8);
 * an object → bytes_list of its JSON; `[]` → an empty float_list; null → no feature.
 *
 * @example
 * naturalFeature([1, 2]) // { int64_list: { value: [1, 2] } }
 */
export function naturalFeature(value: Json): OutFeature | null {
  if (value === null) return null;
  if (typeof value === 'object' && !Array.isArray(value)) return bytes([value]);
  const leaves = flatten(value, []);
  if (leaves.length === 0) return { float_list: { value: [] } };
  let numbers = 0;
  let ints = 0;
  let intTexts = 0;
  for (const x of leaves) {
    if (typeof x === 'number' || typeof x === 'boolean') {
      numbers++;
      if (Number.isSafeInteger(num(x))) ints++;
    } else if ((typeof x === 'string' && INT_TEXT.test(x)) || (typeof x === 'bigint' && x >= INT64_MIN && x <= INT64_MAX)) intTexts++;
  }
  if (numbers > 0 && ints === numbers && numbers + intTexts === leaves.length) {
    return { int64_list: { value: leaves.map((x) => (typeof x === 'string' ? x : typeof x === 'bigint' ? String(x) : num(x))) } };
  }
  // An integer beyond 2^53 kept exact (core/exact-json.ts): int64, by its decimal text.
  if (intTexts === leaves.length && leaves.some((x) => typeof x === 'bigint')) return { int64_list: { value: leaves.map(String) } };
  if (numbers === leaves.length) return { float_list: { value: leaves.map(num) } };
  return bytes(leaves);
}

/** A prediction (or one output of it) as a float_list, flattened; text (labels) as a bytes_list. */
function predictionFeature(value: Json): OutFeature | null {
  if (value === null) return null;
  const leaves = flatten(value, []);
  if (leaves.every((x) => typeof x === 'number' || typeof x === 'boolean')) return { float_list: { value: leaves.map(num) } };
  return bytes(leaves);
}

/**
 * One output row as a serialized tf.train.Example: `key` (bytes_list), the other fields by
 * `naturalFeature`, and `prediction` as a float_list (flattened), or for an object prediction
 * (several outputs, or a post step's `{classes, scores}`) one feature `prediction/<name>` each.
 *
 * @example
 * rowExample({ key: 'a', prediction: [0.1, 0.9] }) // bytes of Example{key: bytes ["a"], prediction: floats [0.1, 0.9]}
 */
export function rowExample(row: Row): Uint8Array {
  const feature: Record<string, OutFeature> = {};
  for (const [name, value] of Object.entries(row)) {
    let f: OutFeature | null;
    if (name === 'key') f = value === null ? null : bytes([String(value)]);
    else if (name === 'prediction' && value !== null && typeof value === 'object' && !Array.isArray(value)) {
      for (const [output, v] of Object.entries(value)) {
        const pf = predictionFeature(v);
        if (pf) feature[`prediction/${output}`] = pf;
      }
      continue;
    } else if (name === 'prediction') f = predictionFeature(value);
    else f = naturalFeature(value);
    if (f) feature[name] = f;
  }
  return ExampleType.encode({ features: { feature } }).finish();
}

/**
 * The rows of a batch as TFRecord bytes: each a framed tf.Example with its masked CRCs.
 *
 * @example
 * tfrecordBytes([{ key: 'a', prediction: [1] }]) // Buffer: length | crc | Example | crc
 */
export function tfrecordBytes(rows: readonly Row[]): Buffer {
  return Buffer.concat(rows.map((row) => frameRecord(rowExample(row))));
}

/**
 * `sink/tfrecord`: one tf.train.Example per row in TFRecord files, one per partition
 * (optionally gzip). Readable by TensorFlow's `tf.data.TFRecordDataset` and by `source/tfrecord`.
 *
 * @example
 * { "type": "tfrecord", "uri": "out/predictions", "compression": "gzip" }
 * // out/predictions/part-00000-of-00004.tfrecord.gz
 */
export default defineStage<TfrecordSinkOptions>()({
  ...tfrecordSinkMeta,
  examples: [{ uri: 'out/predictions', compression: 'none' }, { uri: 'out/predictions', compression: 'gzip' }],
  outputDir: (options, ctx) => ctx.resolve(options.uri),
  create(options, ctx) {
    const dir = ctx.resolve(options.uri);
    const ext = options.compression === 'gzip' ? 'tfrecord.gz' : 'tfrecord';
    return {
      open: (part) => createRowWriter(part.createOutput(dir, ext), tfrecordBytes, { compression: options.compression }),
    };
  },
});
