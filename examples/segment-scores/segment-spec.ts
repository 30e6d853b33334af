/**
 * A prediction spec that owns its metrics: it scores Iris flowers (the quickstart's model) and,
 * in the same partitions, computes the accuracy against the forwarded `species` and a histogram
 * of scores per `segment` — both its own aggregations, exact (integer counts) so the result is
 * the same however the run is partitioned — and the built-in multiclass evaluation per segment
 * (`evaluation`, the metrics sink's figures). The histogram's bin edges are set up in `init` and
 * read by the aggregation through `this`.
 */
import { PredictionSpec, defineSpec, type FeatureSpecMap, type Json, type Row, type SpecMetric } from '../../src/index.js';

interface Scored {
  class: string;
  score: number;
}

/** Adds count tables (objects of integers, nested one level) of `b` into a copy of `a`. */
function addCounts(a: Record<string, number[]>, b: Record<string, number[]>): Record<string, number[]> {
  const out: Record<string, number[]> = Object.fromEntries(Object.entries(a).map(([k, v]) => [k, [...v]]));
  for (const [k, v] of Object.entries(b)) out[k] = out[k] ? out[k]!.map((n, i) => n + v[i]!) : [...v];
  return out;
}

export class SegmentSpec extends PredictionSpec {
  readonly labels = ['setosa', 'versicolor', 'virginica'] as const;
  readonly model = '../quickstart/model/model.json';
  readonly features: FeatureSpecMap = { measurements: { dtype: 'float32', shape: [4] } };
  /** Upper edges of the score bins; set in init (it could as well be read from a file). */
  edges: number[] = [];

  override init(): void {
    this.edges = [0.5, 0.6, 0.7, 0.8, 0.9, 1];
  }

  decode(record: Record<string, unknown>): Record<string, unknown> {
    return { measurements: record.measurements };
  }

  override postprocess(outputs: Json): Json {
    const scores = outputs as number[];
    const best = scores.indexOf(Math.max(...scores));
    return { class: this.labels[best]!, score: scores[best]! };
  }

  output(prediction: Json): Json {
    const { class: label, score } = prediction as unknown as Scored;
    return { class: label, score: Math.round(score * 1e4) / 1e4 };
  }

  /** The bin of a score: the first edge it does not exceed. */
  private bin(score: number): number {
    const i = this.edges.findIndex((edge) => score <= edge);
    return i < 0 ? this.edges.length - 1 : i;
  }

  override readonly metrics: Record<string, SpecMetric> = {
    /** The built-in evaluation (the metrics sink's options without uri), per segment too. */
    evaluation: { builtin: { task: 'multiclass', label: 'species', metrics: ['accuracy', 'confusionMatrix'], slices: [['segment']] } },
    /** Correct and total counts: exact, so merging in any order gives the same accuracy. */
    accuracy: {
      init: () => ({ correct: 0, total: 0 }),
      update: (s: { correct: number; total: number }, rows: Row[]) => {
        for (const row of rows) {
          s.total += 1;
          if ((row.prediction as unknown as Scored).class === row.species) s.correct += 1;
        }
      },
      merge: (a, b) => ({ correct: a.correct + b.correct, total: a.total + b.total }),
      result: (s) => ({ ...s, accuracy: s.total ? s.correct / s.total : null }),
    },
    /** Per segment, the count of scores in each bin (bins from init's edges). */
    scoreHistogram: {
      init: () => ({}),
      update: (s: Record<string, number[]>, rows: Row[]) => {
        for (const row of rows) {
          const counts = (s[String(row.segment)] ??= this.edges.map(() => 0));
          counts[this.bin((row.prediction as unknown as Scored).score)]! += 1;
        }
      },
      merge: addCounts,
      result: (s: Record<string, number[]>) => ({
        edges: this.edges,
        segments: Object.fromEntries(Object.entries(s).sort(([a], [b]) => (a < b ? -1 : 1))),
      }),
    },
  };
}

export default defineSpec(SegmentSpec);
