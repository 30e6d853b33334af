/**
 * Exact sums: the value depends only on the terms, never on their order or on how they were
 * split and merged, and it is the correctly rounded exact sum (checked against BigInt arithmetic).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addExact, exactSumValue, mergeExact } from '../../src/core/exact-sum.js';
import { randomFloats } from '../model/helpers.js';

/** Terms int·2^e with |int| < 2^53 and e in [-60, 60]: exact as BigInts scaled by 2^60. */
function terms(n: number, seed: number): { values: number[]; exact: bigint } {
  const r = randomFloats(n * 3, seed);
  let exact = 0n;
  const values = Array.from({ length: n }, (_, i) => {
    const int = Math.floor(r[i * 3]! * 2 ** 53) * (r[i * 3 + 1]! < 0.5 ? -1 : 1);
    const e = Math.floor(r[i * 3 + 2]! * 121) - 60;
    exact += BigInt(int) << BigInt(e + 60);
    return int * 2 ** e;
  });
  return { values, exact };
}

/** The exact sum rounded to the nearest double: Number(bigint) rounds to nearest, ties to even. */
const rounded = (exact: bigint) => Number(exact) / 2 ** 60;

test('classic cancellation: 1e16 + 1 − 1e16 is 1', () => {
  const s: number[] = [];
  for (const x of [1e16, 1, -1e16]) addExact(s, x);
  assert.equal(exactSumValue(s), 1);
  assert.equal(exactSumValue([]), 0);
});

test('the sum is the correctly rounded exact sum, whatever the order and the split into merged parts', () => {
  let naiveWrong = 0;
  for (let trial = 0; trial < 200; trial++) {
    const { values, exact } = terms(50 + trial, trial + 1);
    const expected = rounded(exact);
    const whole: number[] = [];
    for (const x of values) addExact(whole, x);
    assert.equal(exactSumValue(whole), expected, `trial ${trial}: one pass`);

    // Unequal parts, each summed alone, merged in reverse order.
    const cuts = [0, 3, 17, 18, Math.floor(values.length / 2), values.length];
    const parts = cuts.slice(1).map((end, i) => {
      const p: number[] = [];
      for (const x of values.slice(cuts[i], end)) addExact(p, x);
      return p;
    });
    const merged: number[] = [];
    for (const p of parts.reverse()) mergeExact(merged, p);
    assert.equal(exactSumValue(merged), expected, `trial ${trial}: merged parts`);
    if (values.reduce((a, b) => a + b, 0) !== expected) naiveWrong++;
  }
  // The inputs are hard enough that plain left-to-right addition gets many of them wrong.
  assert.ok(naiveWrong > 50, `plain addition was wrong in only ${naiveWrong} of 200 trials`);
});
