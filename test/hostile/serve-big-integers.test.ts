/**
 * JSON integers beyond 2^53 in `sluice serve` request bodies (issue 16, item 9, over HTTP): keys
 * and forwarded fields of the answers keep the request's exact digits, as a batch run's rows
 * do (test/hostile/big-integers.test.ts); features keep their dtype rules. Run on the server's
 * own thread and on a worker thread (the instances cross a thread boundary).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { QUICKSTART_DIR, quickstartConfig } from '../helpers/online.js';
import { BIG_INTEGER_LINES } from '../helpers/big-integers.js';
import { startServer } from '../../src/index.js';
import { parseJsonExact } from '../../src/core/exact-json.js';

const INSTANCES = BIG_INTEGER_LINES;

for (const workers of [0, 1]) {
  test(`serve.workers ${workers}: answers keep the exact digits of keys and forwarded fields; 2^53 and 2^53+1 stay two keys`, async () => {
    const config = quickstartConfig((c) => {
      c.key.forward = ['big'];
      c.post = [];
      c.serve = { workers };
    });
    const server = await startServer(config, { port: 0, baseDir: QUICKSTART_DIR });
    try {
      await server.ready;
      const res = await fetch(`${server.url}/v1/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: `{"instances":[${INSTANCES.join(',')}]}` });
      const text = await res.text();
      assert.equal(res.status, 200, text);
      // The answer's text holds the request's digits as bare numbers.
      assert.match(text, /\{"key":12345678901234567890,"big":12345678901234567890,"prediction":\[/);
      assert.match(text, /\{"key":9007199254740993,"big":\[9007199254740993,-9223372036854775808\],"prediction":\[/);
      assert.match(text, /\{"key":9007199254740992,"big":0\.12345678901234568,"prediction":\[/);
      assert.match(text, /\{"key":"s","big":"12345678901234567890","prediction":\[/);
      const answers = (parseJsonExact(text) as { predictions: any[] }).predictions;
      assert.deepEqual(answers.map((a) => a.key), [12345678901234567890n, 9007199254740993n, 9007199254740992n, 's', 12345678901234567891n]);
      assert.equal(answers[4].stage, 'decode');
      assert.match(answers[4].error, /measurements/);
      // Feature values follow the dtype (float32): the big integer is a number the model takes.
      assert.equal(answers[3].prediction.length, 3);
      assert.ok(answers.slice(0, 4).every((a) => a.prediction.every((p: number) => Number.isFinite(p))));
    } finally {
      await server.close();
    }
  });
}
