import { defineStage, mapRecords, mapNumbers, type Json, type Prediction } from '../../../src/sdk.js';
import { roundMeta, type RoundOptions } from './schema.js';

/** `post/round`: rounds every number of the prediction to `digits` decimals; same shape. */
export default defineStage<RoundOptions>()({
  ...roundMeta,
  examples: [{ digits: 4 }],
  // Same outputs, same classes.
  outputs: (_options, _ctx, upstream) => upstream,
  create(options) {
    const scale = 10 ** options.digits;
    const round = (x: number): number => Math.round(x * scale) / scale;
    return {
      transform: mapRecords<Prediction, Prediction>('post', (p) => ({ ...p, prediction: mapNumbers(p.prediction, round) as Json })),
    };
  },
});
