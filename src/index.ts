/**
 * Sluice as a library. Online prediction with a pipeline — the same stages a batch run uses:
 *
 * @example
 * import { predict } from 'sluice';
 * const rows = await predict('pipeline.json', [{ id: 'a', measurements: [5.1, 3.5, 1.4, 0.2] }]);
 */
export { predict, closePredictors } from './predict/predict.js';
export { createPredictor, type Predictor, type PredictorOptions } from './predict/predictor.js';
export { loadPipeline, type PipelineInput, type PipelineOptions } from './predict/pipeline.js';
export { isErrorRow, type OutputRow, type PredictionRow, type ErrorRow } from './predict/rows.js';
export { startServer, type SluiceServer, type ServerOptions } from './serve/server.js';
export type { ServeSettings } from './serve/settings.js';
export type { PipelineConfig } from './config/validate.js';
