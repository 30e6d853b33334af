/**
 * `forward: "*"` through the CLI (#19 item 3): every input field beside the prediction, from
 * JSON, CSV and tf.Example input; an input field named "key" or "prediction" is renamed to
 * "input.key" / "input.prediction" (never overwriting the row's own columns), and a record that
 * also holds that name fails alone at the key stage, with its key.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT, readParts, sluice } from '../helpers/cli.js';
import { TFRECORD_DIR, needsFixtures } from '../helpers/tfrecord.js';

const IRIS = path.join(ROOT, 'examples/vertex-batch/model/model.json');
const MEASUREMENTS = { measurements: { dtype: 'float32', shape: [4] } };

function run(files: Record<string, string>, config: object) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-forward-all-'));
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
  fs.writeFileSync(path.join(dir, 'pipeline.json'), JSON.stringify({ sink: { type: 'jsonl', uri: 'out' }, errors: { type: 'jsonl', uri: 'errors' }, execution: { workers: 1, maxErrorRate: 1 }, ...config }));
  const r = sluice(['run', path.join(dir, 'pipeline.json'), '--json']);
  return { r, rows: readParts(path.join(dir, 'out')), errors: readParts(path.join(dir, 'errors')), dir };
}

test('forward "*" (JSON): every field in input order; key/prediction renamed; a record with both names fails alone with its key', () => {
  const input = [
    '{"id": "a", "measurements": [5.1, 3.5, 1.4, 0.2], "city": "Oslo", "tags": ["x"], "big": 12345678901234567890}',
    '{"id": "b", "key": "theirs", "prediction": 0.7, "measurements": [7.0, 3.2, 4.7, 1.4]}',
    '{"id": "c", "key": "k", "input.key": "clash", "measurements": [6.3, 3.3, 6.0, 2.5]}',
  ].join('\n');
  const { r, rows, errors } = run({ 'in.jsonl': input }, {
    source: { type: 'jsonl', uri: 'in.jsonl' },
    decode: { type: 'json', features: MEASUREMENTS },
    key: { type: 'field', field: 'id', forward: '*' },
    model: { type: 'tfjs', uri: IRIS },
  });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(rows.map((row) => Object.keys(row)), [
    ['key', 'id', 'measurements', 'city', 'tags', 'big', 'prediction'],
    ['key', 'id', 'input.key', 'input.prediction', 'measurements', 'prediction'],
  ]);
  assert.deepEqual([rows[1].key, rows[1]['input.key'], rows[1]['input.prediction']], ['b', 'theirs', 0.7]);
  assert.equal(rows[1].prediction.length, 3, 'the model\'s prediction, not the input field');
  assert.deepEqual(errors.map((e) => [e.key, e.stage, e.error]), [['c', 'key', 'forward "*": the record has both "key" and "input.key"; "key" cannot be renamed to "input.key" without overwriting it']]);
});

test('forward ["*"] means "*"; "*" among names and a forwarded "key" are config errors (exit 2)', () => {
  const base = {
    source: { type: 'jsonl', uri: 'in.jsonl' },
    decode: { type: 'json', features: MEASUREMENTS },
    model: { type: 'tfjs', uri: IRIS },
  };
  const ok = run({ 'in.jsonl': '{"measurements": [5.1, 3.5, 1.4, 0.2], "city": "Oslo"}\n' }, { ...base, key: { type: 'position', forward: ['*'] } });
  assert.equal(ok.r.status, 0, ok.r.stderr);
  assert.deepEqual(Object.keys(ok.rows[0]), ['key', 'measurements', 'city', 'prediction']);
  const mixed = run({ 'in.jsonl': '{}\n' }, { ...base, key: { type: 'position', forward: ['*', 'city'] } });
  assert.equal(mixed.r.status, 2);
  assert.match(mixed.r.stderr, /\/key\/forward\/0: "\*" already forwards every field; write "forward": "\*" alone/);
  const taken = run({ 'in.jsonl': '{}\n' }, { ...base, key: { type: 'position', forward: ['prediction'] } });
  assert.equal(taken.r.status, 2);
  assert.match(taken.r.stderr, /\/key\/forward\/0: a forwarded field cannot be named "prediction"/);
});

test('forward "*" (CSV): every column, as text as it appears in the input', () => {
  const csv = 'sepal_length,sepal_width,petal_length,petal_width,species,key\n5.1,3.5,1.4,0.2,setosa,s-1\n7.0,3.2,4.7,1.4,versicolor,v-1\n';
  const { r, rows } = run({ 'in.csv': csv }, {
    source: { type: 'csv', uri: 'in.csv' },
    decode: { type: 'csv', features: { measurements: { dtype: 'float32', shape: [4], columns: ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'] } } },
    key: { type: 'position', forward: '*' },
    model: { type: 'tfjs', uri: IRIS },
  });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(rows.map((row) => { const { prediction, ...rest } = row; return rest; }), [
    { key: 'in.csv:0', sepal_length: '5.1', sepal_width: '3.5', petal_length: '1.4', petal_width: '0.2', species: 'setosa', 'input.key': 's-1' },
    { key: 'in.csv:1', sepal_length: '7.0', sepal_width: '3.2', petal_length: '4.7', petal_width: '1.4', species: 'versicolor', 'input.key': 'v-1' },
  ]);
});

test('forward "*" (tf.Example, mnist fixture): every feature as a list of values', { skip: needsFixtures }, () => {
  const { r, rows } = run({}, {
    source: { type: 'tfrecord', uri: path.join(TFRECORD_DIR, 'mnist.tfrecord') },
    decode: { type: 'tf-example', features: { image_floats: { dtype: 'float32', shape: [784] } } },
    key: { type: 'position', forward: '*' },
    model: { type: 'tfjs', uri: path.join(ROOT, 'examples/mnist/model/model.json'), batchSize: 128 },
  });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(rows.length, 1000);
  for (const row of rows.slice(0, 20)) {
    assert.deepEqual(Object.keys(row).sort(), ['image_class', 'image_floats', 'key', 'prediction']);
    assert.equal(row.image_floats.length, 784);
    assert.equal(row.image_class.length, 1);
  }
});

test('forward "*" into a CSV sink: a later record with a field the header lacks fails the run loudly, never drops the field', () => {
  const input = '{"measurements": [5.1, 3.5, 1.4, 0.2], "city": "Oslo"}\n{"measurements": [7.0, 3.2, 4.7, 1.4], "town": "Bergen"}\n';
  const { r } = run({ 'in.jsonl': input }, {
    source: { type: 'jsonl', uri: 'in.jsonl' },
    decode: { type: 'json', features: MEASUREMENTS },
    key: { type: 'position', forward: '*' },
    model: { type: 'tfjs', uri: IRIS },
    sink: { type: 'csv', uri: 'out' },
  });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /csv sink: the row with key "in\.jsonl:1" has field "town", which the header \(from the first row\) lacks: key, measurements, city, prediction/);
});
