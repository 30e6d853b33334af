/**
 * The built-in stages as a run needs them: each stage's meta (kind, type, summary, options
 * schema: what validation, the schema and the "did you mean" of an unknown type need) from its
 * light schema.ts, and its code behind a lazy import. `loadRegistry` (src/graph/plugins.ts)
 * imports only the stages a config names, so a jsonl → json → tfjs → jsonl run loads neither
 * protobufjs nor hyparquet nor pngjs, in the CLI or in any worker thread. Same stages in the
 * same order as `builtins` in stages/index.ts (test/graph/catalog.test.ts checks it), which
 * imports every definition at once for the typed builder, the schema and the stage reference.
 */
import type { LazyStage, StageDefinition, StageMeta } from '../src/core/stage.js';
import { jsonlSourceMeta } from './source/jsonl/schema.js';
import { csvSourceMeta } from './source/csv/schema.js';
import { tfrecordSourceMeta } from './source/tfrecord/schema.js';
import { parquetSourceMeta } from './source/parquet/schema.js';
import { filesSourceMeta } from './source/files/schema.js';
import { fileListSourceMeta } from './source/file-list/schema.js';
import { recordioSourceMeta } from './source/recordio/schema.js';
import { jsonDecodeMeta } from './decode/json/schema.js';
import { csvDecodeMeta } from './decode/csv/schema.js';
import { tfExampleDecodeMeta } from './decode/tf-example/schema.js';
import { tfSequenceExampleDecodeMeta } from './decode/tf-sequence-example/schema.js';
import { imageDecodeMeta } from './decode/image/schema.js';
import { fieldKeyMeta } from './key/field/schema.js';
import { positionKeyMeta } from './key/position/schema.js';
import { tfjsMeta } from './model/tfjs/schema.js';
import { topkMeta } from './post/topk/schema.js';
import { argmaxMeta } from './post/argmax/schema.js';
import { softmaxMeta } from './post/softmax/schema.js';
import { thresholdMeta } from './post/threshold/schema.js';
import { roundMeta } from './post/round/schema.js';
import { selectMeta } from './post/select/schema.js';
import { mapMeta } from './post/map/schema.js';
import { jsonlSinkMeta } from './sink/jsonl/schema.js';
import { csvSinkMeta } from './sink/csv/schema.js';
import { tfrecordSinkMeta } from './sink/tfrecord/schema.js';
import { parquetSinkMeta } from './sink/parquet/schema.js';
import { metricsSinkMeta } from './sink/metrics/schema.js';
import { aggregateSinkMeta } from './sink/aggregate/schema.js';

/** A meta with its definition on demand (the module's default export). */
const lazy = (meta: StageMeta, load: () => Promise<{ default: StageDefinition }>): LazyStage => ({ ...meta, load: () => load().then((m) => m.default) });

export const builtinCatalog: readonly LazyStage[] = [
  lazy(jsonlSourceMeta, () => import('./source/jsonl/index.js')),
  lazy(csvSourceMeta, () => import('./source/csv/index.js')),
  lazy(tfrecordSourceMeta, () => import('./source/tfrecord/index.js')),
  lazy(parquetSourceMeta, () => import('./source/parquet/index.js')),
  lazy(filesSourceMeta, () => import('./source/files/index.js')),
  lazy(fileListSourceMeta, () => import('./source/file-list/index.js')),
  lazy(recordioSourceMeta, () => import('./source/recordio/index.js')),
  lazy(jsonDecodeMeta, () => import('./decode/json/index.js')),
  lazy(csvDecodeMeta, () => import('./decode/csv/index.js')),
  lazy(tfExampleDecodeMeta, () => import('./decode/tf-example/index.js')),
  lazy(tfSequenceExampleDecodeMeta, () => import('./decode/tf-sequence-example/index.js')),
  lazy(imageDecodeMeta, () => import('./decode/image/index.js')),
  lazy(fieldKeyMeta, () => import('./key/field/index.js')),
  lazy(positionKeyMeta, () => import('./key/position/index.js')),
  lazy(tfjsMeta, () => import('./model/tfjs/index.js')),
  lazy(topkMeta, () => import('./post/topk/index.js')),
  lazy(argmaxMeta, () => import('./post/argmax/index.js')),
  lazy(softmaxMeta, () => import('./post/softmax/index.js')),
  lazy(thresholdMeta, () => import('./post/threshold/index.js')),
  lazy(roundMeta, () => import('./post/round/index.js')),
  lazy(selectMeta, () => import('./post/select/index.js')),
  lazy(mapMeta, () => import('./post/map/index.js')),
  lazy(jsonlSinkMeta, () => import('./sink/jsonl/index.js')),
  lazy(csvSinkMeta, () => import('./sink/csv/index.js')),
  lazy(tfrecordSinkMeta, () => import('./sink/tfrecord/index.js')),
  lazy(parquetSinkMeta, () => import('./sink/parquet/index.js')),
  lazy(metricsSinkMeta, () => import('./sink/metrics/index.js')),
  lazy(aggregateSinkMeta, () => import('./sink/aggregate/index.js')),
];
