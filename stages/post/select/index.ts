import { defineStage, mapRecords, RecordError, type Json, type Prediction } from '../../../src/sdk.js';
import { selectMeta, type SelectOptions } from './schema.js';

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
  ...selectMeta,
  examples: [{ outputs: ['probabilities'] }],
  async check(options, ctx) {
    const outputs = await ctx.outputs?.();
    if (!outputs) return [];
    const names = outputs.map((o) => `"${o.name}"`).join(', ');
    if (outputs.length === 1) return [`${ctx.path}/outputs: the model has one output (${names}): its predictions have no named outputs to select; remove this step`];
    return options.outputs
      .map((name, i) => (outputs.some((o) => o.name === name) ? null : `${ctx.path}/outputs/${i}: the model has no output "${name}" (its outputs: ${names})`))
      .filter((p): p is string => p !== null);
  },
  outputs: (options, _ctx, upstream) => upstream && options.outputs.map((name) => upstream.find((o) => o.name === name) ?? { name, classes: null }),
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
