/**
 * `sluice serve` as users run it (the compiled CLI, a child process): it prints where it
 * listens, drains in-flight requests on SIGTERM (answering them, then exiting 0), and refuses
 * a bad config with exit 2 before listening.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sluice } from '../helpers/cli.js';
import { QUICKSTART_CONFIG, post, quickstartRecords, serveCli } from '../helpers/online.js';

/** Starts `sluice serve` of the quickstart on a free port; resolves once it says where it listens. */
const serve = (args: string[]) => serveCli(QUICKSTART_CONFIG, args);

test('SIGTERM drains: a request in flight is answered, new connections are refused, exit 0', async () => {
  // Batches wait up to 20 s to fill: the request is still queued when the signal comes.
  const server = await serve(['--set', 'serve.batchTimeoutMs=20000', '--set', 'serve.maxBatchSize=64']);
  const records = quickstartRecords().slice(0, 3);
  const inFlight = post(`${server.url}/v1/predict`, { instances: records });
  // Until the server holds the request (its instances are queued), the signal would come too early.
  for (let i = 0; i < 500; i++) {
    const text = await (await fetch(`${server.url}/metrics`)).text();
    if (/^sluice_serve_queue_instances 3$/m.test(text)) break;
    await new Promise((r) => setTimeout(r, 10));
  }
  const started = Date.now();
  server.kill('SIGTERM');
  const answer = await inFlight;
  assert.equal(answer.status, 200);
  assert.deepEqual(answer.json.predictions.map((p: any) => p.key), ['flower-001', 'flower-002', 'flower-003']);
  // Sent at once on shutdown, not after the 20 s batch timeout.
  assert.ok(Date.now() - started < 15_000);
  assert.equal(await server.exit, 0, server.stderr());
  assert.match(server.stderr(), /sluice: SIGTERM: draining in-flight requests/);
  assert.match(server.stderr(), /sluice: stopped: every request received was answered\n$/);
  await assert.rejects(fetch(`${server.url}/healthz`));
});

test('a bad config exits 2 with one line per problem, before listening', () => {
  const r = sluice(['serve', QUICKSTART_CONFIG, '--port', '0', '--set', 'serve.maxQueue=0', '--set', 'serve.colour=1']);
  assert.equal(r.status, 2, r.stderr);
  assert.equal(
    r.stderr,
    'sluice: /serve/colour: unknown key (allowed: maxBatchSize, batchTimeoutMs, maxQueue, maxBodyBytes, workers, drainTimeoutMs, maxInstancesPerRequest, predictTimeoutMs, requestTimeoutMs, headersTimeoutMs)\n' +
      'sluice: /serve/maxQueue: must be >= 1, got 0\n' +
      'sluice: 2 problems in the config; nothing was run\n',
  );
  const port = sluice(['serve', QUICKSTART_CONFIG, '--port', '99999']);
  assert.equal(port.status, 2);
  assert.match(port.stderr, /--port <n>.*expected a port number from 0 to 65535, got "99999"/);
});
