import type { StageDefinition } from '../src/sdk.js';
import jsonlSource from './source/jsonl/index.js';
import csvSource from './source/csv/index.js';
import tfrecordSource from './source/tfrecord/index.js';
import parquetSource from './source/parquet/index.js';
import filesSource from './source/files/index.js';
import fileListSource from './source/file-list/index.js';
import recordioSource from './source/recordio/index.js';
import jsonDecode from './decode/json/index.js';
import csvDecode from './decode/csv/index.js';
import tfExampleDecode from './decode/tf-example/index.js';
import tfSequenceExampleDecode from './decode/tf-sequence-example/index.js';
import imageDecode from './decode/image/index.js';
import fieldKey from './key/field/index.js';
import positionKey from './key/position/index.js';
import tfjsModel from './model/tfjs/index.js';
import round from './post/round/index.js';
import topk from './post/topk/index.js';
import argmax from './post/argmax/index.js';
import softmax from './post/softmax/index.js';
import threshold from './post/threshold/index.js';
import select from './post/select/index.js';
import map from './post/map/index.js';
import jsonlSink from './sink/jsonl/index.js';
import csvSink from './sink/csv/index.js';
import tfrecordSink from './sink/tfrecord/index.js';
import parquetSink from './sink/parquet/index.js';
import metricsSink from './sink/metrics/index.js';
import aggregateSink from './sink/aggregate/index.js';

/**
 * The built-in stages, by kind and by the name the typed builder gives them (`source.fileList`,
 * `decode.tfExample`, …): the one list. `builtinStages` (registries, the schema, the stage
 * reference) and the builder's factories (src/api/stages.ts) both come from it.
 * One folder per stage under `stages/<kind>/<type>/`.
 */
export const builtins = {
  source: {
    jsonl: jsonlSource,
    csv: csvSource,
    tfrecord: tfrecordSource,
    parquet: parquetSource,
    files: filesSource,
    fileList: fileListSource,
    recordio: recordioSource,
  },
  decode: {
    json: jsonDecode,
    csv: csvDecode,
    tfExample: tfExampleDecode,
    tfSequenceExample: tfSequenceExampleDecode,
    image: imageDecode,
  },
  key: {
    field: fieldKey,
    position: positionKey,
  },
  model: {
    tfjs: tfjsModel,
  },
  post: {
    topk,
    argmax,
    softmax,
    threshold,
    round,
    select,
    map,
  },
  sink: {
    jsonl: jsonlSink,
    csv: csvSink,
    tfrecord: tfrecordSink,
    parquet: parquetSink,
    metrics: metricsSink,
    aggregate: aggregateSink,
  },
} as const;

/** The built-in stages as a list in chain order (tests and plugins build registries of their own). */
export const builtinStages: StageDefinition[] = Object.values(builtins).flatMap((byName) => Object.values(byName) as StageDefinition[]);
