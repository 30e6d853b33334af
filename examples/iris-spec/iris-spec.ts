/**
 * A prediction spec for the quickstart's Iris classifier: one class owns the model, the decode
 * function, the post-processing and the output row, and shares the label vocabulary between
 * them as a member, with no module globals.
 *
 * A config names the compiled module in three slots (decode, model, post); the programmatic
 * pipeline in program.ts uses it through `spec(url)`.
 */
import { PredictionSpec, defineSpec, type FeatureSpecMap, type Json } from '../../src/index.js';

export class IrisSpec extends PredictionSpec {
  /** The label vocabulary, shared by postprocess and output. */
  readonly labels = ['setosa', 'versicolor', 'virginica'] as const;
  /** Relative to the pipeline's directory (examples/iris-spec/). */
  readonly model = '../quickstart/model/model.json';
  readonly features: FeatureSpecMap = { measurements: { dtype: 'float32', shape: [4] } };
  /** Digits kept in the score. */
  readonly digits = 4;

  /** The record's four measurements, as they are: no augmentation at prediction time. */
  decode(record: Record<string, unknown>, _training: false): Record<string, unknown> {
    return { measurements: record.measurements };
  }

  /** Softmax scores → the best label and its score. */
  override postprocess(outputs: Json): Json {
    const scores = outputs as number[];
    let best = 0;
    for (let i = 1; i < scores.length; i++) if (scores[i]! > scores[best]!) best = i;
    const label = this.labels[best];
    if (label === undefined) throw new Error(`class ${best} is not in the vocabulary of ${this.labels.length} labels`);
    return { class: label, score: scores[best]! };
  }

  /** The output row's prediction: the label and the score rounded to `digits`. */
  output(prediction: Json): Json {
    const { class: label, score } = prediction as { class: string; score: number };
    const scale = 10 ** this.digits;
    return { class: label, score: Math.round(score * scale) / scale };
  }
}

export default defineSpec(IrisSpec);
