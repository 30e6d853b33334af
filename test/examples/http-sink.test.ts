/**
 * The example sink plugin (examples/http-sink/http-sink.js) end to end: the CLI loads it from
 * the config by path in its worker threads and posts to a real node:http server on 127.0.0.1
 * run by this test. Golden: the rows the server stores equal expected/.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { ROOT, assertClose, byKey, readParts, sluiceAsync } from '../helpers/cli.js';

const example = path.join(ROOT, 'examples/http-sink');
const expected = (name: string) =>
  fs.readFileSync(path.join(example, 'expected', name), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));

/** A server storing the rows of each request under its Idempotency-Key (replacing earlier ones), answering `fail(n)` when it returns a status. */
async function startServer(fail: (request: number) => number | undefined = () => undefined) {
  const stored = new Map<string, any[]>();
  let requests = 0;
  const server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (s: string) => (body += s));
    req.on('end', () => {
      const status = fail(++requests);
      if (status) {
        res.statusCode = status;
        res.end('try again later\n');
        return;
      }
      stored.set(String(req.headers['idempotency-key']), body.split('\n').filter(Boolean).map((l) => JSON.parse(l)));
      res.end('stored\n');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/predictions`;
  return { url, stored, requests: () => requests, close: () => new Promise<void>((r) => server.close(() => r())) };
}

function outDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-http-sink-'));
}

async function runExample(url: string, out: string, extra: string[] = []) {
  return sluiceAsync(
    ['run', path.join(example, 'pipeline.json'), '--json', '--set', `sink.uri=${path.join(out, 'receipts')}`, '--set', `errors.uri=${path.join(out, 'errors')}`, ...extra],
    { env: { PREDICTIONS_URL: url } },
  );
}

test('example http-sink: every prediction reaches the server once, errors go to the errors sink (golden)', async () => {
  const server = await startServer();
  try {
    const out = outDir();
    const r = await runExample(server.url, out);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual([...server.stored.keys()], ['part-00000-of-00001']);
    const rows = [...server.stored.values()].flat();
    assertClose(byKey(rows), byKey(expected('predictions.jsonl')), 1e-4);
    // The input lies outside the example's directory, so error rows name it by absolute path.
    // JSON.parse's own wording varies across Node versions: compare only what Sluice says.
    const file = (rows: any[]) =>
      rows.map((e) => ({ ...e, source: path.basename(e.source), error: e.error.startsWith('invalid JSON: ') ? 'invalid JSON: …' : e.error }));
    assertClose(byKey(file(readParts(path.join(out, 'errors')))), byKey(file(expected('errors.jsonl'))), 1e-4);
    assert.ok(fs.existsSync(path.join(out, 'receipts/_SUCCESS')), 'the sink directory holds the commit records');
    assert.match(r.stderr, /→ http \(\+ errors jsonl\)/, 'the chain names the plugin by its type');
  } finally {
    await server.close();
  }
});

test('example http-sink: a failed request is retried under the same key; no row lost or duplicated', async () => {
  const server = await startServer((n) => (n === 1 ? 503 : undefined));
  try {
    const r = await runExample(server.url, outDir());
    assert.equal(r.status, 0, r.stderr);
    assert.equal(server.requests(), 2);
    const rows = [...server.stored.values()].flat();
    assert.equal(rows.length, 150);
    assert.equal(new Set(rows.map((x) => x.key)).size, 150);
  } finally {
    await server.close();
  }
});

test('example http-sink: a server that keeps failing fails the run (exit 1) with one line naming the stage', async () => {
  const server = await startServer(() => 500);
  try {
    const r = await runExample(server.url, outDir(), ['--set', 'execution.maxAttempts=2']);
    assert.equal(r.status, 1, r.stderr);
    const last = r.stderr.trim().split('\n').pop()!;
    assert.match(last, /^partition 0 \(.*flowers\.jsonl\) failed after 2 attempts: \/sink \(http\): POST http:\/\/127\.0\.0\.1:\d+\/predictions answered 500: try again later \(0 of 1 partitions are committed; run the same command again to resume\)$/);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace without --verbose');
  } finally {
    await server.close();
  }
});

test('example http-sink: its options are validated against its own schema (exit 2, one line each)', async () => {
  const r = await runExample('https://example.com/predictions', outDir(), ['--set', 'sink.timeoutMs="soon"', '--set', 'sink.retries=3']);
  assert.equal(r.status, 2, r.stderr);
  const lines = r.stderr.trim().split('\n');
  assert.deepEqual(lines, [
    '/sink/retries: unknown key (allowed: url, uri, timeoutMs)',
    '/sink/url: must match ^http://(127\\.0\\.0\\.1|localhost|\\[::1\\])(:[0-9]+)?(/.*)?$, got "https://example.com/predictions"',
    '/sink/timeoutMs: must be an integer >= 1, got "soon"',
    'sluice: 3 problems in the config; nothing was run',
  ]);
});
