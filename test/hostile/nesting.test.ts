/**
 * Deep nesting (issue 16, items 1–2) as a user meets it: one JSONL record whose forwarded field
 * nests 20,000 levels (a 40 KB line) fails alone in a batch run; over `sluice serve` (with a
 * worker thread) one deep instance gets its own error while its batch neighbours are predicted.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { QUICKSTART_DIR, post, quickstartConfig } from '../helpers/online.js';
import { readParts, sluice } from '../helpers/cli.js';
import { startServer } from '../../src/index.js';
import { MAX_NESTING_DEPTH, nestedDeeperThan } from '../../src/core/nesting.js';

const deep = (n: number) => '['.repeat(n) + ']'.repeat(n);
const flower = (i: number) => ({ id: `f${i}`, measurements: [5.1, 3.5, 1.4, 0.2], species: 'setosa' });

test('nestedDeeperThan counts levels of arrays and objects without recursing', () => {
  assert.equal(nestedDeeperThan(1, 0), false);
  assert.equal(nestedDeeperThan([], 0), true);
  assert.equal(nestedDeeperThan({ a: [{ b: 1 }] }, 3), false);
  assert.equal(nestedDeeperThan({ a: [{ b: [] }] }, 3), true);
  assert.equal(nestedDeeperThan(JSON.parse(deep(MAX_NESTING_DEPTH)), MAX_NESTING_DEPTH), false);
  assert.equal(nestedDeeperThan(JSON.parse(deep(1_000_000))), true);
});

test('a record nested 20,000 levels deep in a forwarded field is one error row (with its key); the rest of its partition is predicted', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-deep-'));
  try {
    const lines = Array.from({ length: 50 }, (_, i) => JSON.stringify(flower(i)));
    lines[7] = `{"id":"f7","measurements":[5.1,3.5,1.4,0.2],"species":${deep(20_000)}}`;
    lines[8] = `{"id":"f8","measurements":[5.1,3.5,1.4,0.2],"species":${deep(MAX_NESTING_DEPTH - 1)}}`;
    lines[9] = '{"id":1e400,"measurements":[5.1,3.5,1.4,0.2]}'; // issue 16 item 14: named, not "got null"
    fs.writeFileSync(path.join(root, 'data.jsonl'), lines.join('\n') + '\n');
    const config = quickstartConfig((c) => {
      c.source.uri = path.join(root, 'data.jsonl');
      c.model.uri = path.join(QUICKSTART_DIR, 'model/model.json');
      c.sink.uri = path.join(root, 'out/predictions');
      c.errors.uri = path.join(root, 'out/errors');
      c.execution = { workers: 1 };
    });
    fs.writeFileSync(path.join(root, 'pipeline.json'), JSON.stringify(config));
    const r = sluice(['run', path.join(root, 'pipeline.json')]);
    assert.equal(r.status, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /call stack|retrying/);
    const errors = readParts(path.join(root, 'out/errors'));
    assert.deepEqual(
      errors.map((e) => [e.key, e.index, e.stage, e.error]),
      [
        ['f7', 7, 'decode', `record nests arrays/objects deeper than ${MAX_NESTING_DEPTH} levels (the limit: see docs/limits.md)`],
        [null, 9, 'key', 'key field "id": expected a string or a number, got Infinity (beyond float64)'],
      ],
    );
    assert.equal(Buffer.byteLength(errors[0].raw), 4096, 'raw is cut at 4 KB');
    const predictions = readParts(path.join(root, 'out/predictions'));
    assert.equal(predictions.length, 48);
    assert.equal(JSON.stringify(predictions.find((p) => p.key === 'f8').species), deep(MAX_NESTING_DEPTH - 1), 'at the limit is forwarded as it is');
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('sluice serve with a worker thread: a deeply nested instance gets its own error, its batch neighbours are answered', async () => {
  const config = quickstartConfig((c) => {
    c.post = [];
    c.serve = { workers: 1, batchTimeoutMs: 50 };
  });
  const server = await startServer(config, { port: 0, baseDir: QUICKSTART_DIR });
  try {
    await server.ready;
    for (const depth of [2_500, 20_000]) {
      // Written as text: the client's own JSON.stringify cannot go this deep either.
      const body = JSON.stringify({ instances: [flower(0), { ...flower(1), species: 'DEEP' }, flower(2)] }).replace('"DEEP"', deep(depth));
      const requests = [post(`${server.url}/v1/predict`, body)];
      for (let i = 0; i < 20; i++) requests.push(post(`${server.url}/v1/predict`, { instances: [flower(10 + i)] }));
      const [mixed, ...others] = await Promise.all(requests);
      assert.equal(mixed!.status, 200, JSON.stringify(mixed!.json));
      const answers = mixed!.json.predictions;
      assert.deepEqual(answers[1], { key: null, error: `record nests arrays/objects deeper than ${MAX_NESTING_DEPTH} levels (the limit: see docs/limits.md)`, stage: 'decode' });
      assert.equal(answers[0].key, 'f0');
      assert.equal(answers[2].key, 'f2');
      assert.ok('prediction' in answers[0] && 'prediction' in answers[2]);
      for (const [i, o] of others.entries()) {
        assert.equal(o.status, 200);
        assert.equal(o.json.predictions[0].key, `f${10 + i}`);
      }
    }
    assert.equal((await fetch(`${server.url}/readyz`)).status, 200);
  } finally {
    await server.close();
  }
});
