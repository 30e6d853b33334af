import { test } from 'node:test';
import assert from 'node:assert/strict';
import protobuf from 'protobufjs';
import { ExampleType, type TfExample } from '../../stages/decode/tf-example/proto.js';

const floats = [0.5, -1.25, 3e38, 1e-40, 0];

test('FloatList decodes packed floats into a Float32Array with the exact values', () => {
  const bytes = ExampleType.encode({ features: { feature: { x: { float_list: { value: floats } } } } }).finish();
  const value = (ExampleType.decode(bytes) as unknown as TfExample).features!.feature!.x!.float_list!.value;
  assert.ok(value instanceof Float32Array);
  assert.deepEqual(Array.from(value), floats.map(Math.fround));
});

test('FloatList also reads unpacked elements and several packed runs (legal proto encodings)', () => {
  // FloatList by hand: packed run [0.5, -1.25], then one unpacked 3 (tag 0x0d), then packed [7].
  const list = protobuf.Writer.create();
  list.uint32(0x0a).fork().float(0.5).float(-1.25).ldelim();
  list.uint32(0x0d).float(3);
  list.uint32(0x0a).fork().float(7).ldelim();
  const feature = protobuf.Writer.create().uint32(0x12).bytes(list.finish()).finish();
  const entry = protobuf.Writer.create().uint32(0x0a).string('x').uint32(0x12).bytes(feature).finish();
  const features = protobuf.Writer.create().uint32(0x0a).bytes(entry).finish();
  const example = protobuf.Writer.create().uint32(0x0a).bytes(features).finish();
  const value = (ExampleType.decode(example) as unknown as TfExample).features!.feature!.x!.float_list!.value;
  assert.deepEqual(Array.from(value), [0.5, -1.25, 3, 7]);
});

test('FloatList: a packed run whose length is not a multiple of 4 does not parse', () => {
  const list = protobuf.Writer.create().uint32(0x0a).bytes(new Uint8Array(6)).finish();
  const feature = protobuf.Writer.create().uint32(0x12).bytes(list).finish();
  const entry = protobuf.Writer.create().uint32(0x0a).string('x').uint32(0x12).bytes(feature).finish();
  const example = protobuf.Writer.create().uint32(0x0a).bytes(protobuf.Writer.create().uint32(0x0a).bytes(entry).finish()).finish();
  assert.throws(() => ExampleType.decode(example), /invalid packed float list of 6 bytes/);
});
