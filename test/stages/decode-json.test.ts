import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Failure, Instance, RawRecord } from '../../src/core/types.js';
import type { FeatureSpecMap } from '../../src/core/stage.js';
import { runStage, testContext, withDefaults } from '../helpers/run-stage.js';
import jsonDecode from '../../stages/decode/json/index.js';

const features: FeatureSpecMap = {
  userId: { dtype: 'int32', shape: [1] },
  pixels: { dtype: 'float32', shape: [2, 2] },
  bias: { dtype: 'float32', shape: [], default: 0.5 },
};

function rec(raw: string | Uint8Array, index = 0): RawRecord {
  return { source: 'in.jsonl', index, offset: index * 10, raw };
}

function failure(over: Partial<Failure>): Failure {
  return { failed: true, key: null, source: 'in.jsonl', index: 0, offset: 0, stage: 'decode', code: 'bad-json', error: '', raw: null, fields: undefined, ...over };
}

const cases: { name: string; raw: string | Uint8Array; want: Instance | Failure }[] = [
  {
    name: 'an object with every feature',
    raw: '{"id":"a","userId":7,"pixels":[[1,2],[3,4]],"bias":1}',
    want: {
      ...rec('{"id":"a","userId":7,"pixels":[[1,2],[3,4]],"bias":1}'),
      fields: { id: 'a', userId: 7, pixels: [[1, 2], [3, 4]], bias: 1 },
      features: { userId: Int32Array.from([7]), pixels: Float32Array.from([1, 2, 3, 4]), bias: Float32Array.from([1]) },
    },
  },
  {
    name: 'bytes decode as UTF-8; a missing feature with a default takes it',
    raw: new TextEncoder().encode('{"userId":[1],"pixels":[0,0,0,1],"name":"é"}'),
    want: {
      ...rec(new TextEncoder().encode('{"userId":[1],"pixels":[0,0,0,1],"name":"é"}')),
      fields: { userId: [1], pixels: [0, 0, 0, 1], name: 'é' },
      features: { userId: Int32Array.from([1]), pixels: Float32Array.from([0, 0, 0, 1]), bias: Float32Array.from([0.5]) },
    },
  },
  {
    name: 'invalid JSON',
    raw: '{"userId":7',
    want: failure({ error: "invalid JSON: Expected ',' or '}' after property value in JSON at position 11", raw: '{"userId":7' }),
  },
  { name: 'an array is not an object', raw: '[1,2]', want: failure({ error: 'expected a JSON object, got array', raw: '[1,2]' }) },
  { name: 'null is not an object', raw: 'null', want: failure({ error: 'expected a JSON object, got null', raw: 'null' }) },
  {
    name: 'a feature failure keeps the parsed fields (for the key stage)',
    raw: '{"id":"b","userId":7,"pixels":[1,2,3]}',
    want: failure({
      code: 'shape',
      error: 'feature "pixels": expected 4 values (shape [2,2]), got 3',
      raw: '{"id":"b","userId":7,"pixels":[1,2,3]}',
      fields: { id: 'b', userId: 7, pixels: [1, 2, 3] },
    }),
  },
  {
    name: 'a missing feature without default',
    raw: '{"id":"c","pixels":[1,2,3,4]}',
    want: failure({ code: 'missing-feature', error: 'feature "userId": missing (no value for "userId") and the feature has no default', raw: '{"id":"c","pixels":[1,2,3,4]}', fields: { id: 'c', pixels: [1, 2, 3, 4] } }),
  },
];

for (const c of cases) {
  test(`decode/json: ${c.name}`, async () => {
    const out = await runStage(jsonDecode, { features }, [rec(c.raw)]);
    assert.deepEqual(out, [c.want]);
  });
}

test('decode/json: Failures from upstream pass through unchanged, in order', async () => {
  const upstream = failure({ stage: 'source', code: 'bad-csv', error: 'x', index: 1 });
  const good = '{"userId":1,"pixels":[1,2,3,4]}';
  const out = await runStage<Instance | Failure>(jsonDecode, { features }, [rec(good, 0), upstream, rec(good, 2), rec('{', 3)], { chunkSize: 2 });
  assert.equal(out.length, 4);
  assert.equal(out[1], upstream);
  assert.deepEqual(out.map((r) => r.index), [0, 1, 2, 3]);
  assert.equal((out[3] as Failure).code, 'bad-json');
});

test('decode/json: features() returns the spec; check reports a default that does not fit', async () => {
  const options = withDefaults<any>(jsonDecode, { features: { x: { dtype: 'float32', shape: [3], default: [1, 2] } } });
  assert.deepEqual(jsonDecode.features!(options), { x: { dtype: 'float32', shape: [3], default: [1, 2] } });
  assert.deepEqual(await jsonDecode.check!(options, testContext({ path: '/decode' })), ['/decode/features/x/default: expected 3 values (shape [3]) or one scalar, got 2']);
});

test('decode/json: options are strict (no columns for JSON)', () => {
  assert.throws(() => withDefaults(jsonDecode, { features: { x: { dtype: 'float32', shape: [2], columns: ['a', 'b'] } } }), /\/features\/x\/columns: unknown key/);
  assert.throws(() => withDefaults(jsonDecode, { features: { x: { dtype: 'float64', shape: [1] } } }), /\/features\/x\/dtype: must be one of "float32", "int32", "string", got "float64"/);
  assert.throws(() => withDefaults(jsonDecode, { features: { x: { dtype: 'int32', shape: [-1] } } }), /\/features\/x\/shape\/0: must be >= 0, got -1/);
});

/** Vertex instances with several features: element i feeds feature i (in config order). */
const three: FeatureSpecMap = { a: { dtype: 'float32', shape: [1] }, b: { dtype: 'int32', shape: [] }, c: { dtype: 'float32', shape: [2] } };

async function decodeOne(options: object, raw: string): Promise<Instance | Failure> {
  const [out] = await runStage<Instance | Failure>(jsonDecode, { features: three, ...options }, [rec(raw)]);
  return out!;
}

const instanceCases: { name: string; options: object; raw: string; want: { features?: Record<string, number[]>; fields?: unknown; error?: string; code?: string } }[] = [
  { name: 'array: element i feeds feature i', options: { instanceType: 'array' }, raw: '[1.5, 2, [3, 4]]', want: { features: { a: [1.5], b: [2], c: [3, 4] }, fields: { instance: [1.5, 2, [3, 4]] } } },
  { name: 'array: shorter than the features', options: { instanceType: 'array' }, raw: '[1.5, 2]', want: { code: 'bad-instance', error: 'array instance has 2 values, expected 3 (one per feature, in order: a, b, c)' } },
  { name: 'array: longer than the features', options: { instanceType: 'array' }, raw: '[1, 2, [3, 4], 5]', want: { code: 'bad-instance', error: 'array instance has 4 values, expected 3 (one per feature, in order: a, b, c)' } },
  { name: 'array: an empty array', options: { instanceType: 'array' }, raw: '[]', want: { code: 'bad-instance', error: 'array instance has 0 values, expected 3 (one per feature, in order: a, b, c)' } },
  { name: 'array: an object ordered by includedFields', options: { instanceType: 'array', includedFields: ['z', 'y', 'x'] }, raw: '{"x": [3, 4], "y": 2, "z": 1, "k": "u1"}', want: { features: { a: [1], b: [2], c: [3, 4] }, fields: { x: [3, 4], y: 2, z: 1, k: 'u1' } } },
  { name: 'array: an object without includedFields', options: { instanceType: 'array' }, raw: '{"a": 1}', want: { code: 'bad-instance', error: 'instanceType "array": an object instance needs includedFields (the order of its values)', fields: { a: 1 } } },
  { name: 'array: an included field absent', options: { instanceType: 'array', includedFields: ['a', 'b', 'c'] }, raw: '{"a": 1, "c": [1, 2]}', want: { code: 'bad-instance', error: 'included field "b" is missing', fields: { a: 1, c: [1, 2] } } },
  { name: 'object: an included field absent is a missing feature', options: { includedFields: ['a', 'b'] }, raw: '{"a": 1, "c": [1, 2]}', want: { code: 'missing-feature', error: 'feature "b": missing (no value for "b") and the feature has no default', fields: { a: 1, c: [1, 2] } } },
  { name: 'object: a field left out of includedFields does not reach decode', options: { includedFields: ['a', 'b'] }, raw: '{"a": 1, "b": 2, "c": [1, 2]}', want: { code: 'missing-feature', error: 'feature "c": missing (no value for "c") and the feature has no default', fields: { a: 1, b: 2, c: [1, 2] } } },
  { name: 'object: excludedFields', options: { excludedFields: ['a'] }, raw: '{"a": 1, "b": 2, "c": [1, 2]}', want: { code: 'missing-feature', error: 'feature "a": missing (no value for "a") and the feature has no default', fields: { a: 1, b: 2, c: [1, 2] } } },
  { name: 'auto: a bare value with several features', options: { instanceType: 'auto' }, raw: '3', want: { code: 'bad-json', error: 'expected a JSON object or array (3 features), got number' } },
  { name: 'auto: an object by name', options: { instanceType: 'auto' }, raw: '{"a": 1, "b": 2, "c": [1, 2]}', want: { features: { a: [1], b: [2], c: [1, 2] }, fields: { a: 1, b: 2, c: [1, 2] } } },
  { name: 'object: a field named __proto__ is a plain field', options: { instanceType: 'array', includedFields: ['__proto__', 'b', 'c'] }, raw: '{"__proto__": 1, "b": 2, "c": [1, 2]}', want: { features: { a: [1], b: [2], c: [1, 2] }, fields: JSON.parse('{"__proto__": 1, "b": 2, "c": [1, 2]}') } },
];

for (const c of instanceCases) {
  test(`decode/json instances: ${c.name}`, async () => {
    const out = await decodeOne(c.options, c.raw);
    if (c.want.error) {
      const f = out as Failure;
      assert.equal(f.failed, true);
      assert.deepEqual([f.code, f.error], [c.want.code, c.want.error]);
      assert.deepEqual(f.fields, c.want.fields);
      return;
    }
    const inst = out as Instance;
    assert.deepEqual(Object.fromEntries(Object.entries(inst.features).map(([k, v]) => [k, Array.from(v as Float32Array)])), c.want.features);
    assert.deepEqual(inst.fields, c.want.fields);
  });
}

test('decode/json instances: a single feature takes a whole array or a bare value (TF Serving row format)', async () => {
  const one: FeatureSpecMap = { m: { dtype: 'float32', shape: [4] } };
  const [arr, nested, bare] = await runStage<Instance>(jsonDecode, { features: one, instanceType: 'auto' }, [rec('[1, 2, 3, 4]'), rec('[[1, 2], [3, 4]]'), rec('5')]);
  assert.deepEqual(Array.from(arr!.features.m as Float32Array), [1, 2, 3, 4]);
  assert.deepEqual(Array.from(nested!.features.m as Float32Array), [1, 2, 3, 4]);
  assert.equal((bare as unknown as Failure).error, 'feature "m": expected 4 values (shape [4]), got 1');
});
