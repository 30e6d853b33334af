/**
 * Vertex AI-shaped instances through the CLI as a user drives it (#19 item 1): instanceType
 * array/auto/object, includedFields/excludedFields, keyField's Vertex output, and hostile input
 * (arrays too long or short, an included field absent, an empty file, both field lists).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT, byKey, readParts, sluice } from '../helpers/cli.js';

const MODEL = path.join(ROOT, 'examples/vertex-batch/model/model.json');
const lines = (file: string) => fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));

/** A temp project: the input lines, a pipeline over the iris model (one input, measurements [4]). */
function project(input: string, over: { decode?: object; key?: object; sink?: object; errors?: object } = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-vertex-in-'));
  fs.writeFileSync(path.join(dir, 'in.jsonl'), input);
  const config = {
    source: { type: 'jsonl', uri: 'in.jsonl' },
    decode: { type: 'json', features: { measurements: { dtype: 'float32', shape: [4] } }, ...over.decode },
    key: over.key ?? { type: 'position', forward: '*' },
    model: { type: 'tfjs', uri: MODEL },
    sink: over.sink ?? { type: 'jsonl', uri: 'out' },
    errors: over.errors ?? { type: 'jsonl', uri: 'errors' },
    execution: { workers: 1, maxErrorRate: 1 },
  };
  fs.writeFileSync(path.join(dir, 'pipeline.json'), JSON.stringify(config));
  return { dir, run: (...args: string[]) => sluice(['run', path.join(dir, 'pipeline.json'), '--json', ...args]) };
}

test('instanceType array: a bare array is the single feature; too short, too long and a string fail alone', () => {
  const p = project('[5.1, 3.5, 1.4, 0.2]\n[6.1, 2.8, 4.7]\n[6.3, 3.3, 6.0, 2.5, 1.0]\n"text"\n7\n', { decode: { instanceType: 'array' } });
  const r = p.run();
  assert.equal(r.status, 0, r.stderr);
  const out = readParts(path.join(p.dir, 'out'));
  assert.deepEqual(out.map((row) => [row.key, row.instance]), [['in.jsonl:0', [5.1, 3.5, 1.4, 0.2]]]);
  assert.equal(out[0].prediction.length, 3);
  assert.deepEqual(
    byKey(readParts(path.join(p.dir, 'errors'))).map((e) => [e.key, e.stage, e.error]),
    [
      ['in.jsonl:1', 'decode', 'feature "measurements": expected 4 values (shape [4]), got 3'],
      ['in.jsonl:2', 'decode', 'feature "measurements": expected 4 values (shape [4]), got 5'],
      ['in.jsonl:3', 'decode', 'expected a JSON array or object, got string'],
      ['in.jsonl:4', 'decode', 'expected a JSON array or object, got number'],
    ],
  );
});

test('instanceType object (the default) refuses a bare array; auto takes objects, arrays and a bare value per line', () => {
  const input = '{"measurements": [5.1, 3.5, 1.4, 0.2]}\n[5.1, 3.5, 1.4, 0.2]\n';
  const strict = project(input);
  const r1 = strict.run();
  assert.equal(r1.status, 0, r1.stderr);
  assert.deepEqual(readParts(path.join(strict.dir, 'errors')).map((e) => e.error), ['expected a JSON object, got array']);
  const auto = project(input, { decode: { instanceType: 'auto' } });
  const r2 = auto.run();
  assert.equal(r2.status, 0, r2.stderr);
  const rows = readParts(path.join(auto.dir, 'out'));
  assert.equal(rows.length, 2);
  // The same flower, as an object and as a bare array, gets the same prediction.
  assert.deepEqual(rows[0].prediction, rows[1].prediction);
  assert.deepEqual(Object.keys(rows[0]), ['key', 'measurements', 'prediction']);
  assert.deepEqual(Object.keys(rows[1]), ['key', 'instance', 'prediction']);
});

test('includedFields orders object fields into the array (Vertex); keyField gives {"key", "prediction"}; an absent included field fails with its key', () => {
  const input = [
    '{"id": "f1", "petal_width": 0.2, "sepal_length": 5.1, "sepal_width": 3.5, "petal_length": 1.4, "note": "x"}',
    '{"id": "f2", "sepal_length": 6.3, "sepal_width": 3.3, "petal_length": 6.0}',
    '{"id": "f3", "sepal_length": 7.0, "sepal_width": 3.2, "petal_length": 4.7, "petal_width": 1.4}',
  ].join('\n');
  const decode = { instanceType: 'array', includedFields: ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'] };
  const p = project(input, {
    decode,
    key: { type: 'field', field: 'id', forward: [] },
    sink: { type: 'jsonl', uri: 'vertex', format: 'vertex' },
    errors: { type: 'jsonl', uri: 'vertex', format: 'vertex' },
  });
  const r = p.run();
  assert.equal(r.status, 0, r.stderr);
  const dir = path.join(p.dir, 'vertex');
  const results = lines(path.join(dir, 'prediction.results-00000-of-00001'));
  assert.deepEqual(results.map((row) => [Object.keys(row), row.key]), [[['key', 'prediction'], 'f1'], [['key', 'prediction'], 'f3']]);
  assert.deepEqual(lines(path.join(dir, 'prediction.errors_stats-00000-of-00001')), [
    {
      instance: { id: 'f2', sepal_length: 6.3, sepal_width: 3.3, petal_length: 6.0 },
      error: { code: 3, message: 'in.jsonl:1: decode: included field "petal_width" is missing (key "f2")' },
    },
  ]);

  // The same flowers as bare arrays predict the same.
  const arrays = project('[5.1, 3.5, 1.4, 0.2]\n[7.0, 3.2, 4.7, 1.4]\n', { decode: { instanceType: 'array' } });
  assert.equal(arrays.run().status, 0);
  assert.deepEqual(readParts(path.join(arrays.dir, 'out')).map((row) => row.prediction), results.map((row) => row.prediction));
});

test('excludedFields: an excluded feature does not reach decode (a missing feature), yet is echoed with forward "*"', () => {
  const p = project('{"id": "a", "measurements": [5.1, 3.5, 1.4, 0.2]}\n', { decode: { excludedFields: ['measurements'] } });
  const r = p.run();
  assert.equal(r.status, 1, 'every record failed');
  const [e] = readParts(path.join(p.dir, 'errors'));
  assert.equal(e.error, 'feature "measurements": missing (no value for "measurements") and the feature has no default');
  const kept = project('{"id": "a", "measurements": [5.1, 3.5, 1.4, 0.2], "secret": 1}\n', { decode: { excludedFields: ['secret', 'id'] } });
  assert.equal(kept.run().status, 0);
  assert.deepEqual(Object.keys(readParts(path.join(kept.dir, 'out'))[0]), ['key', 'id', 'measurements', 'secret', 'prediction']);
});

test('includedFields and excludedFields together are a config error (exit 2), as in Vertex', () => {
  const p = project('[1,2,3,4]\n', { decode: { includedFields: ['a'], excludedFields: ['b'] } });
  const r = sluice(['validate', path.join(p.dir, 'pipeline.json')]);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /\/decode\/excludedFields: give includedFields or excludedFields, not both/);
  const bad = project('[1,2,3,4]\n', { decode: { instanceType: 'list' } });
  const r2 = sluice(['validate', path.join(bad.dir, 'pipeline.json')]);
  assert.equal(r2.status, 2);
  assert.match(r2.stderr, /\/decode\/instanceType: must be one of "object", "array", "auto", got "list"/);
});

test('an empty instances file: exit 0, its partition commits empty Vertex files (as Vertex\'s empty shards)', () => {
  const p = project('', { decode: { instanceType: 'array' }, sink: { type: 'jsonl', uri: 'vertex', format: 'vertex' }, errors: { type: 'jsonl', uri: 'vertex', format: 'vertex' } });
  const r = p.run();
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual([JSON.parse(r.stdout).counts.read, JSON.parse(r.stdout).counts.written], [0, 0]);
  const dir = path.join(p.dir, 'vertex');
  assert.deepEqual(fs.readdirSync(dir).sort(), ['_SUCCESS', '_manifest', 'prediction.errors_stats-00000-of-00001', 'prediction.results-00000-of-00001']);
  for (const n of ['prediction.errors_stats-00000-of-00001', 'prediction.results-00000-of-00001']) assert.equal(fs.readFileSync(path.join(dir, n), 'utf8'), '');
});
