/**
 * The stage SDK: the one module built-in stages (stages/**) and user plugins build stages with —
 * `defineStage` and the stage types, the record types, Failure constructors (`RecordError`,
 * `toFailure`), record and stream helpers (`mapRecords`, `mapAsync`), row writers, feature,
 * label and JSON-value helpers, partition planning helpers, the storage interface, the
 * kernel's errors, and the thread hooks a preload module installs (`wrapStorage`, `wrapPredict`).
 * Everything here comes from src/core/, the kernel, which imports nothing above it; a stage needs
 * no file deeper in src/ (the model family also uses src/model/).
 *
 * @example
 * import { defineStage, mapRecords, RecordError, type Prediction } from '../../../src/sdk.js';
 */
export * from './core/stage.js';
export * from './core/types.js';
export * from './core/failure.js';
export * from './core/stream.js';
export * from './core/row-writer.js';
export * from './core/errors.js';
export * from './core/features.js';
export * from './core/json-values.js';
export * from './core/exact-json.js';
export * from './core/labels.js';
export * from './core/partitioning.js';
export * from './core/worker-reset.js';
export * from './core/storage.js';
export * from './core/timeout.js';
export * from './core/tensors.js';
export * from './core/exact-sum.js';
export * from './core/isolate.js';
export * from './core/bisect.js';
export * from './core/user-module.js';
export * from './core/hooks.js';
