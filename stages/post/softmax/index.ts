import { defineStage, mapRecords, mapLastAxis, type Json, type Prediction } from '../../../src/sdk.js';
import { softmaxMeta, type SoftmaxOptions } from './schema.js';

/**
 * Softmax of one vector, numerically stable: the maximum is subtracted before `exp`, so large
 * logits do not overflow. +Infinity logits share all the mass; a NaN makes the vector NaN.
 *
 * @example
 * softmaxVector([1000, 1000]) // [0.5, 0.5]
 */
export function softmaxVector(v: readonly number[]): number[] {
  let max = -Infinity;
  for (const x of v) if (x > max || Number.isNaN(x)) max = x;
  if (max === Infinity) {
    // exp(inf - inf) is NaN: the infinite logits win outright and split the mass evenly.
    const n = v.filter((x) => x === Infinity).length;
    return v.map((x) => (x === Infinity ? 1 / n : 0));
  }
  const out = new Array<number>(v.length);
  let sum = 0;
  for (let i = 0; i < v.length; i++) sum += out[i] = Math.exp(v[i]! - max);
  for (let i = 0; i < v.length; i++) out[i] = out[i]! / sum;
  return out;
}

/** Softmax along the last axis of a JSON value, keeping its shape (a scalar stays a scalar). */
function softmaxValue(value: Json): Json {
  if (typeof value === 'number') return softmaxVector([value])[0]!;
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    // Per output, so that a scalar output of a multi-output model stays a scalar too.
    const out: { [k: string]: Json } = {};
    for (const [k, v] of Object.entries(value)) out[k] = softmaxValue(v);
    return out;
  }
  return mapLastAxis(value, softmaxVector);
}

/**
 * `post/softmax`: normalises each vector on the last axis into probabilities; same shape.
 *
 * @example
 * { "type": "softmax" }
 * // [[1, 1], [0, 0]] → [[0.5, 0.5], [0.5, 0.5]]
 */
export default defineStage<SoftmaxOptions>()({
  ...softmaxMeta,
  examples: [{}],
  // Same outputs, same classes.
  outputs: (_options, _ctx, upstream) => upstream,
  create() {
    return {
      transform: mapRecords<Prediction, Prediction>('post', (p) => ({ ...p, prediction: softmaxValue(p.prediction) })),
    };
  },
});
