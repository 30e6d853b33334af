// A complete Sluice sink plugin: delivers the prediction rows of each partition as JSON Lines to
// an HTTP endpoint (loopback only in this example), exactly once. Name it in a config by its path:
//
//   "sink": { "type": "./http-sink.js", "uri": "out/http-receipts" }
//
// Exactly once, with Sluice's sink lifecycle: `write` only stages the rows in a file of the
// partition's attempt (Sluice keeps it invisible under `_temporary/`); a failed, killed or
// abandoned attempt therefore sends nothing. Once the partition is committed (its file is
// `<uri>/part-00000-of-00001.jsonl` and its manifest entry is written), Sluice calls `commit`,
// which POSTs that whole file with the header `Idempotency-Key: part-00000-of-00001`. A failed
// POST is retried (execution.maxAttempts) under the same key, and a run that stopped before the
// POST succeeded sends it when run again: a server that replaces what it stored under a key holds
// every row exactly once, and never a partial partition.
import http from 'node:http';
import { createRowWriter, defineStage } from 'sluice';

const LOOPBACK = '^http://(127\\.0\\.0\\.1|localhost|\\[::1\\])(:[0-9]+)?(/.*)?$';
/** Where rows go when neither `url` nor PREDICTIONS_URL is set. */
const DEFAULT_URL = 'http://127.0.0.1:8080/predictions';
const pad = (n) => String(n).padStart(5, '0');
const partName = (p) => `part-${pad(p.id)}-of-${pad(p.of)}`;
const urlOf = (options) => options.url ?? process.env.PREDICTIONS_URL ?? DEFAULT_URL;

/** POSTs `body` to `url`; rejects with one line on a non-2xx status, a network error or silence. */
function post(url, body, key, timeoutMs) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', headers: { 'content-type': 'application/x-ndjson', 'idempotency-key': key } });
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (s) => (text += s));
      res.on('error', reject);
      res.on('end', () => {
        if (res.statusCode >= 200 && res.statusCode < 300) resolve();
        else reject(new Error(`POST ${url} answered ${res.statusCode}${text ? `: ${text.split('\n')[0].slice(0, 200)}` : ''}`));
      });
    });
    req.on('error', (err) => reject(new Error(`POST ${url}: ${err.message}`)));
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.end(body);
  });
}

export default defineStage()({
  kind: 'sink',
  type: 'http',
  summary: 'Delivers the rows of each committed partition as JSON Lines to an HTTP endpoint on this machine, exactly once (Idempotency-Key: the partition name).',
  optionsSchema: {
    type: 'object',
    properties: {
      url: {
        type: 'string',
        pattern: LOOPBACK,
        description: `The endpoint, on a loopback address: http://127.0.0.1:<port>/<path>. Default: the PREDICTIONS_URL environment variable, else ${DEFAULT_URL}.`,
      },
      uri: {
        type: 'string',
        minLength: 1,
        description: "A local directory (relative to the config file) where Sluice stages each partition's rows and keeps what was delivered (part files, _manifest, _SUCCESS).",
      },
      timeoutMs: { type: 'integer', minimum: 1, default: 30000, description: 'How long a request may stay silent before it fails.' },
    },
    required: ['uri', 'timeoutMs'],
    additionalProperties: false,
  },
  examples: [{ url: 'http://127.0.0.1:8080/predictions', uri: 'out/http-receipts', timeoutMs: 30000 }],
  outputDir: (options, ctx) => ctx.resolve(options.uri),
  // PREDICTIONS_URL is not checked by the schema: check it here, before any data is read.
  async check(options) {
    const url = urlOf(options);
    return new RegExp(LOOPBACK).test(url) ? [] : [`/sink/url: PREDICTIONS_URL must match ${LOOPBACK}, got "${url}"`];
  },
  create(options, ctx) {
    const dir = ctx.resolve(options.uri);
    return {
      // Stage: the rows go to this attempt's file only; nothing leaves the machine yet.
      open: (part) => {
        const writer = createRowWriter(part.createOutput(dir, 'jsonl'), (rows) => rows.map((row) => `${JSON.stringify(row)}\n`).join(''));
        return {
          write: (rows) => writer.write(rows),
          async end() {
            await writer.end();
            return { file: `${partName(part.partition)}.jsonl` };
          },
          abort: () => writer.abort(),
        };
      },
    };
  },
  // Publish: the committed file, whole, under the partition's key (idempotent: safe to repeat).
  async commit(options, state, ctx, partition) {
    const body = await ctx.storage.readAll(`${ctx.resolve(options.uri)}/${state.file}`);
    await post(urlOf(options), Buffer.from(body), partName(partition), options.timeoutMs);
  },
});
