/** Splitting an output tensor's values into one JSON value per record. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { splitOutputs, splitRows } from '../../src/model/batch.js';

test('outputs lose the batch dimension: [B] gives numbers, [B,1] gives [x], [B,2,3] nested arrays', () => {
  assert.deepEqual(splitRows(Float32Array.of(1, 2, 3), [3], 3, 'y'), [1, 2, 3]);
  assert.deepEqual(splitRows(Float32Array.of(0.5, 1.5), [2, 1], 2, 'y'), [[0.5], [1.5]]);
  const values = Int32Array.from({ length: 12 }, (_, i) => i);
  assert.deepEqual(splitRows(values, [2, 2, 3], 2, 'y'), [
    [[0, 1, 2], [3, 4, 5]],
    [[6, 7, 8], [9, 10, 11]],
  ]);
  assert.deepEqual(splitRows(['a', 'b'], [2, 1], 2, 'names'), [['a'], ['b']]);
});

test('padding rows past the records are dropped; an output without the batch dimension first is an error', () => {
  assert.deepEqual(splitRows(Float32Array.of(1, 2, 0, 0), [4], 2, 'y'), [1, 2]);
  assert.throws(() => splitRows(Float32Array.of(1), [], 2, 'total'), {
    message: 'model output "total" has shape []; expected the batch dimension first, of at least 2',
  });
  assert.throws(() => splitRows(Float32Array.of(1, 2), [1, 2], 2, 'y'), { message: /shape \[1,2\]; expected the batch dimension first, of at least 2/ });
});

test('a batch\'s outputs: one output gives its own value per record, several an object by output name, padding dropped', () => {
  const score = { values: Float32Array.of(0.5, 0.25, 0), shape: [3, 1] };
  const label = { values: ['a', 'b', ''], shape: [3] };
  assert.deepEqual(splitOutputs([score], 2, ['score']), [[0.5], [0.25]]);
  assert.deepEqual(splitOutputs([score, label], 2, ['score', 'label']), [
    { score: [0.5], label: 'a' },
    { score: [0.25], label: 'b' },
  ]);
  // Outputs without names (a graph's leaf nodes as tfjs found them) are keyed by position.
  assert.deepEqual(splitOutputs([score, label], 1, []), [{ 0: [0.5], 1: 'a' }]);
});
