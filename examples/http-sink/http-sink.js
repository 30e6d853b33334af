// A complete Sluice sink plugin: POSTs the prediction rows of each partition as JSON Lines to an
// HTTP endpoint (loopback only in this example). Name it in a config by its path:
//
//   "sink": { "type": "./http-sink.js", "url": "http://127.0.0.1:8080/predictions", "uri": "out/http-receipts" }
//
// One streaming request per partition (chunked body, with backpressure), keyed by the partition
// name in an Idempotency-Key header: a partition that is retried (a failed request, a crashed
// worker) is sent again under the same key, so a server that replaces the rows stored under a
// key ends up with every row exactly once. A non-2xx answer fails the partition attempt; Sluice
// retries it (execution.maxAttempts) and then fails the run with a message naming this stage.
import http from 'node:http';
import { createRowWriter, defineStage } from 'sluice';

const LOOPBACK = '^http://(127\\.0\\.0\\.1|localhost|\\[::1\\])(:[0-9]+)?(/.*)?$';
const pad = (n) => String(n).padStart(5, '0');

/** Waits for the server's answer to `req`; rejects with one line on a non-2xx status or a network error. */
function answerOf(req, url, timeoutMs) {
  return new Promise((resolve, reject) => {
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (text) => (body += text));
      res.on('error', reject);
      res.on('end', () => {
        if (res.statusCode >= 200 && res.statusCode < 300) resolve();
        else reject(new Error(`POST ${url} answered ${res.statusCode}${body ? `: ${body.split('\n')[0].slice(0, 200)}` : ''}`));
      });
    });
    req.on('error', (err) => reject(new Error(`POST ${url}: ${err.message}`)));
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
  });
}

export default defineStage()({
  kind: 'sink',
  type: 'http',
  summary: 'POSTs the rows of each partition as JSON Lines to an HTTP endpoint on this machine (Idempotency-Key: the partition name).',
  optionsSchema: {
    type: 'object',
    properties: {
      url: { type: 'string', pattern: LOOPBACK, description: 'The endpoint, on a loopback address: http://127.0.0.1:<port>/<path>.' },
      uri: {
        type: 'string',
        minLength: 1,
        description: "A local directory (relative to the config file) where Sluice keeps this sink's commit records (_manifest, _SUCCESS); no rows are written there.",
      },
      timeoutMs: { type: 'integer', minimum: 1, default: 30000, description: 'How long a request may stay silent before it fails.' },
    },
    required: ['url', 'uri', 'timeoutMs'],
    additionalProperties: false,
  },
  accepts: 'Prediction',
  emits: 'Rows',
  examples: [{ url: 'http://127.0.0.1:8080/predictions', uri: 'out/http-receipts', timeoutMs: 30000 }],
  outputDir: (options, ctx) => ctx.resolve(options.uri),
  create(options) {
    return {
      open(part) {
        const name = `part-${pad(part.partition.id)}-of-${pad(part.partition.of)}`;
        const req = http.request(options.url, {
          method: 'POST',
          headers: { 'content-type': 'application/x-ndjson', 'idempotency-key': name },
          signal: part.signal,
        });
        const answer = answerOf(req, options.url, options.timeoutMs);
        answer.catch(() => undefined); // reported by end(); keeps an early failure from going unhandled
        // createRowWriter gives the request body backpressure (waits for 'drain') and error handling.
        const writer = createRowWriter(req, (rows) => rows.map((row) => `${JSON.stringify(row)}\n`).join(''));
        return {
          write: (rows) => writer.write(rows),
          async end() {
            // The request's own error says less than the answer's (a status, a refused connection).
            await Promise.all([writer.end().catch(() => answer), answer]);
          },
        };
      },
    };
  },
});
