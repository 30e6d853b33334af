import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import tfrecordSink from '../../stages/sink/tfrecord/index.js';
import tfrecordSource from '../../stages/source/tfrecord/index.js';
import tfExample from '../../stages/decode/tf-example/index.js';
import { ExampleType } from '../../stages/decode/tf-example/proto.js';
import { readAll, runSink, runStage } from '../helpers/run-stage.js';
import { TFRECORD_DIR as DIR, needsFixtures, specRead } from '../helpers/tfrecord.js';
import type { Row } from '../../src/core/stage.js';
import type { Instance, RawRecord } from '../../src/core/types.js';

/** Every feature of every Example in `file`, as lists of JSON values, read with the independent reader. */
function readBack(file: string): Record<string, unknown>[] {
  return specRead(file).map(({ data }) => {
    const ex = ExampleType.toObject(ExampleType.decode(data), { longs: String, bytes: String }) as any;
    return ex.features?.feature ?? {};
  });
}

test('rows become Examples: key bytes, forwarded fields by natural type, prediction float_list; CRCs verify', async () => {
  const rows: Row[] = [
    { key: 'a', city: 'Oslo', ids: [1, 2], big: [5, '9007199254740993'], score: 0.5, flag: true, nested: [[1.5, 2], [3, 4]], none: null, prediction: [[0.25], [0.75]] },
    { key: 7, city: 'Bergen', ids: [], big: [1], score: 2, flag: false, nested: [[0, 0], [0, 0]], none: null, prediction: { probs: [0.1, 0.9], classes: ['cat', 'dog'] } },
  ];
  for (const compression of ['none', 'gzip'] as const) {
    const { files } = await runSink(tfrecordSink, { compression }, rows);
    assert.equal(files.length, 1);
    assert.ok(files[0]!.endsWith(compression === 'gzip' ? '.tfrecord.gz' : '.tfrecord'));
    const [a, b] = readBack(files[0]!) as any[];
    assert.deepEqual(a, {
      key: { bytes_list: { value: [Buffer.from('a').toString('base64')] } },
      city: { bytes_list: { value: [Buffer.from('Oslo').toString('base64')] } },
      ids: { int64_list: { value: ['1', '2'] } },
      big: { int64_list: { value: ['5', '9007199254740993'] } },
      score: { float_list: { value: [0.5] } },
      flag: { int64_list: { value: ['1'] } },
      nested: { float_list: { value: [1.5, 2, 3, 4] } },
      prediction: { float_list: { value: [0.25, 0.75] } },
    });
    assert.deepEqual(Object.keys(b), ['key', 'city', 'ids', 'big', 'score', 'flag', 'nested', 'prediction/probs', 'prediction/classes']);
    assert.deepEqual(b['prediction/classes'], { bytes_list: { value: ['Y2F0', 'ZG9n'] } });
    assert.equal(Math.fround(0.9), b['prediction/probs'].float_list.value[1]);
  }
});

test('error rows encode every field by its natural type', async () => {
  const row: Row = { key: null, source: 'data/x.tfrecord', index: 500, offset: 1601500, stage: 'source', error: 'record 500: data CRC mismatch', raw: 'AAEC' };
  const { files } = await runSink(tfrecordSink, {}, [row]);
  const [e] = readBack(files[0]!) as any[];
  assert.deepEqual(Object.keys(e), ['source', 'index', 'offset', 'stage', 'error', 'raw']);
  assert.deepEqual(e.index, { int64_list: { value: ['500'] } });
  assert.deepEqual(e.stage, { bytes_list: { value: [Buffer.from('source').toString('base64')] } });
});

test('round trip on mnist: sink writes, the source reads back, the decoder gives identical values', { skip: needsFixtures }, async () => {
  const { records } = await readAll(tfrecordSource, { uri: 'mnist.tfrecord' }, DIR, { partitionBytes: 2 ** 30 }); // whole: records keep their index
  const features = { image_floats: { dtype: 'float32', shape: [784] }, image_class: { dtype: 'int64', shape: [1] } };
  const decoded = await runStage<Instance>(tfExample, { features }, records, { chunkSize: 256 });
  // Forward every field and use the pixels as the "prediction", so every value makes the trip.
  const rows: Row[] = decoded.map((r) => ({ key: `mnist:${r.index}`, image_class: r.fields.image_class as number[], image_floats: r.fields.image_floats as number[], prediction: Array.from(r.features.image_floats as Float32Array) }));
  for (const compression of ['none', 'gzip'] as const) {
    const { files } = await runSink(tfrecordSink, { compression }, rows);
    const back = await readAll(tfrecordSource, { uri: files[0]! }, path.dirname(files[0]!), { partitionBytes: 2 ** 30 });
    assert.equal(back.records.length, 1000);
    const again = await runStage<Instance>(tfExample, { features: { ...features, prediction: { dtype: 'float32', shape: [784] }, key: { dtype: 'string', shape: [1] } } }, back.records as RawRecord[], { chunkSize: 256 });
    again.forEach((r, i) => {
      assert.deepEqual(r.features.image_floats, decoded[i]!.features.image_floats);
      assert.deepEqual(r.features.prediction, decoded[i]!.features.image_floats);
      assert.deepEqual(r.features.image_class, decoded[i]!.features.image_class);
      assert.deepEqual(r.features.key, [`mnist:${i}`]);
      assert.deepEqual(r.fields.image_floats, decoded[i]!.fields.image_floats);
    });
    // The independent reader agrees on framing and CRCs.
    assert.equal(specRead(files[0]!).length, 1000);
    fs.rmSync(path.dirname(path.dirname(files[0]!)), { recursive: true, force: true });
  }
});
