import { test } from 'node:test';
import assert from 'node:assert/strict';
import os from 'node:os';
import { measure, selfReported } from '../../bench/measure.js';

test('measure times a real child process and keeps what it reports about itself', async () => {
  // A child that works ~200 ms after its own start-up and reports only the work, as a baseline does.
  const script = 'const t = performance.now(); while (performance.now() - t < 200); console.log("noise"); console.log(JSON.stringify({ rows: 1, loopSeconds: (performance.now() - t) / 1000 }))';
  const m = await measure(['-e', script], os.tmpdir());
  const own = selfReported(m);
  assert.ok(own !== undefined && own >= 0.2, `loopSeconds ${own}`);
  // The process time holds the loop plus Node's start-up and exit.
  assert.ok(m.seconds > own, `process ${m.seconds} s, loop ${own} s`);
  assert.ok(m.rssBytes > 10 * 2 ** 20, `peak RSS ${m.rssBytes}`);
});

test("selfReported reads Sluice's --json summary (pretty-printed) and is undefined without a figure", () => {
  const summary = JSON.stringify({ status: 'succeeded', seconds: 12.5, counts: { written: 3 } }, null, 2);
  assert.equal(selfReported({ seconds: 14, rssBytes: 1, stdout: summary }), 12.5);
  assert.equal(selfReported({ seconds: 1, rssBytes: 1, stdout: 'not json\n' }), undefined);
  assert.equal(selfReported({ seconds: 1, rssBytes: 1, stdout: '{"rows": 3}\n' }), undefined);
});

test('measure rejects with the tail of stderr when the child fails, so a broken contender gives no figure', async () => {
  await assert.rejects(measure(['-e', 'console.error("boom: bad model"); process.exit(3)'], os.tmpdir()), /exited with 3:\nboom: bad model/);
});
