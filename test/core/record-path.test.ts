/**
 * The record path's fast paths keep their behaviour (docs/performance.md): integers beyond 2^53
 * found from the parsed value rather than the text, and small text batches held by row writers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseJsonExact, stringifyExact } from '../../src/core/exact-json.js';
import { createRowWriter } from '../../src/core/row-writer.js';

test('parseJsonExact: large floats and long fractions stay plain numbers; unsafe integers anywhere become bigints', () => {
  // Long fractions (17 digits, as JSON.stringify writes floats) and large floats are not integer tokens.
  const floats = '{"x":[0.12345678901234567,-0.98765432109876543],"big":1e300,"neg":-1.5e20,"frac":12345678901234567890.5}';
  assert.deepEqual(parseJsonExact(floats), JSON.parse(floats));
  assert.equal(typeof (parseJsonExact(floats) as { big: unknown }).big, 'number');
  // 2^53 itself is not a safe integer; one below is.
  assert.deepEqual(parseJsonExact('[9007199254740992,9007199254740991]'), [9007199254740992n, 9007199254740991]);
  // Deep inside objects and arrays, under "__proto__" too, next to a float beyond 2^53.
  const nested = '{"a":{"b":[{"c":[1,2,{"__proto__":{"id":-12345678901234567890}}]}]},"f":3e20}';
  const value = parseJsonExact(nested) as any;
  assert.equal(value.a.b[0].c[2]['__proto__'].id, -12345678901234567890n);
  assert.equal(value.f, 3e20);
  assert.equal(stringifyExact(value), nested.replace('3e20', '300000000000000000000'));
  // A digit run inside a string is text, not a number.
  assert.deepEqual(parseJsonExact('{"s":"12345678901234567890","n":1}'), { s: '12345678901234567890', n: 1 });
  assert.throws(() => parseJsonExact('{"a":1e400,'), /JSON/);
});

test('parseJsonExact: a deeply nested record is walked without recursion', () => {
  const depth = 200_000;
  const text = `${'['.repeat(depth)}12345678901234567890${']'.repeat(depth)}`;
  let v = parseJsonExact(text);
  for (let d = 0; d < depth; d++) v = (v as unknown[])[0];
  assert.equal(v, 12345678901234567890n);
});

function tempFile(): string {
  return path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-row-writer-')), 'out.jsonl');
}

test('createRowWriter: small batches are held and written together, in order, and end() writes what is held', async () => {
  const file = tempFile();
  const out = fs.createWriteStream(file);
  let writes = 0;
  const write = out.write.bind(out);
  out.write = ((chunk: any, ...rest: any[]) => (writes++, write(chunk, ...rest))) as typeof out.write;
  const writer = createRowWriter(out, (rows) => rows.map((r) => `${JSON.stringify(r)}\n`).join(''));
  const expected: string[] = [];
  for (let i = 0; i < 5000; i++) {
    const row = { key: i, prediction: [i / 7] };
    expected.push(JSON.stringify(row));
    await writer.write([row]);
  }
  assert.ok(writes < 20, `5000 one-row batches (~150 KB) took ${writes} stream writes`);
  await writer.end();
  assert.deepEqual(fs.readFileSync(file, 'utf8').split('\n').slice(0, -1), expected);
});

test('createRowWriter: abort() drops held text and the output is destroyed; a later write rejects', async () => {
  const file = tempFile();
  const out = fs.createWriteStream(file);
  const writer = createRowWriter(out, (rows) => rows.map((r) => `${JSON.stringify(r)}\n`).join(''));
  await writer.write([{ key: 'a', prediction: 1 }]);
  writer.abort!();
  await assert.rejects(async () => writer.write([{ key: 'b', prediction: 2 }]), /aborted/);
  assert.equal(out.destroyed, true);
});
