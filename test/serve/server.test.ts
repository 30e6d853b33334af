/**
 * `startServer` against the real quickstart model on 127.0.0.1 (a free port): online answers
 * equal the batch run's rows, bad instances fail alone, client errors are 4xx with one clear
 * line, a full queue answers 429 with Retry-After, readiness follows the model, and concurrent
 * requests are merged into model batches (read from /metrics).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertClose, byKey } from '../helpers/cli.js';
import { QUICKSTART_CONFIG, QUICKSTART_DIR, batchRun, failureOf, metric, post, quickstartConfig, quickstartRecords } from '../helpers/online.js';
import { createPredictor, startServer, type SluiceServer } from '../../src/index.js';

const records = quickstartRecords();

/** A server for one test, closed after it whatever happens. */
async function withServer(config: any, fn: (server: SluiceServer) => Promise<void>, options: Parameters<typeof startServer>[1] = {}): Promise<void> {
  const server = await startServer(config, { port: 0, baseDir: QUICKSTART_DIR, ...options });
  try {
    await server.ready;
    await fn(server);
  } finally {
    await server.close();
  }
}

test('POST /v1/predict answers every instance in order, equal to the batch run (within 1e-6), bad instances as their own errors', async () => {
  const batch = batchRun(['--set', 'post=[]']);
  await withServer(quickstartConfig((c) => (c.post = [])), async (server) => {
    const r = await post(`${server.url}/v1/predict`, { instances: records });
    assert.equal(r.status, 200, JSON.stringify(r.json));
    const answers: any[] = r.json.predictions;
    assert.equal(answers.length, records.length);
    answers.forEach((a, i) => assert.equal(a.key, typeof records[i] === 'string' ? null : (records[i] as any).id, `answer ${i}`));
    const predicted = answers.filter((a) => 'prediction' in a);
    const failed = answers.filter((a) => 'error' in a);
    assertClose(byKey(predicted), batch.predictions, 1e-6);
    assert.deepEqual(byKey(failed), batch.errors.map(failureOf));
    assert.deepEqual(Object.keys(failed[0]), ['key', 'error', 'stage']);

    // The same instances one request each, concurrently: the same answers (within 1e-6: on the
    // native backend, `auto` where tfjs-node is built, a batch's size changes TensorFlow's kernels).
    const single = await Promise.all(records.slice(0, 40).map((rec) => post(`${server.url}/v1/predict`, { instances: [rec] })));
    single.forEach((s, i) => assertClose(s.json, { predictions: [answers[i]] }, 1e-6));

    const text = await (await fetch(`${server.url}/metrics`)).text();
    assert.equal(metric(text, 'sluice_serve_instances_total{outcome="failed"}'), 4 + 1); // bad-json is among the first 40
    assert.equal(metric(text, 'sluice_serve_failures_total{stage="decode",kind="bad-json"}'), 2);
    assert.equal(metric(text, 'sluice_serve_requests_total{status="200"}'), 41);
  });
});

test('client errors are 4xx with one clear JSON line: malformed JSON, wrong envelope, oversized body, unknown route', async () => {
  await withServer(quickstartConfig((c) => (c.serve = { maxBodyBytes: 1000 })), async (server) => {
    const url = `${server.url}/v1/predict`;
    const cases: [unknown, number, string][] = [
      ['{"instances": [1, 2', 400, 'request body is not valid JSON: '],
      ['', 400, 'request body is empty; expected {"instances": [...]}'],
      [{ instance: [] }, 400, 'request body: /instances: required, missing; /instance: unknown key (allowed: instances); did you mean "instances"?; expected {"instances": [...]}'],
      [{ instances: { id: 'a' } }, 400, 'request body: /instances: must be an array, got {"id":"a"}; expected {"instances": [...]}'],
      [{ instances: ['x'.repeat(2000)] }, 413, 'request body is larger than serve.maxBodyBytes (1000 bytes)'],
    ];
    for (const [body, status, message] of cases) {
      const r = await post(url, body);
      assert.equal(r.status, status, JSON.stringify(body).slice(0, 80));
      assert.ok(typeof r.json.error === 'string' && r.json.error.startsWith(message), `${r.json.error} should start with ${message}`);
    }
    const notFound = await fetch(`${server.url}/v2/predict`);
    assert.equal(notFound.status, 404);
    assert.match(((await notFound.json()) as { error: string }).error, /^no route GET \/v2\/predict \(routes: POST \/v1\/predict/);
    const empty = await post(url, { instances: [] });
    assert.deepEqual([empty.status, empty.json], [200, { predictions: [] }]);
  });
});

test('a full queue answers 429 with Retry-After and takes the request again once there is room', async () => {
  // One worker, batches that wait up to 1.5 s to fill: two instances sit in a queue of two.
  const serve = { workers: 1, maxQueue: 2, maxBatchSize: 64, batchTimeoutMs: 1500 };
  await withServer(quickstartConfig((c) => (c.serve = serve)), async (server) => {
    const url = `${server.url}/v1/predict`;
    const first = post(url, { instances: records.slice(0, 2) });
    // Wait until the first request's instances are queued (the server has read it).
    for (let i = 0; i < 200 && metric(await (await fetch(`${server.url}/metrics`)).text(), 'sluice_serve_queue_instances') !== 2; i++) {
      await new Promise((r) => setTimeout(r, 10));
    }
    const refused = await post(url, { instances: records.slice(2, 3) });
    assert.equal(refused.status, 429);
    assert.equal(refused.headers.get('retry-after'), '1');
    assert.match(refused.json.error, /^the queue is full: 2 instances are waiting and this request brings 1 \(serve.maxQueue is 2\); retry later$/);
    const done = await first;
    assert.equal(done.status, 200);
    assert.equal(done.json.predictions.length, 2);
    const again = await post(url, { instances: records.slice(2, 3) });
    assert.equal(again.status, 200);
  });
});

test('readiness: /readyz and /v1/predict answer 503 with Retry-After until the model is loaded; /healthz is 200 throughout', async () => {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  // The real predictor, handed over only once the test has looked at the server before it.
  const predictor = gate.then(() => createPredictor(QUICKSTART_CONFIG));
  const server = await startServer(QUICKSTART_CONFIG, { port: 0, predictor });
  try {
    assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
    const notReady = await fetch(`${server.url}/readyz`);
    assert.equal(notReady.status, 503);
    assert.equal(notReady.headers.get('retry-after'), '1');
    const early = await post(`${server.url}/v1/predict`, { instances: records.slice(0, 1) });
    assert.deepEqual([early.status, early.json, early.headers.get('retry-after')], [503, { error: 'the model is loading; retry shortly' }, '1']);
    assert.equal(metric(await (await fetch(`${server.url}/metrics`)).text(), 'sluice_serve_ready'), 0);
    release();
    await server.ready;
    assert.equal((await fetch(`${server.url}/readyz`)).status, 200);
    assert.equal((await post(`${server.url}/v1/predict`, { instances: records.slice(0, 1) })).status, 200);
  } finally {
    release();
    await server.close();
  }
});

test('concurrent requests are merged into model batches (the batch-size histogram of /metrics)', async () => {
  const serve = { workers: 1, maxBatchSize: 64, batchTimeoutMs: 400 };
  await withServer(quickstartConfig((c) => (c.serve = serve)), async (server) => {
    const n = 24;
    const answers = await Promise.all(records.slice(0, n).map((rec) => post(`${server.url}/v1/predict`, { instances: [rec] })));
    assert.ok(answers.every((a) => a.status === 200 && a.json.predictions.length === 1));
    const text = await (await fetch(`${server.url}/metrics`)).text();
    const batches = metric(text, 'sluice_serve_batch_size_count')!;
    assert.equal(metric(text, 'sluice_serve_batch_size_sum'), n);
    // 24 one-instance requests sent together: far fewer model batches than requests.
    assert.ok(batches <= n / 4, `${n} instances went to the model in ${batches} batches`);
  });
});

test('maxBatchSize 1 turns batching off: one model batch per instance', async () => {
  await withServer(quickstartConfig((c) => (c.serve = { maxBatchSize: 1, batchTimeoutMs: 50 })), async (server) => {
    const n = 10;
    await Promise.all(records.slice(0, n).map((rec) => post(`${server.url}/v1/predict`, { instances: [rec] })));
    const text = await (await fetch(`${server.url}/metrics`)).text();
    assert.equal(metric(text, 'sluice_serve_batch_size_count'), n);
    assert.equal(metric(text, 'sluice_serve_batch_size_bucket{le="1"}'), n);
  });
});
