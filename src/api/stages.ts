/**
 * Typed step factories for every built-in stage, grouped by kind, for the builder:
 * `source.jsonl({ uri })`, `decode.json({ features })`, `post.round({ digits: 2 })`, …
 * The second type argument of each `stageFactory` lists the options that have schema defaults
 * (they may be left out, as in a config).
 */
import { stageFactory } from './builder.js';
import jsonlSource from '../../stages/source/jsonl/index.js';
import csvSource from '../../stages/source/csv/index.js';
import tfrecordSource from '../../stages/source/tfrecord/index.js';
import parquetSource from '../../stages/source/parquet/index.js';
import filesSource from '../../stages/source/files/index.js';
import fileListSource from '../../stages/source/file-list/index.js';
import recordioSource from '../../stages/source/recordio/index.js';
import jsonDecode from '../../stages/decode/json/index.js';
import csvDecode from '../../stages/decode/csv/index.js';
import tfExampleDecode from '../../stages/decode/tf-example/index.js';
import tfSequenceExampleDecode from '../../stages/decode/tf-sequence-example/index.js';
import imageDecode from '../../stages/decode/image/index.js';
import fieldKey from '../../stages/key/field/index.js';
import positionKey from '../../stages/key/position/index.js';
import tfjsModel from '../../stages/model/tfjs/index.js';
import topk from '../../stages/post/topk/index.js';
import argmax from '../../stages/post/argmax/index.js';
import softmax from '../../stages/post/softmax/index.js';
import threshold from '../../stages/post/threshold/index.js';
import round from '../../stages/post/round/index.js';
import select from '../../stages/post/select/index.js';
import map from '../../stages/post/map/index.js';
import jsonlSink from '../../stages/sink/jsonl/index.js';
import csvSink from '../../stages/sink/csv/index.js';
import tfrecordSink from '../../stages/sink/tfrecord/index.js';
import parquetSink from '../../stages/sink/parquet/index.js';
import metricsSink from '../../stages/sink/metrics/index.js';
import aggregateSink from '../../stages/sink/aggregate/index.js';

/** Sources: `Partition → RawRecord`. */
export const source = {
  jsonl: stageFactory(jsonlSource),
  csv: stageFactory<typeof csvSource, 'delimiter' | 'quote'>(csvSource),
  tfrecord: stageFactory<typeof tfrecordSource, 'compression' | 'verifyCrc'>(tfrecordSource),
  parquet: stageFactory(parquetSource),
  files: stageFactory(filesSource),
  fileList: stageFactory(fileListSource),
  recordio: stageFactory(recordioSource),
};

/** Decoders: `RawRecord → Instance`. */
export const decode = {
  json: stageFactory<typeof jsonDecode, 'instanceType'>(jsonDecode),
  csv: stageFactory(csvDecode),
  tfExample: stageFactory(tfExampleDecode),
  tfSequenceExample: stageFactory(tfSequenceExampleDecode),
  image: stageFactory<typeof imageDecode, 'feature' | 'channels' | 'fit' | 'scale' | 'mean' | 'std' | 'maxPixels'>(imageDecode),
};

/** Keys: `Instance → KeyedInstance`. */
export const key = {
  field: stageFactory<typeof fieldKey, 'forward'>(fieldKey),
  position: stageFactory<typeof positionKey, 'forward'>(positionKey),
};

/** Models: `KeyedInstance → Prediction`. */
export const model = {
  tfjs: stageFactory<typeof tfjsModel, 'batchSize' | 'backend' | 'onNonFinite'>(tfjsModel),
};

/** Post-processing: `Prediction → Prediction`. */
export const post = {
  topk: stageFactory(topk),
  argmax: stageFactory(argmax),
  softmax: stageFactory(softmax),
  threshold: stageFactory<typeof threshold, 'value'>(threshold),
  round: stageFactory<typeof round, 'digits'>(round),
  select: stageFactory(select),
  /** `module` may be a file: URL (`new URL('./fn.js', import.meta.url)`), kept as its href. */
  map: (options: { module: string | URL; export?: string; args?: Record<string, unknown> }) =>
    stageFactory<typeof map, 'export'>(map)({ ...options, module: options.module instanceof URL ? options.module.href : options.module }),
};

/** Sinks: `Prediction → Rows`. */
export const sink = {
  jsonl: stageFactory<typeof jsonlSink, 'compression' | 'format'>(jsonlSink),
  csv: stageFactory<typeof csvSink, 'delimiter' | 'compression'>(csvSink),
  tfrecord: stageFactory<typeof tfrecordSink, 'compression'>(tfrecordSink),
  parquet: stageFactory<typeof parquetSink, 'rowGroupRows' | 'compression'>(parquetSink),
  metrics: stageFactory<typeof metricsSink, 'metrics' | 'threshold' | 'topK'>(metricsSink),
  /** `module` may be a file: URL (`new URL('./counts.js', import.meta.url)`), kept as its href. */
  aggregate: (options: { uri: string; module: string | URL; name?: string }) =>
    stageFactory<typeof aggregateSink, 'name'>(aggregateSink)({ ...options, module: options.module instanceof URL ? options.module.href : options.module }),
};
