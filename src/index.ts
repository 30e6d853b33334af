/**
 * Sluice as a library: `import { pipeline, source, decode, key, model, post, sink, run } from 'sluice'`.
 *
 * - Compose: `pipeline(source…).pipe(decode…).pipe(key…).pipe(model…).pipe(post…).to(sink…)`
 *   (typed: a wrong order does not compile), then `run(p)`; or `run('pipeline.json')`.
 * - Extend: `defineStage` for a user stage of any kind (named in a config by its module path),
 *   `PredictionSpec` + `defineSpec` for a model spec, `mapRecords`/`RecordError` for per-record code,
 *   `wrapStorage`/`wrapPredict` in a preload module (`execution.preload`) for every thread.
 * - Predict online with the same pipeline: `predict(p, records)` (rows in input order, Failures
 *   in place), or serve it over HTTP with `startServer` (`sluice serve`).
 */
export { pipeline, plugin, spec, stageFactory, Chain } from './api/builder.js';
export type { Step, StepOf, PipelineDefinition, PipelineOptions, StageOptions, OptionsOf, SpecSteps } from './api/builder.js';
export { source, decode, key, model, post, sink } from './api/stages.js';
export { run, validate, loadPipeline } from './api/run.js';
export type { PipelineInput, LibraryRunOptions } from './api/run.js';
export { PredictionSpec, defineSpec } from './api/spec.js';
export type { SpecContext, SpecModelOptions, SpecMetric } from './api/spec.js';
export type { UserAggregation } from '../stages/sink/aggregate/user-aggregation.js';
export { defineStage } from './core/stage.js';
export type {
  StageDefinition,
  SourceDefinition,
  TransformDefinition,
  SinkDefinition,
  StageContext,
  PartitionContext,
  SourceInstance,
  TransformInstance,
  SinkInstance,
  RowWriter,
  Row,
  Chunk,
  ChunkStream,
  FeatureSpec,
  FeatureSpecMap,
} from './core/stage.js';
export type { RawRecord, Instance, KeyedInstance, Prediction, Failure, Json, Key, Origin, Partition, RecordTypeName, StageKind, Counts } from './core/types.js';
export { mapRecords, mapAsync } from './core/stream.js';
// For a preload module (`execution.preload`): wrappers installed in every thread of a run.
export { wrapStorage, wrapPredict } from './core/hooks.js';
export type { StorageWrapper, PredictWrapper, PredictCall, PredictInfo } from './core/hooks.js';
export type { Storage, FileInfo } from './core/storage.js';
export { RecordError, isFailure, toFailure } from './core/failure.js';
export { createRowWriter } from './core/row-writer.js';
export { SluiceError } from './core/errors.js';
export type { RawConfig, LoadedConfig } from './config/load.js';
export type { PipelineConfig, StageConfig } from './config/validate.js';
export type { RunSummary } from './runtime/run.js';
export type { ProgressReporter, ProgressState, ProgressStart } from './runtime/progress.js';
export { createProgress, type RunProgress, type FailureTally } from './cli/progress.js';
export { listenFailures, type FailureMessage, type FailureSample } from './runtime/progress-channel.js';
export type { MapFunction, MapContext } from '../stages/post/map/index.js';
export { predict, closePredictors } from './predict/predict.js';
export { createPredictor, type Predictor, type PredictorOptions } from './predict/predictor.js';
export type { PipelineInput as PredictInput, PipelineOptions as PredictOptions } from './predict/pipeline.js';
export { isErrorRow, type OutputRow, type PredictionRow, type ErrorRow } from './predict/rows.js';
export { startServer, type SluiceServer, type ServerOptions } from './serve/server.js';
export type { ServeSettings } from './serve/settings.js';
