/**
 * The metrics sink sliced by a forwarded field holding integers beyond 2^53 (issue 16, item 9):
 * a real `sluice run` of the quickstart model over two files (two partitions, their states
 * merged). The slices of 2^53 and 2^53+1 stay two, each value is written as the string of its
 * exact digits (a JSON reader would round a bare one), and the string "12345678901234567890"
 * stays a slice apart from the number with the same digits. It used to throw (JSON.stringify of
 * a bigint) and fail every partition.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { QUICKSTART_DIR, quickstartConfig } from '../helpers/online.js';
import { sluice } from '../helpers/cli.js';

const SHARDS = ['12345678901234567890', '9007199254740993', '9007199254740992', '"12345678901234567890"', '"a"'];

test('metrics sliced by a field of integers beyond 2^53: one slice per exact value, written as its digits', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-metrics-bigint-'));
  try {
    const flowers = fs.readFileSync(path.join(QUICKSTART_DIR, 'data/flowers.jsonl'), 'utf8').split('\n').filter((l) => l.startsWith('{"id":"flower-'));
    fs.mkdirSync(path.join(root, 'data'));
    // Each line gets a shard: the JSON text of SHARDS[i % 5], spliced in so the digits stay exact.
    const lines = flowers.map((l, i) => `{"shard":${SHARDS[i % SHARDS.length]},${l.slice(1)}`);
    const half = Math.ceil(lines.length / 2);
    fs.writeFileSync(path.join(root, 'data/a.jsonl'), lines.slice(0, half).join('\n') + '\n');
    fs.writeFileSync(path.join(root, 'data/b.jsonl'), lines.slice(half).join('\n') + '\n');
    const config = quickstartConfig((c) => {
      c.source.uri = path.join(root, 'data');
      c.model.uri = path.join(QUICKSTART_DIR, 'model/model.json');
      c.key.forward = ['species', 'shard'];
      c.post = [];
      c.sink = [
        { type: 'jsonl', uri: path.join(root, 'out/predictions') },
        { type: 'metrics', uri: path.join(root, 'out/metrics'), label: 'species', task: 'multiclass', classes: ['setosa', 'versicolor', 'virginica'], slices: [['shard']] },
      ];
      c.errors.uri = path.join(root, 'out/errors');
      c.execution = { workers: 2 };
    });
    fs.writeFileSync(path.join(root, 'pipeline.json'), JSON.stringify(config));
    const r = sluice(['run', path.join(root, 'pipeline.json')]);
    assert.equal(r.status, 0, r.stderr);
    const metrics = JSON.parse(fs.readFileSync(path.join(root, 'out/metrics/metrics.json'), 'utf8'));
    const slices = metrics.slices[0].values.map((v: any) => [v.slice.shard, v.records]);
    const expected = SHARDS.map((s, k) => [JSON.parse(s.startsWith('"') ? s : `"${s}"`), lines.filter((_, i) => i % SHARDS.length === k).length]);
    const order = (a: any[], b: any[]) => String(a[0]).localeCompare(String(b[0])) || a[1] - b[1];
    assert.deepEqual([...slices].sort(order), [...expected].sort(order));
    // The number and the string with the same digits are two slices.
    assert.equal(metrics.slices[0].values.filter((v: any) => v.slice.shard === '12345678901234567890').length, 2);
    assert.equal(metrics.records, lines.length);
    assert.ok(fs.existsSync(path.join(root, 'out/metrics/metrics.html')));
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});
