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
import { fileURLToPath } from 'node:url';
import { spawn } from 'node:child_process';
import { CLI, ROOT, assertClose, byKey, readParts, sluiceAsync } from '../helpers/cli.js';

const example = path.join(ROOT, 'examples/http-sink');
const expected = (name: string) =>
  fs.readFileSync(path.join(example, 'expected', name), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));

/** A server storing the rows of each request under its Idempotency-Key (replacing earlier ones), answering `fail(n)` when it returns a status. */
async function startServer(fail: (request: number) => number | undefined = () => undefined) {
  const stored = new Map<string, any[]>();
  /** Every request's key and row count, in order (failed ones too). */
  const log: { key: string; rows: number }[] = [];
  let requests = 0;
  const server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (s: string) => (body += s));
    req.on('end', () => {
      const rows = body.split('\n').filter(Boolean);
      log.push({ key: String(req.headers['idempotency-key']), rows: rows.length });
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
  return { url, stored, log, requests: () => requests, close: () => new Promise<void>((r) => server.close(() => r())) };
}

function outDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-http-sink-'));
}

function runArgs(out: string, extra: string[] = [], config = path.join(example, 'pipeline.json')): string[] {
  return ['run', config, '--json', '--set', `sink.uri=${path.join(out, 'receipts')}`, '--set', `errors.uri=${path.join(out, 'errors')}`, ...extra];
}

async function runExample(url: string, out: string, extra: string[] = []) {
  return sluiceAsync(runArgs(out, extra), { env: { PREDICTIONS_URL: url } });
}

/** The example's pipeline with the faulty test sink (test/examples/modules) in its place, in `out`. */
function faultyConfig(out: string, sink: Record<string, unknown>, edit: (c: any) => void = () => undefined): string {
  const config = JSON.parse(fs.readFileSync(path.join(example, 'pipeline.json'), 'utf8'));
  delete config.$schema;
  config.source.uri = path.join(example, config.source.uri);
  config.model.uri = path.join(example, config.model.uri);
  config.sink = { type: path.join(path.dirname(fileURLToPath(import.meta.url)), 'modules/faulty-http-sink.js'), uri: 'receipts', ...sink };
  edit(config);
  const file = path.join(out, 'pipeline.json');
  fs.writeFileSync(file, JSON.stringify(config));
  return file;
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

test('example http-sink: a receiver answering 500 twice gets the whole partition three times under one key, and holds it once', async () => {
  const server = await startServer((n) => (n <= 2 ? 500 : undefined));
  try {
    const r = await runExample(server.url, outDir());
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(server.log, [1, 2, 3].map(() => ({ key: 'part-00000-of-00001', rows: 150 })), 'every request holds the whole committed partition, nothing partial');
    const rows = [...server.stored.values()].flat();
    assert.equal(rows.length, 150);
    assert.equal(new Set(rows.map((x) => x.key)).size, 150);
  } finally {
    await server.close();
  }
});

test('example http-sink: an attempt whose write fails delivers nothing (maxAttempts 1: not one row is sent)', async () => {
  const server = await startServer();
  try {
    const out = outDir();
    const r = await sluiceAsync(runArgs(out, ['--set', 'execution.maxAttempts=1'], faultyConfig(out, { failAtRow: 100 })), { env: { PREDICTIONS_URL: server.url } });
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /injected: write failed at row 1\d\d/);
    assert.equal(server.requests(), 0, 'a failed attempt sends nothing');
    // A later good run delivers every row once.
    const again = await sluiceAsync(runArgs(out, [], faultyConfig(out, {})), { env: { PREDICTIONS_URL: server.url } });
    assert.equal(again.status, 0, again.stderr);
    assert.deepEqual(server.log, [{ key: 'part-00000-of-00001', rows: 150 }]);
  } finally {
    await server.close();
  }
});

test('example http-sink: the run killed (kill -9) mid-partition and rerun: every row delivered exactly once, no request partial', async () => {
  const server = await startServer();
  try {
    const out = outDir();
    // Small partitions, slow writes: the kill lands while partitions are in flight.
    const config = faultyConfig(out, { delayMs: 40 }, (c) => ((c.model.batchSize = 4), (c.execution = { workers: 2, partitionBytes: 1500 })));
    const child = spawn(process.execPath, [CLI, ...runArgs(out, [], config)], { env: { ...process.env, PREDICTIONS_URL: server.url }, stdio: 'ignore' });
    const exited = new Promise((r) => child.once('exit', r));
    const until = Date.now() + 60_000;
    while (server.requests() < 2 && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
    child.kill('SIGKILL');
    await exited;
    const partitions = JSON.parse(fs.readFileSync(path.join(out, 'receipts/_manifest/run.json'), 'utf8')).partitions.length;
    assert.ok(server.stored.size < partitions, `the kill came too late: ${server.stored.size} of ${partitions} partitions were delivered`);
    const r = await sluiceAsync(runArgs(out, [], config), { env: { PREDICTIONS_URL: server.url } });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(server.stored.size, partitions);
    const rows = [...server.stored.values()].flat();
    assert.equal(rows.length, 150);
    assert.equal(new Set(rows.map((x) => x.key)).size, 150, 'a row was delivered twice');
    // Each request carried one whole committed partition: its receipt file, row for row.
    for (const { key, rows: n } of server.log) {
      const file = path.join(out, 'receipts', `${key}.jsonl`);
      assert.equal(n, fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).length, `${key}: a partial request`);
    }
  } finally {
    await server.close();
  }
});

test('example http-sink: a server that keeps failing fails the run (exit 1) with one line naming the stage', async () => {
  const server = await startServer(() => 500);
  try {
    const out = outDir();
    const r = await runExample(server.url, out, ['--set', 'execution.maxAttempts=2']);
    assert.equal(r.status, 1, r.stderr);
    const last = r.stderr.trim().split('\n').pop()!;
    assert.match(
      last,
      /^sluice: \/sink \(http\): partition 0 \(.*flowers\.jsonl\) is committed but was not delivered after 2 attempts: POST http:\/\/127\.0\.0\.1:\d+\/predictions answered 500: try again later; running the same command again delivers it \(0 of 1 partitions are committed; run the same command again to resume\)$/,
    );
    assert.equal(server.requests(), 2);
    assert.ok(!fs.existsSync(path.join(out, 'receipts/_SUCCESS')));
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace without --verbose');
  } finally {
    await server.close();
  }
});

test('example http-sink: validates without PREDICTIONS_URL (the default endpoint); a non-loopback one is a config error', async () => {
  const env = { ...process.env };
  delete env.PREDICTIONS_URL;
  const ok = await sluiceAsync(['validate', path.join(example, 'pipeline.json')], { env });
  assert.equal(ok.status, 0, ok.stderr);
  const bad = await sluiceAsync(['validate', path.join(example, 'pipeline.json')], { env: { PREDICTIONS_URL: 'https://example.com/x' } });
  assert.equal(bad.status, 2, bad.stderr);
  assert.match(bad.stderr, /^sluice: \/sink\/url: PREDICTIONS_URL must match .*, got "https:\/\/example\.com\/x"$/m);
});

test('example http-sink: its options are validated against its own schema (exit 2, one line each)', async () => {
  const r = await runExample('http://127.0.0.1:1/predictions', outDir(), ['--set', 'sink.url=https://example.com/predictions', '--set', 'sink.timeoutMs="soon"', '--set', 'sink.retries=3']);
  assert.equal(r.status, 2, r.stderr);
  const lines = r.stderr.trim().split('\n');
  assert.deepEqual(lines, [
    'sluice: /sink/retries: unknown key (allowed: url, uri, timeoutMs)',
    'sluice: /sink/url: must match ^http://(127\\.0\\.0\\.1|localhost|\\[::1\\])(:[0-9]+)?(/.*)?$, got "https://example.com/predictions"',
    'sluice: /sink/timeoutMs: must be an integer >= 1, got "soon"',
    'sluice: 3 problems in the config; nothing was run',
  ]);
});
