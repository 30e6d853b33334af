/**
 * `sluice serve` against abusive clients and a model that hangs (issue 16, items 3–5, 14):
 * a worker thread that hangs is replaced and its requests answered 503 while /readyz tells
 * the truth; too many instances is 413 naming the limit; a client that sends headers and no
 * body is cut off by the request timeout and does not hold a shutdown; text/plain is 415.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { QUICKSTART_DIR, post, quickstartConfig, serveCli } from '../helpers/online.js';
import { HANG_LAYER_ENV, HANG_VALUE, saveHangModel } from '../helpers/hang-model.js';

const POISON = HANG_VALUE;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-serve-limits-'));

/** `sluice serve <config>` from the test's directory. */
const serve = (config: string, env: NodeJS.ProcessEnv = {}) => serveCli(config, [], { env, cwd: dir });

function writeConfig(name: string, config: unknown): string {
  const file = path.join(dir, `${name}.json`);
  fs.writeFileSync(file, JSON.stringify(config));
  return file;
}

const waitUntil = async (what: string, ms: number, check: () => Promise<boolean>) => {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(`${what} within ${ms} ms`);
};

before(() => saveHangModel(path.join(dir, 'hang-model')));

after(() => fs.rmSync(dir, { recursive: true, force: true }));

test('a worker thread that hangs is replaced: its requests get 503, /readyz says so until the new thread is ready, later requests are answered', async () => {
  const config = writeConfig('hang', {
    source: { type: 'jsonl', uri: 'unused.jsonl' },
    decode: { type: 'json', features: { x: { dtype: 'float32', shape: [4] } } },
    key: { type: 'field', field: 'id' },
    model: { type: 'tfjs', uri: 'hang-model/model.json', batchSize: 16 },
    sink: { type: 'jsonl', uri: 'out' },
    serve: { workers: 1, predictTimeoutMs: 1500 },
  });
  const server = await serve(config, HANG_LAYER_ENV);
  try {
    const ok = await post(`${server.url}/v1/predict`, { instances: [{ id: 'a', x: [1, 2, 3, 4] }] });
    assert.equal(ok.status, 200);
    const started = Date.now();
    const hung = await post(`${server.url}/v1/predict`, { instances: [{ id: 'p', x: [POISON, 2, 3, 4] }] });
    assert.equal(hung.status, 503, JSON.stringify(hung.json));
    assert.equal(hung.headers.get('retry-after'), '1');
    assert.equal(hung.json.error, 'the model did not answer within serve.predictTimeoutMs (1500 ms); its worker thread was replaced');
    assert.ok(Date.now() - started < 10_000);
    // The replacement loads the model; then predictions come back and /readyz is 200 again.
    await waitUntil('readyz 200 again', 30_000, async () => (await fetch(`${server.url}/readyz`)).status === 200);
    const later = await post(`${server.url}/v1/predict`, { instances: [{ id: 'b', x: [1, 2, 3, 4] }] });
    assert.equal(later.status, 200);
    assert.deepEqual(later.json.predictions[0].key, 'b');
  } finally {
    server.kill('SIGKILL');
    await server.exit;
  }
});

test('serve.maxInstancesPerRequest: a request with more instances is 413 naming the limit; text/plain is 415', async () => {
  const config = writeConfig('limits', quickstartConfig((c) => {
    c.model.uri = path.join(QUICKSTART_DIR, 'model/model.json');
    c.serve = { maxInstancesPerRequest: 100 };
  }));
  const server = await serve(config);
  try {
    const instance = { id: 'a', measurements: [5.1, 3.5, 1.4, 0.2] };
    const big = await post(`${server.url}/v1/predict`, { instances: Array.from({ length: 101 }, () => instance) });
    assert.equal(big.status, 413);
    assert.deepEqual(big.json, { error: 'request holds 101 instances, more than serve.maxInstancesPerRequest (100); split it' });
    assert.equal((await post(`${server.url}/v1/predict`, { instances: Array.from({ length: 100 }, () => instance) })).status, 200);
    const text = await fetch(`${server.url}/v1/predict`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{"instances":[]}' });
    assert.equal(text.status, 415);
    assert.deepEqual(await text.json(), { error: 'unsupported content type text/plain; send application/json' });
  } finally {
    server.kill('SIGKILL');
    await server.exit;
  }
});

test('a client that sends headers and never its body is cut off by serve.requestTimeoutMs, and does not hold a shutdown', async () => {
  const config = writeConfig('slow', quickstartConfig((c) => {
    c.model.uri = path.join(QUICKSTART_DIR, 'model/model.json');
    c.serve = { requestTimeoutMs: 2000, headersTimeoutMs: 1000 };
  }));
  const server = await serve(config);
  const { port } = new URL(server.url);
  const connect = () =>
    new Promise<{ socket: net.Socket; closed: Promise<number> }>((resolve) => {
      const socket = net.connect(Number(port), '127.0.0.1', () => {
        const at = Date.now();
        socket.write('POST /v1/predict HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{"inst');
        resolve({ socket, closed: new Promise((r) => socket.on('close', () => r(Date.now() - at))) });
      });
      socket.on('error', () => undefined);
      socket.resume(); // read the 408 answer, so the close is seen
    });
  const first = await connect();
  const lasted = await first.closed;
  assert.ok(lasted >= 1500 && lasted < 6000, `closed after ${lasted} ms`);
  // Another such client while the server shuts down: the shutdown does not wait 30 s for it.
  await connect();
  await new Promise((r) => setTimeout(r, 300)); // until the server has read its headers
  const started = Date.now();
  server.kill('SIGTERM');
  const code = await server.exit;
  assert.ok(Date.now() - started < 8000, `shutdown took ${Date.now() - started} ms`);
  assert.equal(code, 0, server.stderr());
  assert.match(server.stderr(), /stopped: every request received was answered; 1 connection\(s\) that had not sent a whole request were closed\n$/);
});
