import type { BackendName } from '../../../src/model/backend.js';
import type { StageMeta } from '../../../src/core/stage.js';
import type { NonFiniteMode } from '../../../src/model/finite.js';

/** Options of `model/tfjs` (after defaults). */
export interface TfjsOptions {
  /** The model's JSON file (LayersModel or GraphModel, any file name), or a SavedModel directory, relative to the config. */
  uri: string;
  /** A SavedModel's signature to run (default `serving_default`). */
  signature?: string;
  /** The tags of the SavedModel's MetaGraph to load (default `["serve"]`). */
  tags?: string[];
  /** Records per model call. */
  batchSize: number;
  /** The TensorFlow.js backend; `auto` is `tensorflow` where tfjs-node is built (`npm run native`), else `wasm`. */
  backend: BackendName;
  /** What a NaN or ±Infinity in a record's outputs does: fail the record, keep it, or write null. */
  onNonFinite: NonFiniteMode;
  /** Longest time reading and loading the model may take (ms). */
  loadTimeoutMs?: number;
  /** Longest time one model call may take (ms); none when unset. */
  batchTimeoutMs?: number;
}

export const DEFAULT_BATCH_SIZE = 256;
export const DEFAULT_BACKEND: BackendName = 'auto';
export const DEFAULT_ON_NON_FINITE: NonFiniteMode = 'fail';
export const DEFAULT_LOAD_TIMEOUT_MS = 600_000;

/** JSON Schema of `model/tfjs` options, e.g. `{"uri": "model/model.json", "batchSize": 256}`. */
export const tfjsSchema = {
  type: 'object',
  properties: {
    uri: {
      type: 'string',
      minLength: 1,
      description:
        'The model JSON of a TensorFlow.js LayersModel or GraphModel (any file name), relative to the config file; its weight files are read from beside it. Or a TensorFlow SavedModel directory (one holding saved_model.pb; local, s3:// or gs://), run as it is on the tensorflow backend.',
    },
    signature: {
      type: 'string',
      minLength: 1,
      description: 'SavedModels only: the signature to run (default serving_default). Features map to its input names; one output gives its value as the prediction, several an object by output name.',
    },
    tags: {
      type: 'array',
      items: { type: 'string', minLength: 1 },
      minItems: 1,
      description: 'SavedModels only: the tags of the MetaGraph to load (default ["serve"]).',
    },
    batchSize: {
      type: 'integer',
      minimum: 1,
      default: DEFAULT_BATCH_SIZE,
      description:
        'Records per model call. Larger batches run faster and use more memory; a model with a fixed batch dimension takes at most that many.',
    },
    backend: {
      type: 'string',
      enum: ['auto', 'wasm', 'cpu', 'tensorflow'],
      default: DEFAULT_BACKEND,
      description:
        'TensorFlow.js backend: auto (tensorflow where @tensorflow/tfjs-node is built by npm run native, else wasm), wasm, cpu, or tensorflow (native TensorFlow; the only one that runs SavedModels).',
    },
    onNonFinite: {
      type: 'string',
      enum: ['fail', 'keep', 'null'],
      default: DEFAULT_ON_NON_FINITE,
      description:
        'A NaN or ±Infinity in a record\'s outputs: fail (the record becomes a Failure, code not-finite, naming the output and element), keep (the values stay; JSON cannot hold them, so the jsonl sink writes null), or null (each non-finite number becomes null).',
    },
    loadTimeoutMs: {
      type: 'integer',
      minimum: 1,
      default: DEFAULT_LOAD_TIMEOUT_MS,
      description:
        'Longest time (ms) reading the model\'s files and loading it may take, in validate, run and every worker thread; past it the run stops with a message naming /model/uri. Default 600000 (10 minutes).',
    },
    batchTimeoutMs: {
      type: 'integer',
      minimum: 1,
      description:
        'Longest time (ms) one model call may take. A call past it gets its worker thread terminated and the partition retried on a fresh one with that call split in halves, attempt after attempt, until the record that hangs is alone: it fails (code timeout) once calls holding it timed out execution.maxAttempts times, and the rest of the partition is predicted (about log2(batchSize) + 1 timeouts per hanging record; see docs/limits.md). Default: no limit.',
    },
  },
  required: ['uri'],
  additionalProperties: false,
} as const;

/** `model/tfjs` as validation, the schema and the stage reference know it, without its code (stages/catalog.ts). */
export const tfjsMeta: StageMeta<'model'> = {
  kind: 'model',
  type: 'tfjs',
  summary: 'Runs a TensorFlow.js LayersModel or GraphModel on batches of instances (backends wasm, cpu, tensorflow); a batch the model throws on is split in halves down to single records, so only the records that fail alone become Failures.',
  optionsSchema: tfjsSchema,
};
