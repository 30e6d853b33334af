import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { crc32c as reference } from '@aws-crypto/crc32c';
import { crc32c } from '../../src/core/crc32c.js';

test('crc32c: the check value of "123456789" is 0xe3069283 (RFC 3720)', () => {
  assert.equal(crc32c(Buffer.from('123456789')), 0xe3069283);
});

test('crc32c: equals the pure-JS implementation on empty, unaligned and large inputs', () => {
  const big = randomBytes(1 << 20);
  for (const data of [new Uint8Array(0), big.subarray(1, 8), big.subarray(3, 3 + 4097), big]) {
    assert.equal(crc32c(data), reference(data) >>> 0);
  }
});
