import { createHash } from 'node:crypto';
import { loadPipeline, type PipelineInput, type PipelineOptions } from './pipeline.js';
import { createPredictor, type Predictor } from './predictor.js';
import type { OutputRow } from './rows.js';

/** Predictors of `predict()`, by pipeline fingerprint: the model loads once per pipeline, on first use. */
const cache = new Map<string, Promise<Predictor>>();

/**
 * Predicts in-memory records with a pipeline — the same decode → key → model → post stages a
 * batch run uses — and resolves to one row per record, in input order: a prediction row
 * (`{key, <forwarded fields…>, prediction}`) or, for a record that failed, its error row
 * (`{key, source: "instances", index, offset, stage, error, raw}`), exactly as the jsonl sinks
 * would write them. A bad record never throws; a bad pipeline does (a SluiceError listing every
 * config problem). Records are what the decode stage expects: objects (parsed JSON records),
 * strings (a record's text, e.g. a JSONL line) or bytes (e.g. a serialized tf.Example).
 *
 * The model is loaded once per pipeline and kept for later calls (`closePredictors()` releases
 * them). It runs in the caller's thread: measured on the quickstart model, handing records to
 * worker threads costs more than it saves (see README); `createPredictor({ threads })` is there
 * for heavy models.
 *
 * @example
 * const rows = await predict('examples/quickstart/pipeline.json', [
 *   { id: 'a', measurements: [5.1, 3.5, 1.4, 0.2] },
 *   { id: 'b', measurements: [1, 2] },
 * ]);
 * // [{ key: 'a', species: null, prediction: { class: 'setosa', score: 0.9999 } },
 * //  { key: 'b', source: 'instances', index: 1, offset: null, stage: 'decode',
 * //    error: 'feature "measurements": expected 4 values (shape [4]), got 2', raw: '{"id":"b",…}' }]
 */
export async function predict(pipeline: PipelineInput, records: unknown[], options: PipelineOptions = {}): Promise<OutputRow[]> {
  if (!Array.isArray(records)) throw new TypeError(`predict: records must be an array, got ${records === null ? 'null' : typeof records}`);
  const loaded = loadPipeline(pipeline, options);
  const id = createHash('sha256').update(JSON.stringify(loaded)).digest('hex');
  let predictor = cache.get(id);
  if (!predictor) {
    predictor = createPredictor(loaded);
    cache.set(id, predictor);
    // A pipeline that failed to load is not kept: a later call tries again (after a fix on disk).
    predictor.catch(() => cache.delete(id));
  }
  return (await predictor).predict(records);
}

/** Releases every model `predict()` has loaded. */
export async function closePredictors(): Promise<void> {
  const all = [...cache.values()];
  cache.clear();
  await Promise.allSettled(all.map(async (p) => (await p).close()));
}
