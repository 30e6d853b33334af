import { defineStage, mapRecords, mapNumbers, type Prediction } from '../../../src/sdk.js';
import { thresholdMeta, type ThresholdOptions } from './schema.js';

/**
 * `post/threshold`: every element becomes 1 when >= `value`, else 0 (NaN too); same shape.
 *
 * @example
 * { "type": "threshold", "value": 0.5 }
 * // [0.2, 0.5, 0.9] → [0, 1, 1]
 */
export default defineStage<ThresholdOptions>()({
  ...thresholdMeta,
  examples: [{ value: 0.5 }],
  create(options) {
    const cut = (x: number): number => (x >= options.value ? 1 : 0);
    return {
      transform: mapRecords<Prediction, Prediction>('post', (p) => ({ ...p, prediction: mapNumbers(p.prediction, cut) })),
    };
  },
});
