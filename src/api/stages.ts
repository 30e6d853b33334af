/**
 * Typed step factories for every built-in stage, grouped by kind, for the builder:
 * `source.jsonl({ uri })`, `decode.json({ features })`, `post.round({ digits: 2 })`, …
 * Each comes from the one list of built-ins (`builtins` in stages/index.ts): a built-in without a
 * factory does not compile (`Factories`), and test/api/builder.test.ts checks it at run time too.
 * The second type argument of each `stageFactory` lists the options that have schema defaults
 * (they may be left out, as in a config).
 */
import { stageFactory, type Step } from './builder.js';
import type { RecordTypeName } from '../core/types.js';
import { builtins as B } from '../../stages/index.js';

/** One factory per built-in of a kind, by its builder name: none missing, none extra. */
type Factories<K extends keyof typeof B> = { [N in keyof (typeof B)[K]]: (options: any) => Step<RecordTypeName, RecordTypeName, K> };

/** Sources: `Partition → RawRecord`. */
export const source = {
  jsonl: stageFactory(B.source.jsonl),
  csv: stageFactory<typeof B.source.csv, 'delimiter' | 'quote'>(B.source.csv),
  tfrecord: stageFactory<typeof B.source.tfrecord, 'compression' | 'verifyCrc'>(B.source.tfrecord),
  parquet: stageFactory(B.source.parquet),
  files: stageFactory(B.source.files),
  fileList: stageFactory(B.source.fileList),
  recordio: stageFactory(B.source.recordio),
} satisfies Factories<'source'>;

/** Decoders: `RawRecord → Instance`. */
export const decode = {
  json: stageFactory<typeof B.decode.json, 'instanceType'>(B.decode.json),
  csv: stageFactory(B.decode.csv),
  tfExample: stageFactory(B.decode.tfExample),
  tfSequenceExample: stageFactory(B.decode.tfSequenceExample),
  image: stageFactory<typeof B.decode.image, 'feature' | 'channels' | 'fit' | 'scale' | 'mean' | 'std' | 'maxPixels'>(B.decode.image),
} satisfies Factories<'decode'>;

/** Keys: `Instance → KeyedInstance`. */
export const key = {
  field: stageFactory<typeof B.key.field, 'forward'>(B.key.field),
  position: stageFactory<typeof B.key.position, 'forward'>(B.key.position),
} satisfies Factories<'key'>;

/** Models: `KeyedInstance → Prediction`. */
export const model = {
  tfjs: stageFactory<typeof B.model.tfjs, 'batchSize' | 'backend' | 'onNonFinite'>(B.model.tfjs),
} satisfies Factories<'model'>;

/** Post-processing: `Prediction → Prediction`. */
export const post = {
  topk: stageFactory(B.post.topk),
  argmax: stageFactory(B.post.argmax),
  softmax: stageFactory(B.post.softmax),
  threshold: stageFactory<typeof B.post.threshold, 'value'>(B.post.threshold),
  round: stageFactory<typeof B.post.round, 'digits'>(B.post.round),
  select: stageFactory(B.post.select),
  /** `module` may be a file: URL (`new URL('./fn.js', import.meta.url)`), kept as its href. */
  map: (options: { module: string | URL; export?: string; args?: Record<string, unknown> }) =>
    stageFactory<typeof B.post.map, 'export'>(B.post.map)({ ...options, module: options.module instanceof URL ? options.module.href : options.module }),
} satisfies Factories<'post'>;

/** Sinks: `Prediction → Rows`. */
export const sink = {
  jsonl: stageFactory<typeof B.sink.jsonl, 'compression' | 'format'>(B.sink.jsonl),
  csv: stageFactory<typeof B.sink.csv, 'delimiter' | 'compression'>(B.sink.csv),
  tfrecord: stageFactory<typeof B.sink.tfrecord, 'compression'>(B.sink.tfrecord),
  parquet: stageFactory<typeof B.sink.parquet, 'rowGroupRows' | 'compression'>(B.sink.parquet),
  metrics: stageFactory<typeof B.sink.metrics, 'metrics' | 'threshold' | 'topK'>(B.sink.metrics),
  /** `module` may be a file: URL (`new URL('./counts.js', import.meta.url)`), kept as its href. */
  aggregate: (options: { uri: string; module: string | URL; name?: string }) =>
    stageFactory<typeof B.sink.aggregate, 'name'>(B.sink.aggregate)({ ...options, module: options.module instanceof URL ? options.module.href : options.module }),
} satisfies Factories<'sink'>;
