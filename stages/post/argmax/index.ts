import { defineStage, mapRecords, mapLastAxis, RecordError, checkLabels, classOf, describeLabels, loadLabels, type Json, type Prediction } from '../../../src/sdk.js';
import { argmaxMeta, type ArgmaxOptions } from './schema.js';

/**
 * Index of the highest score of `v`: the first one on ties, NaN ranking below every number
 * (index 0 when all are NaN). Throws a record error for an empty vector, which has no class.
 *
 * @example
 * argmaxIndex([0.2, 0.7, 0.7]) // 1
 */
export function argmaxIndex(v: readonly number[]): number {
  if (v.length === 0) throw new RecordError('shape', 'argmax: expected a non-empty vector on the last axis, got []');
  let best = 0;
  for (let i = 1; i < v.length; i++) {
    const x = v[i]!;
    const b = v[best]!;
    if (x > b || (Number.isNaN(b) && !Number.isNaN(x))) best = i;
  }
  return best;
}

/**
 * `post/argmax`: the best class of each vector on the last axis, as `{"class", "score"}`;
 * per output for a multi-output model.
 *
 * @example
 * { "type": "argmax", "labels": ["cat", "dog"] }
 * // [0.3, 0.7] → {"class": "dog", "score": 0.7}
 */
export default defineStage<ArgmaxOptions>()({
  ...argmaxMeta,
  examples: [{}, { labels: ['negative', 'positive'] }],
  check: (options, ctx) => checkLabels(options.labels, ctx),
  describe: (options, ctx) => describeLabels(options.labels, ctx),
  async create(options, ctx) {
    const labels = await loadLabels(options.labels, ctx);
    const argmax = (v: number[]): Json => {
      const i = argmaxIndex(v);
      return { class: classOf(labels, i), score: v[i]! };
    };
    return {
      transform: mapRecords<Prediction, Prediction>('post', (p) => ({ ...p, prediction: mapLastAxis(p.prediction, argmax) })),
    };
  },
});
