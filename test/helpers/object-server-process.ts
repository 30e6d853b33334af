/**
 * A local object-store server for tests, run as a child process (so that tests may block on
 * `spawnSync` of the CLI while it serves): `node object-server-process.js <s3|gcs> [faultEvery]`.
 * Prints one JSON line `{"port": …}` when ready, and serves until killed.
 *
 * - s3: s3rver (needs `--openssl-legacy-provider` in this process for ListObjectsV2 paging on
 *   Node >= 17; the parent passes it).
 * - gcs: the Cloud Storage emulator of firebase-tools, started in-process without its rules
 *   runtime (a JAR download): the GCS JSON API it serves uses the admin storage layer, which
 *   needs no rules.
 *
 * A proxy stands in front of the server and counts requests (GETs by path). With
 * `faultEvery = n` it injects faults: every n-th request is answered 503 (S3: `SlowDown`, GCS: a
 * JSON error) without reaching the server, so clients must retry. It also stands in for S3's
 * AbortMultipartUpload, which s3rver lacks: it answers it 204 and records it. `GET /__stats`
 * returns what the proxy did.
 *
 * Neither server implements conditional creates, which output leases rely on (S3 `PUT` with
 * `If-None-Match: *`, GCS uploads with `ifGenerationMatch=0`): the proxy does, as the real
 * services do. It serialises such requests per object name, asks the server whether the object
 * exists, and answers 412 when it does, else forwards the write.
 */
import http from 'node:http';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';

const require = createRequire(import.meta.url);
const [kind, faultArg] = process.argv.slice(2);
const faultEvery = Number(faultArg ?? 0);

async function startS3(): Promise<number> {
  const S3rver = require('s3rver');
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-s3rver-'));
  process.on('exit', () => fs.rmSync(directory, { recursive: true, force: true }));
  const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory });
  const address = (await server.run()) as AddressInfo;
  return address.port;
}

async function startGcs(): Promise<number> {
  const { StorageEmulator } = require('firebase-tools/lib/emulator/storage/index.js');
  const { createApp } = require('firebase-tools/lib/emulator/storage/server.js');
  const { EmulatorRegistry } = require('firebase-tools/lib/emulator/registry.js');
  const emulator = new StorageEmulator({ projectId: 'demo-sluice', host: '127.0.0.1', port: 0, rules: [] });
  const app = await createApp('demo-sluice', emulator);
  const server: http.Server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const port = (server.address() as AddressInfo).port;
  // The emulator builds object URLs from its registered host and port.
  emulator.args.port = port;
  EmulatorRegistry.set('storage', emulator);
  return port;
}

/** Conditional creates in flight, by object: the next one waits for the previous one. */
const creating = new Map<string, Promise<void>>();

/** The object a conditional create names, or undefined for any other request. */
function conditionalCreate(req: http.IncomingMessage, url: URL): { object: string; probe: string } | undefined {
  if (kind === 's3' && req.method === 'PUT' && req.headers['if-none-match'] === '*' && !url.searchParams.has('uploadId')) {
    return { object: url.pathname, probe: url.pathname };
  }
  const name = url.searchParams.get('name');
  if (kind === 'gcs' && req.method === 'POST' && url.searchParams.get('ifGenerationMatch') === '0' && name) {
    const bucket = /^\/upload\/storage\/v1\/b\/([^/]+)\/o/.exec(url.pathname)?.[1];
    if (bucket) return { object: `${bucket}/${name}`, probe: `/storage/v1/b/${bucket}/o/${encodeURIComponent(name)}` };
  }
  return undefined;
}

/** Whether the server holds an object (HEAD on S3, a metadata GET on GCS). */
function objectExists(upstream: number, probe: string): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const r = http.request({ host: '127.0.0.1', port: upstream, method: kind === 's3' ? 'HEAD' : 'GET', path: probe }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode === 200));
    });
    r.on('error', reject);
    r.end();
  });
}

/** Forwards to `upstream`, answering every `faultEvery`-th request with a 503 instead. */
function startProxy(upstream: number): Promise<number> {
  const stats = { requests: 0, faults: 0, aborts: [] as string[], gets: {} as Record<string, number> };
  const server = http.createServer((req, res) => {
    if (req.url === '/__stats') return void res.end(JSON.stringify(stats));
    stats.requests++;
    const url = new URL(req.url!, 'http://x');
    if (req.method === 'GET') stats.gets[decodeURIComponent(url.pathname)] = (stats.gets[decodeURIComponent(url.pathname)] ?? 0) + 1;
    if (kind === 's3' && req.method === 'DELETE' && url.searchParams.has('uploadId')) {
      // AbortMultipartUpload, which s3rver does not implement: recorded and acknowledged here.
      stats.aborts.push(`${url.pathname}?uploadId=${url.searchParams.get('uploadId')}`);
      req.resume();
      return void res.writeHead(204).end();
    }
    if (faultEvery > 0 && stats.requests % faultEvery === 0) {
      stats.faults++;
      req.resume();
      if (kind === 's3') {
        res.writeHead(503, { 'content-type': 'application/xml' });
        return void res.end('<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>');
      }
      res.writeHead(503, { 'content-type': 'application/json' });
      return void res.end(JSON.stringify({ error: { code: 503, message: 'Service Unavailable (injected)' } }));
    }
    const create = conditionalCreate(req, url);
    if (create) {
      const before = creating.get(create.object) ?? Promise.resolve();
      let release!: () => void;
      const mine = new Promise<void>((r) => (release = r));
      creating.set(create.object, before.then(() => mine));
      res.on('close', release);
      void before.then(async () => {
        if (await objectExists(upstream, create.probe).catch(() => false)) {
          req.resume();
          if (kind === 's3') {
            res.writeHead(412, { 'content-type': 'application/xml' });
            return void res.end('<?xml version="1.0" encoding="UTF-8"?><Error><Code>PreconditionFailed</Code><Message>At least one of the pre-conditions you specified did not hold</Message></Error>');
          }
          res.writeHead(412, { 'content-type': 'application/json' });
          return void res.end(JSON.stringify({ error: { code: 412, message: 'Precondition Failed' } }));
        }
        pass();
      });
      return;
    }
    pass();
    function pass(): void {
    const forward = http.request({ host: '127.0.0.1', port: upstream, method: req.method, path: req.url, headers: req.headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.on('error', () => res.destroy());
      up.pipe(res);
    });
    // A connection that breaks (a client giving up mid-upload, the server resetting mid-answer)
    // ends this exchange only: headers already sent cannot become a 502, and nothing may throw.
    forward.on('error', () => (res.headersSent ? res.destroy() : res.writeHead(502).end()));
    req.on('error', () => forward.destroy());
    res.on('error', () => undefined);
    req.pipe(forward);
    }
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

// A test server must outlive one broken exchange: say what went wrong (the parent keeps
// stderr for its messages) and go on serving instead of taking every later test down with it.
process.on('uncaughtException', (err) => process.stderr.write(`object server: uncaught ${err.stack ?? err}\n`));

const port = kind === 's3' ? await startS3() : kind === 'gcs' ? await startGcs() : NaN;
if (Number.isNaN(port)) throw new Error(`usage: object-server-process.js <s3|gcs> [faultEvery]`);
const front = await startProxy(port);
process.stdout.write(`${JSON.stringify({ port: front, upstream: port })}\n`);
