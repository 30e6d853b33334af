import { test } from 'node:test';
import assert from 'node:assert/strict';
import { utf8Problem } from '../../src/core/partitioning.js';

test('utf8Problem: valid text passes; the first bad byte is named, from the record start', () => {
  const b = (...x: number[]) => Buffer.from(x);
  assert.equal(utf8Problem(Buffer.from('plain, ünïcödé, 😀, 中文'), 0, Buffer.byteLength('plain, ünïcödé, 😀, 中文')), null);
  assert.equal(utf8Problem(b(0x61, 0xff, 0x62), 0, 3), 'invalid UTF-8 at byte 1 of the record (0xff)');
  assert.equal(utf8Problem(b(0x7b, 0x61, 0xc3), 1, 3), 'invalid UTF-8 at byte 1 of the record (0xc3)', 'a sequence cut at the end');
  assert.equal(utf8Problem(b(0xc0, 0xaf), 0, 2), 'invalid UTF-8 at byte 0 of the record (0xc0)', 'overlong');
  assert.equal(utf8Problem(b(0x61, 0xed, 0xa0, 0x80), 0, 4), 'invalid UTF-8 at byte 1 of the record (0xed)', 'a surrogate');
  assert.equal(utf8Problem(b(0xf4, 0x90, 0x80, 0x80), 0, 4), 'invalid UTF-8 at byte 0 of the record (0xf4)', 'past U+10FFFF');
  assert.equal(utf8Problem(b(0xff, 0x61), 1, 2), null, 'only [s, e) is checked');
});
