/**
 * The record path's fast paths keep their behaviour (docs/performance.md): integers beyond 2^53
 * are found from the parsed value rather than the text.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseJsonExact, stringifyExact } from '../../src/core/exact-json.js';

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
