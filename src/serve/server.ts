import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply } from 'fastify';
import type { ErrorObject } from 'ajv';
import type { Json } from '../core/types.js';
import { formatErrors } from '../config/ajv.js';
import { describeError } from '../core/errors.js';
import { parseJsonExact, stringifyExact } from '../core/exact-json.js';
import type { Graph } from '../graph/build.js';
import { loadPipeline, preparePipeline, type PipelineInput, type PipelineOptions } from '../predict/pipeline.js';
import { modelBatchSize, predictorFor, type Predictor } from '../predict/predictor.js';
import { isErrorRow, type OutputRow } from '../predict/rows.js';
import { MicroBatcher, QueueFullError } from './batcher.js';
import { ThreadLostError } from '../predict/thread-health.js';
import { createMetrics, type ServeMetrics } from './metrics.js';
import { serveSettings, type ServeSettings } from './settings.js';

export interface ServerOptions extends PipelineOptions {
  /** Address to listen on (default 127.0.0.1). */
  host?: string;
  /** Port (default 8080; 0 picks a free one: read it from `url`). */
  port?: number;
  /**
   * The predictor to serve, when the caller makes it (default: one made from the pipeline
   * with `serve.workers` threads). The server owns it from then on and closes it.
   */
  predictor?: Promise<Predictor>;
}

/** A listening server. */
export interface SluiceServer {
  /** `http://<host>:<port>`. */
  url: string;
  graph: Graph;
  settings: ServeSettings;
  metrics: ServeMetrics;
  /** Resolves once the model is loaded (`/readyz` then answers 200); rejects when loading fails. */
  ready: Promise<void>;
  /**
   * Graceful shutdown: new requests get 503, waiting instances are sent without waiting for
   * their batches to fill, in-flight requests are answered, then the threads stop. Resolves
   * false when `serve.drainTimeoutMs` ran out first (connections were then cut).
   */
  close(): Promise<boolean>;
  /**
   * After `close`: connections closed because their request had not fully arrived when the
   * drain ended (a client sending headers and no body, or a body at a trickle). They were
   * never taken for prediction; the client sees the connection close and may retry.
   */
  readonly cutRequests: number;
}

const RETRY_AFTER_SECONDS = '1';

const predictSchema = {
  body: {
    type: 'object',
    required: ['instances'],
    properties: {
      instances: { type: 'array', description: 'The records to predict, each as the decode stage expects it: an object, a string (a record\'s text), or {"b64": "…"} (bytes).' },
    },
    additionalProperties: false,
  },
} as const;

/** TF Serving's convention for binary values in JSON: `{"b64": "<base64>"}` is the bytes (e.g. a serialized tf.Example). */
function fromJson(instance: unknown): unknown {
  if (instance !== null && typeof instance === 'object' && !Array.isArray(instance)) {
    const keys = Object.keys(instance);
    const b64 = (instance as { b64?: unknown }).b64;
    if (keys.length === 1 && typeof b64 === 'string') return Buffer.from(b64, 'base64');
  }
  return instance;
}

/** An instance's answer: its prediction row as a batch run writes it, or `{key, error, stage}`. */
function toAnswer(row: OutputRow): Json {
  if (isErrorRow(row)) return { key: row.key, error: row.error, stage: row.stage };
  return row as unknown as Json;
}

/** One clear line per client error, naming the setting to change where there is one. */
function clientError(err: FastifyError, body: unknown, settings: ServeSettings, contentType?: string): { status: number; message: string } {
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { status: 413, message: `request body is larger than serve.maxBodyBytes (${settings.maxBodyBytes} bytes)` };
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { status: 400, message: 'request body is empty; expected {"instances": [...]}' };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return { status: 415, message: `unsupported content type ${contentType ?? '(none)'}; send application/json` };
  }
  if (err.validation) {
    // The config's own wording, with JSON paths: `/instances: must be an array, got 5`.
    const problems = formatErrors(err.validation as ErrorObject[], body).join('; ');
    return { status: 400, message: `request body: ${problems}; expected {"instances": [...]}` };
  }
  const status = err.statusCode ?? 500;
  return { status, message: status < 500 ? err.message : `internal error: ${describeError(err)}` };
}

/**
 * Starts `sluice serve`'s HTTP server for a pipeline: validates it (a config error throws
 * before anything listens), listens, and loads the model in the background (`ready`).
 *
 *   POST /v1/predict  {"instances": [...]} → {"predictions": [...]}, one per instance, in order
 *   GET  /healthz     200 while the process runs
 *   GET  /readyz      200 once the model is loaded, 503 before and while shutting down
 *   GET  /metrics     Prometheus text
 *
 * @example
 * const server = await startServer('examples/quickstart/pipeline.json', { port: 0 });
 * await server.ready;
 * await fetch(`${server.url}/v1/predict`, { method: 'POST', headers: { 'content-type': 'application/json' },
 *   body: JSON.stringify({ instances: [{ id: 'a', measurements: [5.1, 3.5, 1.4, 0.2] }] }) });
 * await server.close();
 */
export async function startServer(pipeline: PipelineInput, options: ServerOptions = {}): Promise<SluiceServer> {
  const loaded = loadPipeline(pipeline, options);
  const graph = await preparePipeline(loaded);
  const settings = serveSettings(graph, modelBatchSize(graph));
  let batcher: MicroBatcher | undefined;
  let draining = false;
  const metrics = createMetrics(settings.maxBatchSize, () => batcher?.queued ?? 0, () => !!batcher && !draining);

  const app: FastifyInstance = Fastify({
    bodyLimit: settings.maxBodyBytes,
    // Keep ajv from changing requests: no coercion (a scalar is not an array), no removal of unknown keys.
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, useDefaults: false, allErrors: true, verbose: true } },
    return503OnClosing: true,
    // A client that sends headers and then nothing (or a body at a trickle) is cut off, so it
    // can neither hold a connection for ever nor hold up a shutdown (docs/limits.md).
    requestTimeout: settings.requestTimeoutMs,
    http: { headersTimeout: settings.headersTimeoutMs, connectionsCheckingInterval: Math.min(1000, settings.requestTimeoutMs) } as object,
    logger: false,
  });
  // Only JSON is a request (README): without this fastify would parse text/plain as a string and answer 400, not 415.
  app.removeAllContentTypeParsers();
  // JSON.parse's own message says where the body went wrong; fastify's default parser drops it.
  // Integers beyond 2^53 stay exact (bigint) for keys and forwarded fields, as in a batch run.
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
    if (body === '') return done(Object.assign(new Error('request body is empty; expected {"instances": [...]}'), { statusCode: 400 }), undefined);
    try {
      done(null, parseJsonExact(body as string));
    } catch (err) {
      done(Object.assign(new Error(`request body is not valid JSON: ${describeError(err)}`), { statusCode: 400 }), undefined);
    }
  });
  // Answers write those bigints back as bare JSON numbers with the request's digits.
  app.setReplySerializer((payload) => stringifyExact(payload));
  app.setErrorHandler((err: FastifyError, req, reply) => {
    const { status, message } = clientError(err, req.body, settings, req.headers['content-type']?.split(';')[0]);
    return reply.code(status).send({ error: message });
  });
  app.setNotFoundHandler((req, reply) =>
    reply.code(404).send({ error: `no route ${req.method} ${req.url} (routes: POST /v1/predict, GET /healthz, GET /readyz, GET /metrics)` }),
  );
  // While draining, every answer closes its connection: a keep-alive connection left open would
  // hold the server (and the shutdown) until the client lets go of it.
  app.addHook('onSend', async (_req, reply, payload) => {
    if (draining) reply.header('connection', 'close');
    return payload;
  });
  // Requests whose body is still arriving: a shutdown answers the requests it holds, not these.
  const receiving = new Set<import('node:http').IncomingMessage>();
  let cutRequests = 0;
  app.addHook('onRequest', async (req) => {
    const raw = req.raw;
    receiving.add(raw);
    raw.socket.once('close', () => receiving.delete(raw));
  });
  app.addHook('preHandler', async (req) => void receiving.delete(req.raw));
  app.addHook('onResponse', async (req, reply) => {
    receiving.delete(req.raw);
    if (req.routeOptions.url !== '/v1/predict') return;
    const status = String(reply.statusCode);
    metrics.requests.inc({ status });
    metrics.latency.observe({ status }, reply.elapsedTime / 1000);
  });

  // Predict requests between their handler's start and its answer: a drain waits for them.
  let handling = 0;
  let handled: (() => void)[] = [];
  const handlersDone = () => (handling === 0 ? Promise.resolve() : new Promise<void>((resolve) => handled.push(resolve)));
  const handlerEnded = () => {
    if (--handling === 0) for (const done of handled.splice(0)) done();
  };

  const unavailable = (reply: FastifyReply, why: string) => reply.code(503).header('retry-after', RETRY_AFTER_SECONDS).send({ error: why });

  app.post<{ Body: { instances: unknown[] } }>('/v1/predict', { schema: predictSchema }, async (req, reply) => {
    if (draining) return unavailable(reply, 'the server is shutting down; retry on another instance');
    if (!batcher) return unavailable(reply, 'the model is loading; retry shortly');
    handling++;
    try {
      return await predictRequest(req.body.instances, reply, batcher);
    } finally {
      handlerEnded();
    }
  });

  async function predictRequest(instances: unknown[], reply: FastifyReply, batcher: MicroBatcher) {
    const count = instances.length;
    if (count > settings.maxInstancesPerRequest) {
      return reply.code(413).send({ error: `request holds ${count} instances, more than serve.maxInstancesPerRequest (${settings.maxInstancesPerRequest}); split it` });
    }
    let result;
    try {
      result = await batcher.submit(instances.map(fromJson));
    } catch (err) {
      if (err instanceof QueueFullError) return reply.code(429).header('retry-after', RETRY_AFTER_SECONDS).send({ error: err.message });
      if (err instanceof ThreadLostError) return unavailable(reply, err.message);
      throw err;
    }
    let failed = 0;
    result.rows.forEach((row, i) => {
      if (!isErrorRow(row)) return;
      failed++;
      metrics.failures.inc({ stage: row.stage, kind: result.codes[i] ?? 'error' });
    });
    if (result.rows.length - failed) metrics.instances.inc({ outcome: 'predicted' }, result.rows.length - failed);
    if (failed) metrics.instances.inc({ outcome: 'failed' }, failed);
    return { predictions: result.rows.map(toAnswer) };
  }
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_req, reply) => {
    if (draining) return unavailable(reply, 'shutting down');
    if (!batcher || !predictor) return unavailable(reply, 'loading the model');
    if (!predictor.healthy()) return unavailable(reply, 'a worker thread was lost and its replacement is loading the model');
    return { status: 'ready' };
  });
  app.get('/metrics', async (_req, reply) => reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()));

  await app.listen({ host: options.host ?? '127.0.0.1', port: options.port ?? 8080 });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  const host = options.host ?? '127.0.0.1';
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;

  const made = options.predictor ?? predictorFor(loaded, graph, settings.workers, settings.predictTimeoutMs);
  let predictor: Predictor | undefined;
  const ready = made.then((p) => {
    if (draining) return;
    predictor = p;
    batcher = new MicroBatcher((values, indexes) => p.run(values, indexes), {
      maxBatchSize: settings.maxBatchSize,
      batchTimeoutMs: settings.batchTimeoutMs,
      maxQueue: settings.maxQueue,
      concurrency: Math.max(1, p.threads),
      onBatch: (size) => metrics.batchSize.observe(size),
    });
  });
  // The caller awaits `ready`; this only keeps a failed load from being an unhandled rejection.
  ready.catch(() => undefined);

  let closing: Promise<boolean> | undefined;
  const close = (): Promise<boolean> =>
    (closing ??= (async () => {
      draining = true;
      const drained = (async () => {
        // The listener stays open while the server drains, so connections the kernel already
        // accepted get a 503 answer (with Connection: close) instead of a reset; requests already
        // received are answered (their instances are sent at once).
        await batcher?.drain();
        await handlersDone();
        // What is left has not sent a whole request: close it rather than wait for it.
        for (const raw of receiving) {
          cutRequests++;
          raw.socket.destroy();
        }
        await app.close();
        return true;
      })();
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), settings.drainTimeoutMs)));
      const clean = await Promise.race([drained, timedOut]);
      clearTimeout(timer);
      if (!clean) app.server.closeAllConnections();
      await made.then((p) => p.close(), () => undefined);
      return clean;
    })());

  return {
    url,
    graph,
    settings,
    metrics,
    ready,
    close,
    get cutRequests() {
      return cutRequests;
    },
  };
}
