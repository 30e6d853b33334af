/**
 * Records ↔ tensors: one input tensor per model input from a batch of records, and each output
 * tensor split back into one JSON value per record. Values are copied straight between typed
 * arrays (no per-element JS arrays on the way in).
 */
import type * as Tf from '@tensorflow/tfjs-core';
import { tfjsCore } from './tfjs-packages.js';
import type { FeatureValue, Json, KeyedInstance } from '../core/types.js';
import type { InputBinding } from './features.js';
import { showShape } from './signature.js';

// Loaded when this module is, as a static import did (see tfjs-packages.ts for why not `import`).
const tf = tfjsCore();

function valueKind(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value instanceof Float32Array) return 'float32 values';
  if (value instanceof Int32Array) return 'int32 values';
  if (Array.isArray(value)) return value.every((v) => typeof v === 'string') ? 'strings' : 'an array';
  return typeof value;
}

/**
 * Why `record` cannot go into a batch (a feature missing, or with the wrong number of elements
 * or kind of values for its input, or a uint8 input's value out of range), or null when it can. Decoders guarantee this; checking
 * here keeps one bad record (e.g. from a custom decoder) from failing a whole batch.
 *
 * @example
 * recordProblem(bindings, record) // 'feature "pixels": expected 4096 float32 values for model input "input_1:0", got 784'
 */
export function recordProblem(bindings: InputBinding[], record: KeyedInstance): string | null {
  for (const b of bindings) {
    const value = record.features?.[b.feature] as FeatureValue | undefined;
    const strings = b.input.dtype === 'string';
    const kindOk = value !== undefined && (strings ? Array.isArray(value) : !Array.isArray(value) || value.every((v) => typeof v === 'number'));
    if (!kindOk || value!.length !== b.size) {
      const want = `${b.size} ${strings ? 'strings' : `${b.spec.dtype} values`}`;
      const got = kindOk ? String(value!.length) : valueKind(value);
      return `feature "${b.feature}": expected ${want} for model input "${b.input.name}", got ${got}`;
    }
    if (b.input.dtype === 'uint8') {
      // A SavedModel's uint8 input (images): a value outside 0–255 would wrap silently.
      const values = value as ArrayLike<number>;
      for (let k = 0; k < values.length; k++) {
        const v = values[k]!;
        if (!(v >= 0 && v <= 255)) return `feature "${b.feature}": value ${v}${values.length > 1 ? ` at element ${k}` : ''} does not fit model input "${b.input.name}" of dtype uint8 (0 to 255)`;
      }
    }
  }
  return null;
}

/**
 * The input tensor for one binding: `rows` × instance shape, filled from the records in order
 * (rows past the records, padding for a fixed batch dimension, stay zero). The caller disposes it.
 *
 * @example
 * const t = inputTensor(binding, records, records.length); // e.g. float32 [B,64,64,1]
 */
export function inputTensor(binding: InputBinding, records: KeyedInstance[], rows: number): Tf.Tensor {
  const { size, input } = binding;
  const shape = [rows, ...binding.instanceShape];
  if (input.dtype === 'string') {
    const values: string[] = new Array(rows * size).fill('');
    records.forEach((r, i) => {
      const v = r.features[binding.feature] as string[];
      for (let k = 0; k < size; k++) values[i * size + k] = v[k]!;
    });
    return tf.tensor(values, shape, 'string');
  }
  const values = input.dtype === 'float32' ? new Float32Array(rows * size) : input.dtype === 'bool' ? new Uint8Array(rows * size) : new Int32Array(rows * size);
  for (let i = 0; i < records.length; i++) {
    values.set(records[i]!.features[binding.feature] as ArrayLike<number>, i * size);
  }
  return tf.tensor(values, shape, input.dtype as Tf.DataType);
}

/** One element as JSON: numbers stay numbers (bool outputs as 0/1), strings stay strings. */
function element(v: number | string | Uint8Array): Json {
  return typeof v === 'number' || typeof v === 'string' ? v : Buffer.from(v).toString('utf8');
}

/** The nested arrays of `dims` starting at `start` in row-major `values`. */
function nest(values: ArrayLike<number | string | Uint8Array>, start: number, dims: number[], strides: number[], d: number): Json {
  if (d === dims.length) return element(values[start]!);
  const n = dims[d]!;
  const out: Json[] = new Array(n);
  if (d === dims.length - 1) {
    for (let k = 0; k < n; k++) out[k] = element(values[start + k]!);
  } else {
    for (let k = 0; k < n; k++) out[k] = nest(values, start + k * strides[d]!, dims, strides, d + 1);
  }
  return out;
}

/**
 * Splits an output tensor's values into one JSON value per record, without the batch
 * dimension: shape [B] gives numbers, [B,1] gives `[x]`, [B,2,3] gives `[[…],[…]]`. Only the
 * first `count` rows are returned (the rest are padding).
 *
 * @example
 * splitRows(new Float32Array([1, 2, 3, 4]), [2, 2], 2, 'probs') // [[1, 2], [3, 4]]
 */
export function splitRows(values: ArrayLike<number | string | Uint8Array>, shape: number[], count: number, name: string): Json[] {
  if (shape.length === 0 || shape[0]! < count) {
    throw new Error(`model output "${name}" has shape ${showShape(shape)}; expected the batch dimension first, of at least ${count}`);
  }
  const dims = shape.slice(1);
  const strides = dims.map((_, d) => dims.slice(d + 1).reduce((a, b) => a * b, 1));
  const per = dims.reduce((a, b) => a * b, 1);
  const out: Json[] = new Array(count);
  for (let i = 0; i < count; i++) out[i] = nest(values, i * per, dims, strides, 0);
  return out;
}

/** One output of a batch as read from its tensor: row-major values and the tensor's shape. */
export interface OutputValues {
  values: ArrayLike<number | string | Uint8Array>;
  shape: number[];
}

/**
 * A batch's outputs as one JSON value per record (the first `count` rows; the rest are
 * padding): the output's own value for a one-output model, else an object by output name.
 *
 * @example
 * splitOutputs([{ values: Float32Array.of(0.7, 0.2), shape: [2, 1] }], 2, ['score']) // [[0.7], [0.2]]
 */
export function splitOutputs(outputs: OutputValues[], count: number, outputNames: string[]): Json[] {
  const split = outputs.map((o, k) => splitRows(o.values, o.shape, count, outputNames[k] ?? String(k)));
  if (split.length === 1) return split[0]!;
  return Array.from({ length: count }, (_, i) => Object.fromEntries(split.map((s, k) => [outputNames[k] ?? String(k), s[i]!])));
}

/** A model's `predict` from its `outputs`: the same batch, split per record (LoadedModel). */
export function predictFrom(outputs: (records: KeyedInstance[]) => Promise<OutputValues[]>, outputNames: string[]) {
  return async (records: KeyedInstance[]): Promise<Json[]> => splitOutputs(await outputs(records), records.length, outputNames);
}

/**
 * Runs one batch: builds the input tensors, calls `run` and reads every output once; every
 * tensor made here (inputs and outputs) is disposed, on failure too.
 *
 * @example
 * await runBatch(bindings, records, records.length, async (xs) => model.predict(xs) as tf.Tensor[])
 * // [{ values: Float32Array(256), shape: [256, 1] }, { values: Float32Array(256 × 6), shape: [256, 2, 3] }]
 */
export async function runBatch(
  bindings: InputBinding[],
  records: KeyedInstance[],
  rows: number,
  run: (inputs: Tf.Tensor[]) => Promise<Tf.Tensor[]>,
): Promise<OutputValues[]> {
  const inputs: Tf.Tensor[] = [];
  let outputs: Tf.Tensor[] = [];
  try {
    for (const b of bindings) inputs.push(inputTensor(b, records, rows));
    outputs = await run(inputs);
    const read: OutputValues[] = [];
    for (const t of outputs) read.push({ values: (await t.data()) as ArrayLike<number | string>, shape: t.shape });
    return read;
  } finally {
    // An output may be an input passed through (an identity graph); disposing twice is a no-op.
    for (const t of [...inputs, ...outputs]) t.dispose();
  }
}
