import { defineStage, mapRecords, RecordError, type Json, type Prediction } from '../../../src/sdk.js';
import { selectSchema, type SelectOptions } from './schema.js';

function kindOf(value: Json): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}

/**
 * `post/select`: keeps the named outputs of a multi-output prediction, as an object by name in
 * the order listed. A missing output, or a prediction without named outputs, is a Failure.
 *
 * @example
 * { "type": "select", "outputs": ["probs"] }
 * // {"probs": [0.1, 0.9], "embedding": [...]} → {"probs": [0.1, 0.9]}
 */
export default defineStage<SelectOptions>()({
  kind: 'post',
  type: 'select',
  summary: 'Keeps the named outputs of a multi-output model (an object by output name).',
  optionsSchema: selectSchema,
  accepts: 'Prediction',
  emits: 'Prediction',
  examples: [{ outputs: ['probabilities'] }],
  create(options) {
    const select = (prediction: Json): Json => {
      if (prediction === null || typeof prediction !== 'object' || Array.isArray(prediction)) {
        throw new RecordError(
          'select',
          `select: expected a prediction with named outputs (a multi-output model), got ${kindOf(prediction)}`,
        );
      }
      const out: { [k: string]: Json } = {};
      for (const name of options.outputs) {
        if (!Object.hasOwn(prediction, name)) {
          const available = Object.keys(prediction);
          throw new RecordError('select', `select: no output "${name}" in the prediction (available: ${available.join(', ') || 'none'})`);
        }
        out[name] = prediction[name]!;
      }
      return out;
    };
    return {
      transform: mapRecords<Prediction, Prediction>('post', (p) => ({ ...p, prediction: select(p.prediction) })),
    };
  },
});
