import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import type { PartitionContext, Row } from '../../src/core/stage.js';
import { runSink, testContext, wholeFile, withDefaults } from '../helpers/run-stage.js';
import jsonl, { jsonlLines } from '../../stages/sink/jsonl/index.js';

const rows: Row[] = [
  { key: 'a', city: 'Oslo', prediction: [0.1, 0.9] },
  { key: 2, city: null, prediction: { classes: ['cat', 'dog'], scores: [0.7, 0.3] } },
  { key: 'c"\n', city: 'São Paulo, "BR"', prediction: [[1, 2, 3], [4, 5, 6]] },
  { key: 'd', city: 'x', prediction: 3.5 },
];
const errorRows: Row[] = [{ key: null, source: 'data/a.jsonl', index: 4, offset: 120, stage: 'decode', error: 'expected JSON, got "{oops"', raw: '{oops' }];

function lines(text: string): unknown[] {
  assert.ok(text === '' || text.endsWith('\n'), 'the file ends with a newline');
  return text.split('\n').slice(0, -1).map((l) => JSON.parse(l));
}

test('jsonl: one JSON object per line, keys in row order', async () => {
  const { dir, files } = await runSink(jsonl, {}, rows, { forward: ['city'] });
  assert.equal(files.length, 1, 'createOutput is called once');
  assert.ok(files[0]!.startsWith(dir) && files[0]!.endsWith('.jsonl'));
  const text = fs.readFileSync(files[0]!, 'utf8');
  assert.deepEqual(lines(text), rows);
  assert.equal(text.split('\n')[0], '{"key":"a","city":"Oslo","prediction":[0.1,0.9]}');
});

test('jsonl: error rows are written as they are', async () => {
  const { files } = await runSink(jsonl, {}, errorRows);
  assert.equal(fs.readFileSync(files[0]!, 'utf8'), '{"key":null,"source":"data/a.jsonl","index":4,"offset":120,"stage":"decode","error":"expected JSON, got \\"{oops\\"","raw":"{oops"}\n');
});

test('jsonl: an empty partition still writes an empty file', async () => {
  const { files } = await runSink(jsonl, {}, []);
  assert.equal(fs.readFileSync(files[0]!, 'utf8'), '');
});

test('jsonl: gzip writes .jsonl.gz that decompresses to the same lines', async () => {
  const { files } = await runSink(jsonl, { compression: 'gzip' }, rows);
  assert.ok(files[0]!.endsWith('.jsonl.gz'));
  const bytes = fs.readFileSync(files[0]!);
  assert.deepEqual([bytes[0], bytes[1]], [0x1f, 0x8b], 'gzip magic');
  assert.deepEqual(lines(zlib.gunzipSync(bytes).toString('utf8')), rows);
});

test('jsonl: an empty gzip partition is a valid empty gzip file', async () => {
  const { files } = await runSink(jsonl, { compression: 'gzip' }, []);
  assert.equal(zlib.gunzipSync(fs.readFileSync(files[0]!)).toString('utf8'), '');
});

test('jsonl: batches keep their order; end is idempotent', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-jsonl-'));
  const instance = await jsonl.create(withDefaults(jsonl, { uri: 'out' }), testContext({ baseDir: dir }));
  const outputs: string[] = [];
  const part: PartitionContext = {
    partition: wholeFile('x'),
    signal: new AbortController().signal,
    createOutput(d, ext) {
      const file = path.join(d, `_temporary/t.${ext}`);
      outputs.push(file);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      return fs.createWriteStream(file);
    },
  };
  const writer = instance.open(part);
  for (let i = 0; i < 10; i++) await writer.write([{ key: i, prediction: i }, { key: `${i}b`, prediction: null }]);
  await writer.end();
  await writer.end();
  assert.deepEqual(outputs, [path.join(dir, 'out', '_temporary/t.jsonl')]);
  const got = lines(fs.readFileSync(outputs[0]!, 'utf8')) as Row[];
  assert.deepEqual(got.map((r) => r.key), Array.from({ length: 10 }, (_, i) => [i, `${i}b`]).flat());
  await assert.rejects(async () => writer.write([{ key: 'late', prediction: 1 }]), { message: 'write after end: the partition output is already closed' });
});

test('jsonl: outputDir resolves the uri against the config directory', () => {
  const ctx = testContext({ baseDir: '/srv/pipelines' });
  assert.equal(jsonl.outputDir({ uri: 'out/predictions', compression: 'none', format: 'sluice' }, ctx), '/srv/pipelines/out/predictions');
  assert.equal(jsonl.outputDir({ uri: '/data/out', compression: 'none', format: 'sluice' }, ctx), '/data/out');
});

test('jsonl: a stream error rejects write and end', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-jsonl-'));
  for (const compression of ['none', 'gzip'] as const) {
    const instance = await jsonl.create(withDefaults(jsonl, { uri: dir, compression }), testContext({ baseDir: dir }));
    // Opening a directory as a file fails asynchronously, as a disk error would.
    const writer = instance.open({ partition: wholeFile('x'), signal: new AbortController().signal, createOutput: () => fs.createWriteStream(dir) });
    await assert.rejects(async () => {
      await writer.write(rows);
      await writer.end();
    }, { code: 'EISDIR' });
    await assert.rejects(writer.end(), { code: 'EISDIR' });
    await assert.rejects(async () => writer.write(rows), { code: 'EISDIR' });
  }
});

test('jsonl: options are checked by the schema', () => {
  assert.deepEqual(withDefaults(jsonl, { uri: 'out' }), { uri: 'out', compression: 'none', format: 'sluice' });
  assert.throws(() => withDefaults(jsonl, {}), { message: '/uri: required, missing' });
  assert.throws(() => withDefaults(jsonl, { uri: 'o', compression: 'zip' }), { message: '/compression: must be one of "none", "gzip", got "zip"; did you mean "gzip"?' });
  for (const example of jsonl.examples ?? []) withDefaults(jsonl, example);
});

test('jsonlLines: NaN predictions become null, as JSON has no NaN', () => {
  assert.equal(jsonlLines([{ key: 'n', prediction: [NaN, 1] }]), '{"key":"n","prediction":[null,1]}\n');
});
