// What crosses to the model host thread: a batch's features packed into one column per feature
// and back into records with the same values (exact, whatever the kind), and errors that keep
// what the worker acts on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SluiceError } from '../../src/core/errors.js';
import { fromWire, packColumns, shareable, toWire, unpackColumns } from '../../src/model/host-wire.js';
import type { InputBinding } from '../../src/model/features.js';
import type { KeyedInstance } from '../../src/core/types.js';

const binding = (feature: string, dtype: string, size: number) => ({ feature, size, instanceShape: [size], input: { name: feature, dtype }, spec: { dtype, shape: [size] } }) as unknown as InputBinding;
const record = (features: Record<string, unknown>) => ({ key: 'k', features }) as unknown as KeyedInstance;

test('columns keep each feature\'s values exactly: float32, int32, int64 beyond 2^53, strings, and mixed kinds', () => {
  const bindings = [binding('x', 'float32', 2), binding('ids', 'int64', 1), binding('words', 'string', 2), binding('n', 'int32', 1), binding('mixed', 'float32', 2)];
  const records = [
    record({ x: new Float32Array([0.1, -2.5]), ids: new BigInt64Array([9007199254740993n]), words: ['a', 'é'], n: new Int32Array([-7]), mixed: new Float32Array([1.5, 2]) }),
    record({ x: new Float32Array([3e38, 1e-45]), ids: new BigInt64Array([-5n]), words: ['', 'z'], n: new Int32Array([2147483647]), mixed: [16777217, -0.25] }),
  ];
  const columns = packColumns(bindings, records);
  assert.ok(columns.x instanceof Float32Array && columns.x.length === 4);
  assert.ok(columns.ids instanceof BigInt64Array);
  assert.ok(columns.n instanceof Int32Array);
  // A plain array beside a Float32Array: Float64Array holds both exactly (16777217 is not a float32).
  assert.ok(columns.mixed instanceof Float64Array);
  assert.deepEqual(columns.words, ['a', 'é', '', 'z']);
  const back = unpackColumns(bindings, structuredClone(columns), 2);
  assert.deepEqual(Array.from(back[1]!.features.x as Float32Array), Array.from(records[1]!.features.x as Float32Array));
  assert.equal((back[0]!.features.ids as BigInt64Array)[0], 9007199254740993n);
  assert.deepEqual(back[1]!.features.words, ['', 'z']);
  assert.deepEqual(Array.from(back[1]!.features.mixed as unknown as Float64Array), [16777217, -0.25]);
  assert.equal((back[1]!.features.n as Int32Array)[0], 2147483647);
});

test('an int64 feature given as numbers beside 64-bit values packs as 64-bit integers', () => {
  const columns = packColumns([binding('id', 'int64', 1)], [record({ id: [42] }), record({ id: new BigInt64Array([-1n]) })]);
  assert.deepEqual(Array.from(columns.id as BigInt64Array), [42n, -1n]);
});

test('errors cross with what the worker acts on: a SluiceError\'s code and lines, a name, a message, a Node error code', () => {
  const sluice = fromWire(toWire(new SluiceError('SIGNATURE_MISMATCH', ['/model/uri: a', '/model/uri: b'])));
  assert.ok(sluice instanceof SluiceError);
  assert.equal(sluice.code, 'SIGNATURE_MISMATCH');
  assert.deepEqual(sluice.lines, ['/model/uri: a', '/model/uri: b']);
  const oom = fromWire(toWire(Object.assign(new RangeError('Array buffer allocation failed'), {})));
  assert.equal(oom.name, 'RangeError');
  assert.equal(oom.message, 'Array buffer allocation failed');
  const missing = fromWire(toWire(Object.assign(new Error('ENOENT: no such file'), { code: 'ENOENT' }))) as NodeJS.ErrnoException;
  assert.equal(missing.code, 'ENOENT');
  assert.equal(fromWire(toWire('a string thrown')).message, 'a string thrown');
});

test('file contents of 1 MiB or more cross to the host in shared memory, equal byte for byte; small ones and other values as they are', () => {
  const big = Uint8Array.from({ length: (1 << 20) + 3 }, (_, i) => i % 251);
  const shared = shareable(big) as Uint8Array;
  assert.ok(shared.buffer instanceof SharedArrayBuffer);
  assert.deepEqual(shared, big);
  const small = Uint8Array.of(1, 2, 3);
  assert.equal(shareable(small), small);
  assert.equal(shareable(true), true);
  const info = { uri: 'm/model.json', size: 3, mtimeMs: 1 };
  assert.equal(shareable(info), info);
});
