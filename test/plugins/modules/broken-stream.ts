// A user post stage for tests whose stream fails (not one record): the partition must fail
// with a message naming the stage, never crash the process.
import { defineStage, type Chunk, type Prediction, type TransformInstance } from '../../../src/index.js';

export default defineStage<Record<string, never>>()({
  kind: 'post',
  type: 'broken',
  summary: 'Its stream errors on the first chunk.',
  optionsSchema: { type: 'object', properties: {}, additionalProperties: false },
  accepts: 'Prediction',
  emits: 'Prediction',
  create(): TransformInstance<Prediction, Prediction> {
    return {
      transform: (input) =>
        input.map((): Chunk<Prediction> => {
          throw new Error('lost the connection to the feature store');
        }),
    };
  },
});
