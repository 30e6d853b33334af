/**
 * JSON integers beyond 2^53 (issue 16, item 9) as a user meets them: keys and forwarded values
 * keep the input's exact number text in the jsonl and csv sinks and as int64 in the TFRecord
 * sink; ids 9007199254740993 and 9007199254740992 stay two keys; features keep their dtype rules.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { QUICKSTART_DIR, quickstartConfig } from '../helpers/online.js';
import { BIG_INTEGER_LINES } from '../helpers/big-integers.js';
import { sluice } from '../helpers/cli.js';
import { specRead } from '../helpers/tfrecord.js';
import { ExampleType } from '../../stages/decode/tf-example/proto.js';
import { parseJsonExact, stringifyExact } from '../../src/core/exact-json.js';

const LINES = BIG_INTEGER_LINES;

/** Runs the quickstart over LINES with `sink` and returns the text of every output file by folder. */
function run(sink: string): { root: string; files: (dir: string) => string[] } {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-bigint-'));
  fs.writeFileSync(path.join(root, 'data.jsonl'), LINES.join('\n') + '\n');
  const config = quickstartConfig((c) => {
    c.source.uri = path.join(root, 'data.jsonl');
    c.model.uri = path.join(QUICKSTART_DIR, 'model/model.json');
    c.key.forward = ['big'];
    c.post = [];
    c.sink = { type: sink, uri: path.join(root, 'out/predictions') };
    c.errors.uri = path.join(root, 'out/errors');
    c.execution = { workers: 1, maxErrorRate: 0.5 };
  });
  fs.writeFileSync(path.join(root, 'pipeline.json'), JSON.stringify(config));
  const r = sluice(['run', path.join(root, 'pipeline.json')]);
  assert.equal(r.status, 0, r.stderr);
  const files = (dir: string) => fs.readdirSync(path.join(root, 'out', dir)).filter((f) => f.startsWith('part-')).map((f) => path.join(root, 'out', dir, f));
  return { root, files };
}

test('parseJsonExact keeps unsafe integers as bigints, and only those; stringifyExact writes them as bare numbers', () => {
  assert.deepEqual(parseJsonExact('{"a":12345678901234567890,"b":"12345678901234567890","c":1.2345678901234567891,"d":1e12345678901234567,"e":9007199254740991}'), {
    a: 12345678901234567890n, b: '12345678901234567890', c: 1.2345678901234567891, d: Infinity, e: 9007199254740991,
  });
  assert.deepEqual(parseJsonExact('[[-9007199254740993]]'), [[-9007199254740993n]]);
  assert.throws(() => parseJsonExact('{"a":12345678901234567890,'), /JSON/);
  assert.equal(stringifyExact({ k: 12345678901234567890n, l: [-9007199254740993n, 'x'] }), '{"k":12345678901234567890,"l":[-9007199254740993,"x"]}');
  assert.equal(stringifyExact(12345678901234567890n), '12345678901234567890');
});

test('jsonl sink: exact keys and forwarded values as bare JSON numbers; 2^53 and 2^53+1 stay two keys; the error row keeps its key', () => {
  const { root, files } = run('jsonl');
  try {
    const predictions = files('predictions').flatMap((f) => fs.readFileSync(f, 'utf8').split('\n').filter(Boolean));
    const byId = (prefix: string) => predictions.filter((l) => l.startsWith(prefix));
    assert.equal(byId('{"key":12345678901234567890,"big":12345678901234567890,"prediction":').length, 1, predictions.join('\n'));
    assert.equal(byId('{"key":9007199254740993,"big":[9007199254740993,-9223372036854775808],"prediction":').length, 1);
    assert.equal(byId('{"key":9007199254740992,"big":0.12345678901234568,"prediction":').length, 1);
    assert.equal(byId('{"key":"s","big":"12345678901234567890","prediction":').length, 1);
    assert.equal(predictions.length, 4);
    const errors = files('errors').flatMap((f) => fs.readFileSync(f, 'utf8').split('\n').filter(Boolean));
    assert.equal(errors.length, 1);
    assert.match(errors[0]!, /^\{"key":12345678901234567891,"source":.*"stage":"decode"/);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('csv sink: the exact digits', () => {
  const { root, files } = run('csv');
  try {
    const text = files('predictions').map((f) => fs.readFileSync(f, 'utf8')).join('');
    assert.match(text, /^12345678901234567890,12345678901234567890,/m);
    assert.match(text, /^9007199254740993,"\[9007199254740993,-9223372036854775808\]",/m);
    assert.match(text, /^9007199254740992,0.12345678901234568,/m);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('tfrecord sink: forwarded integers beyond 2^53 as exact int64 (beyond int64, their digits as bytes)', () => {
  const { root, files } = run('tfrecord');
  try {
    const examples = files('predictions').flatMap((f) => specRead(f)).map(({ data }) => (ExampleType.toObject(ExampleType.decode(data), { longs: String, bytes: String }) as any).features.feature);
    const byKey = new Map(examples.map((f: any) => [Buffer.from(f.key.bytes_list.value[0], 'base64').toString(), f]));
    assert.deepEqual([...byKey.keys()].sort(), ['12345678901234567890', '9007199254740992', '9007199254740993', 's']);
    assert.deepEqual(byKey.get('9007199254740993').big.int64_list.value, ['9007199254740993', '-9223372036854775808']);
    assert.equal(Buffer.from(byKey.get('12345678901234567890').big.bytes_list.value[0], 'base64').toString(), '12345678901234567890');
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('parquet sink: integers beyond 2^53 as their exact digits (a text column), not a failed partition', async () => {
  const { root, files } = run('parquet');
  try {
    const { parquetReadObjects } = await import('hyparquet');
    const rows: any[] = [];
    for (const f of files('predictions')) {
      const buf = fs.readFileSync(f);
      rows.push(...(await parquetReadObjects({ file: buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) })));
    }
    const keys = rows.map((r) => String(r.key)).sort();
    assert.deepEqual(keys, ['12345678901234567890', '9007199254740992', '9007199254740993', 's']);
    assert.ok(rows.some((r) => r.big === '12345678901234567890'), JSON.stringify(rows.map((r) => r.big), (_k, v) => (typeof v === 'bigint' ? String(v) : v)));
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});
