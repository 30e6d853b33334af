import { defineStage, mapRecords, mapLastAxis, checkLabels, classOf, describeLabels, loadLabels, type Json, type Prediction } from '../../../src/sdk.js';
import { topkMeta, type TopkOptions } from './schema.js';

/**
 * True when score `a` (at index `i`) ranks before score `b` (at index `j`): higher first, ties
 * by lower index, NaN after every number (a NaN is no evidence for a class).
 */
function ranksBefore(a: number, i: number, b: number, j: number): boolean {
  if (a === b) return i < j;
  if (Number.isNaN(a)) return Number.isNaN(b) && i < j;
  if (Number.isNaN(b)) return true;
  return a > b;
}

/**
 * Indices of the `k` highest scores of `v`, best first (ties: lower index first). Small k (the
 * usual top-5 of a 1000-class output) keeps a sorted buffer of k, O(n·k) with few moves; a
 * large k sorts all indices instead, O(n log n).
 *
 * @example
 * topIndices([0.1, 0.7, 0.2], 2) // [1, 2]
 */
export function topIndices(v: readonly number[], k: number): number[] {
  const n = Math.min(k, v.length);
  if (n > 32) {
    const all = Array.from(v.keys()).sort((i, j) => (ranksBefore(v[i]!, i, v[j]!, j) ? -1 : 1));
    return all.slice(0, n);
  }
  const top: number[] = [];
  for (let i = 0; i < v.length; i++) {
    if (top.length === n && !ranksBefore(v[i]!, i, v[top[n - 1]!]!, top[n - 1]!)) continue;
    let at = top.length === n ? n - 1 : top.length;
    // Shift worse entries down; equal scores stay ahead because their index is lower.
    while (at > 0 && ranksBefore(v[i]!, i, v[top[at - 1]!]!, top[at - 1]!)) {
      top[at] = top[at - 1]!;
      at--;
    }
    top[at] = i;
  }
  return top;
}

/**
 * `post/topk`: the `k` best classes of each vector on the last axis, as
 * `{"classes": [...], "scores": [...]}`, highest first; per output for a multi-output model.
 *
 * @example
 * { "type": "topk", "k": 3, "labels": "labels.txt" }
 * // [0.1, 0.7, 0.2] → {"classes": ["dog", "bird", "cat"], "scores": [0.7, 0.2, 0.1]}
 */
export default defineStage<TopkOptions>()({
  ...topkMeta,
  examples: [{ k: 5 }, { k: 3, labels: ['setosa', 'versicolor', 'virginica'] }],
  check: (options, ctx) => checkLabels(options.labels, ctx),
  describe: (options, ctx) => describeLabels(options.labels, ctx),
  async create(options, ctx) {
    const labels = await loadLabels(options.labels, ctx);
    const topk = (v: number[]): Json => {
      const indices = topIndices(v, options.k);
      return { classes: indices.map((i) => classOf(labels, i)), scores: indices.map((i) => v[i]!) };
    };
    return {
      transform: mapRecords<Prediction, Prediction>('post', (p) => ({ ...p, prediction: mapLastAxis(p.prediction, topk) })),
    };
  },
});
