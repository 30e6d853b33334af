import type { StageMeta } from '../core/stage.js';
import type { StageKind } from '../core/types.js';

/** The top-level keys of a pipeline config, in the order users write them. */
export const TOP_LEVEL_KEYS = ['name', 'source', 'decode', 'key', 'model', 'post', 'sink', 'errors', 'execution', 'storage', 'serve'] as const;

/** JSON Schema of `execution`: shared by every pipeline whatever its stages. */
export const executionSchema = {
  type: 'object',
  description: 'How the run is executed: parallelism, partition size, error budget.',
  properties: {
    workers: { type: 'integer', minimum: 1, description: 'Worker threads, each loading the model once (on the tensorflow backend, sending their batches to one model host thread instead: one TensorFlow runtime per process, using every core: docs/native.md; with exactly 1 worker on a machine of more cores, on any backend, so that the worker decodes while the model runs). Default: the number of CPU cores; on tensorflow one fewer (at least 1), the host being the other.' },
    partitionBytes: {
      type: 'integer',
      minimum: 1,
      description: 'Target partition size for splitting large line-oriented files. Default: total input / (workers x 4), between 1 MiB and 64 MiB.',
    },
    maxErrors: { type: 'integer', minimum: 0, description: 'Stop the run (exit 1) once more records than this have failed. Default: unlimited.' },
    maxErrorRate: {
      type: 'number',
      minimum: 0,
      maximum: 1,
      default: 0.1,
      description: 'Stop the run (exit 1) when failed/read exceeds this, judged once 1,000 records have been read and at the end.',
    },
    maxAttempts: {
      type: 'integer',
      minimum: 1,
      default: 3,
      description:
        'Attempts per partition when it fails for an infrastructure reason (I/O error, a worker thread that crashes, exits or overruns partitionTimeoutMs), with backoff; also the tries a model batch gets before a batch timeout fails its records.',
    },
    partitionTimeoutMs: {
      type: 'integer',
      minimum: 1,
      description:
        'Longest time (ms) one attempt of a partition may run once its worker has loaded the model; past it the worker thread is terminated and the attempt counts as failed (retried up to maxAttempts). Default: no limit.',
    },
    preload: {
      type: 'array',
      description:
        'Modules imported in every thread of the run before its stages are made (this process, each worker thread, each `sluice worker` process, each `sluice serve` thread): register custom tfjs layers, or install wrappers with wrapStorage/wrapPredict from the stage SDK. A path (relative to the config file) or {module, options}; a default export that is a function is called once per thread with the options. Default: none.',
      items: {
        anyOf: [
          { type: 'string', minLength: 1 },
          {
            type: 'object',
            properties: {
              module: { type: 'string', minLength: 1, description: 'Path of the module, relative to the config file (or a file: URL).' },
              options: { type: 'object', description: 'Passed to the module\'s default export.' },
            },
            required: ['module'],
            additionalProperties: false,
          },
        ],
      },
      examples: [['./register-layers.js', { module: './audit-storage.js', options: { log: 'audit.log' } }]],
    },
    // Distributed runs (src/distributed/): the queue workers pull partitions from.
    coordinator: {
      type: 'string',
      pattern: '^rediss?://',
      description:
        'Run distributed: the Redis URL (redis://[user:password@]host:6379[/db], rediss:// for TLS) of the BullMQ queue that `sluice worker` processes pull partitions from. Default: run locally with worker threads.',
    },
    redisTimeout: {
      type: 'number',
      exclusiveMinimum: 0,
      default: 30,
      description: 'Distributed runs: seconds the coordinator waits for an unreachable Redis before it fails the run (exit 1; committed partitions are kept).',
    },
  },
  additionalProperties: false,
} as const;

/**
 * JSON Schema of `storage`: settings of the object-store clients (never credentials: those come
 * from each SDK's own chain). Every field is optional; unset ones come from the environment.
 */
export const storageSchema = {
  type: 'object',
  description: 'Settings of the S3 and GCS clients for s3:// and gs:// URIs. Unset fields come from the standard environment; credentials always do.',
  properties: {
    s3: {
      type: 'object',
      description: 'The S3 client (@aws-sdk/client-s3). Default: the SDK\'s chain (AWS_REGION, AWS_ENDPOINT_URL, AWS_PROFILE, ...).',
      properties: {
        endpoint: { type: 'string', pattern: '^https?://', description: 'Endpoint of an S3-compatible server, e.g. "http://127.0.0.1:9000". Default: AWS (or AWS_ENDPOINT_URL).' },
        forcePathStyle: { type: 'boolean', description: 'Path-style requests (http://host/bucket/key), which most S3-compatible servers need. Default: false.' },
        region: { type: 'string', minLength: 1, description: 'The region. Default: AWS_REGION or the profile\'s region.' },
        maxAttempts: { type: 'integer', minimum: 1, description: 'Attempts per request; throttling (503 SlowDown), 5xx and connection errors are retried with exponential backoff. Default: 5.' },
        requestChecksumCalculation: {
          enum: ['WHEN_SUPPORTED', 'WHEN_REQUIRED'],
          description: 'WHEN_REQUIRED for S3-compatible servers that do not understand the SDK\'s default request checksums. Default: the SDK\'s (AWS_REQUEST_CHECKSUM_CALCULATION).',
        },
        partSize: { type: 'integer', minimum: 5242880, description: 'Bytes per part of the multipart upload of each output file (at least 5 MiB). Default: 8 MiB.' },
      },
      additionalProperties: false,
    },
    gcs: {
      type: 'object',
      description: 'The GCS client (@google-cloud/storage). Default: Application Default Credentials and the public endpoint (or STORAGE_EMULATOR_HOST).',
      properties: {
        apiEndpoint: { type: 'string', pattern: '^https?://', description: 'API endpoint, e.g. an emulator at "http://127.0.0.1:9199". Default: the public endpoint (or STORAGE_EMULATOR_HOST).' },
        projectId: { type: 'string', minLength: 1, description: 'The project. Default: from the credentials (GOOGLE_CLOUD_PROJECT).' },
        maxAttempts: { type: 'integer', minimum: 1, description: 'Attempts per request; 408, 429, 5xx and connection errors are retried with exponential backoff. Default: 5.' },
      },
      additionalProperties: false,
    },
  },
  additionalProperties: false,
} as const;

/**
 * JSON Schema of `serve`: how `sluice serve` batches and bounds online requests. Only the
 * server reads it; a batch run ignores it. `maxBatchSize` has no static default: it follows
 * `model.batchSize`.
 */
export const serveSchema = {
  type: 'object',
  description: 'Online prediction (`sluice serve`): dynamic micro-batching, queue bound, request limits. A batch run ignores it.',
  properties: {
    maxBatchSize: {
      type: 'integer',
      minimum: 1,
      description: 'Most instances merged into one model batch across concurrent requests. Default: model.batchSize. 1 turns batching off.',
    },
    batchTimeoutMs: {
      type: 'number',
      minimum: 0,
      default: 0,
      description:
        'Longest an instance waits for others to fill its batch while a worker is free. 0: a free worker takes what is waiting at once; batches still grow while every worker is busy, so load alone merges requests.',
    },
    maxQueue: {
      type: 'integer',
      minimum: 1,
      default: 1024,
      description: 'Instances that may wait for a model batch; a request that would exceed it is answered 429 with Retry-After (a lone request larger than it is still taken).',
    },
    maxBodyBytes: {
      type: 'integer',
      minimum: 1,
      default: 1048576,
      description: 'Largest request body accepted, in bytes; a larger one is answered 413.',
    },
    workers: {
      type: 'integer',
      minimum: 0,
      description: "Worker threads running the chain, each loading the model once; 0 runs it in the server's own thread. Default: 0 (measured fastest on 2 cores: see README, Online prediction); threads may pay for heavy models on machines with cores to spare. On the tensorflow backend the threads send their batches to one model host thread (one TensorFlow runtime per process: docs/native.md).",
    },
    drainTimeoutMs: {
      type: 'integer',
      minimum: 0,
      default: 30000,
      description: 'On SIGINT/SIGTERM, how long in-flight requests may take to finish before the server exits anyway (exit 1).',
    },
    maxInstancesPerRequest: {
      type: 'integer',
      minimum: 1,
      default: 10000,
      description: 'Most instances one request may hold; a request with more is answered 413 naming this limit (see docs/limits.md).',
    },
    predictTimeoutMs: {
      type: 'integer',
      minimum: 1,
      default: 30000,
      description: 'With serve.workers >= 1: longest one model batch may take in a worker thread; past it the thread is replaced, the batch\'s requests are answered 503, and /readyz answers 503 until the new thread has loaded the model.',
    },
    requestTimeoutMs: {
      type: 'integer',
      minimum: 1,
      default: 30000,
      description: 'Longest a client may take to send a whole request (headers and body); past it the connection is closed (408). A shutdown never waits for such a request.',
    },
    headersTimeoutMs: {
      type: 'integer',
      minimum: 1,
      default: 10000,
      description: "Longest a client may take to send a request's headers; past it the connection is closed.",
    },
  },
  additionalProperties: false,
} as const;

/** The schema of one stage slot: a discriminated union of the registry's stages of `kind`. */
function kindSchema(kind: StageKind, defs: readonly StageMeta[]): Record<string, unknown> {
  const branches = defs
    .filter((d) => d.kind === kind)
    .map((d) => {
      const own = d.optionsSchema as any;
      return {
        ...own,
        type: 'object',
        description: d.summary,
        properties: { type: { const: d.type, description: `${kind} stage type` }, ...(own.properties ?? {}) },
        required: ['type', ...(own.required ?? [])],
        additionalProperties: false,
      };
    });
  return {
    type: 'object',
    description: `A ${kind} stage: one of ${branches.map((b: any) => b.properties.type.const).join(', ')}, or a user module ("./my-${kind}.js").`,
    properties: {
      type: { type: 'string', description: `The ${kind} stage type, or the path of a module exporting a ${kind} stage (starting with ./, ../, / or file:).` },
    },
    required: ['type'],
    // A user module's options are checked against its own schema once it is loaded
    // (validateConfig), so the schema of the built-ins, and its precompiled validator, stay fixed.
    if: { type: 'object', properties: { type: { type: 'string', pattern: MODULE_TYPE_PATTERN } }, required: ['type'] },
    then: { type: 'object' },
    else: { type: 'object', discriminator: { propertyName: 'type' }, oneOf: branches },
  };
}

/** A stage `type` naming a user module: a relative or absolute path, or a file: URL. */
export const MODULE_TYPE_PATTERN = '^(\\.{1,2}/|/|file:)';

/**
 * True when a stage `type` names a user module rather than a built-in.
 *
 * @example
 * isModuleType('./stages/my-sink.js') // true
 * isModuleType('jsonl')               // false
 */
export function isModuleType(type: unknown): type is string {
  return typeof type === 'string' && new RegExp(MODULE_TYPE_PATTERN).test(type);
}

/**
 * Assembles the pipeline JSON Schema from the stages' own option schemas: what ajv validates a
 * config against, and what `schemas/pipeline.schema.json` holds for editors (`"$schema"`).
 *
 * @example
 * const schema = pipelineSchema(builtinStages);
 */
export function pipelineSchema(defs: readonly StageMeta[]): Record<string, unknown> {
  const sink = kindSchema('sink', defs);
  return {
    $id: 'https://sluice.dev/schemas/pipeline.schema.json',
    title: 'Sluice pipeline',
    description: 'A batch-prediction pipeline: source → decode → key → model → post* → sink(s).',
    type: 'object',
    properties: {
      $schema: { type: 'string', description: 'Path or URL of this schema, for editor autocompletion.' },
      name: { type: 'string', minLength: 1, description: 'The pipeline name (default: the config file name).' },
      source: kindSchema('source', defs),
      decode: kindSchema('decode', defs),
      key: kindSchema('key', defs),
      model: kindSchema('model', defs),
      post: { type: 'array', description: 'Post-processing steps, applied in order.', items: kindSchema('post', defs), default: [] },
      sink: {
        description: 'Where predictions go: one sink, or a list (every sink receives every prediction).',
        if: { type: 'array' },
        then: { type: 'array', minItems: 1, items: sink },
        else: sink,
      },
      // An errors sink must write rows: a sink that only aggregates (`aggregates`: metrics, aggregate; test/graph/catalog.test.ts ties it to `finish`) would drop them.
      errors: { ...kindSchema('sink', defs.filter((d) => !d.aggregates)), description: 'The sink that receives one row per failed record (default: jsonl under <sink uri>/_errors); one that writes rows.' },
      execution: { ...executionSchema, default: {} },
      storage: storageSchema,
      serve: { ...serveSchema, default: {} },
    },
    required: ['source', 'decode', 'model', 'sink'],
    additionalProperties: false,
  };
}
