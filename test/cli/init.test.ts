/**
 * `sluice init <data file> <model>` (issue 18): a starting pipeline.json whose features come
 * from the model's signature and a sample of the data; `validate` passes on it and `run` works.
 * On the quickstart's JSONL and model, and on a CSV whose four numeric columns feed the input.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT, readParts, sluice } from '../helpers/cli.js';

const QUICKSTART = path.join(ROOT, 'examples/quickstart');
const MODEL = path.join(QUICKSTART, 'model/model.json');

test('init on the quickstart data and model: the feature, key and forwarded field from the sample; validate passes; run predicts', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-init-'));
  const r = sluice(['init', path.join(QUICKSTART, 'data/flowers.jsonl'), MODEL], { cwd: dir });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /^sluice: wrote pipeline\.json\n  model input "measurements" float32 \[4\] ← field "measurements"\n  key: field "id"\n  forwarded to the output: species\n/);
  assert.match(r.stderr, /^sluice: pipeline\.json: valid: jsonl → json → field → tfjs → jsonl \(\+ errors jsonl\)$/m);
  const config = JSON.parse(fs.readFileSync(path.join(dir, 'pipeline.json'), 'utf8'));
  assert.equal(path.resolve(dir, config.$schema), path.join(ROOT, 'schemas/pipeline.schema.json'));
  assert.deepEqual(config.decode, { type: 'json', features: { measurements: { dtype: 'float32', shape: [4] } } });
  assert.deepEqual(config.key, { type: 'field', field: 'id', forward: ['species'] });
  assert.equal(path.resolve(dir, config.source.uri), path.join(QUICKSTART, 'data/flowers.jsonl'));
  assert.equal(sluice(['validate', path.join(dir, 'pipeline.json')]).status, 0);
  const run = sluice(['run', path.join(dir, 'pipeline.json'), '--quiet']);
  assert.equal(run.status, 0, run.stderr);
  assert.equal(readParts(path.join(dir, 'out/predictions')).length, 150);
  // An existing config is never replaced without --force.
  const again = sluice(['init', path.join(QUICKSTART, 'data/flowers.jsonl'), MODEL], { cwd: dir });
  assert.equal(again.status, 2);
  assert.match(again.stderr, /pipeline\.json exists; pass --force to replace it, or -o to write elsewhere/);
});

test('init on a CSV: four numeric columns feed the 4-value input; validate passes; run predicts', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-init-csv-'));
  const rows = fs
    .readFileSync(path.join(QUICKSTART, 'data/flowers.jsonl'), 'utf8')
    .split('\n')
    .flatMap((l) => {
      try {
        const r = JSON.parse(l);
        return Array.isArray(r.measurements) && r.measurements.length === 4 && r.measurements.every((x: unknown) => typeof x === 'number') ? [[r.id, ...r.measurements, r.species].join(',')] : [];
      } catch {
        return [];
      }
    });
  fs.mkdirSync(path.join(dir, 'data'));
  fs.writeFileSync(path.join(dir, 'data/flowers.csv'), `id,sepal_length,sepal_width,petal_length,petal_width,species\n${rows.join('\n')}\n`);
  const r = sluice(['init', 'data/flowers.csv', MODEL, '-o', 'pipeline.json'], { cwd: dir });
  assert.equal(r.status, 0, r.stderr);
  const config = JSON.parse(fs.readFileSync(path.join(dir, 'pipeline.json'), 'utf8'));
  assert.deepEqual(config.source, { type: 'csv', uri: 'data/flowers.csv' });
  assert.deepEqual(config.decode.features, { measurements: { dtype: 'float32', shape: [4], columns: ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'] } });
  const run = sluice(['run', path.join(dir, 'pipeline.json'), '--json']);
  assert.equal(run.status, 0, run.stderr);
  const summary = JSON.parse(run.stdout);
  assert.equal(summary.status, 'succeeded');
  assert.deepEqual([summary.counts.read, summary.counts.failed], [rows.length, 0]);
  const predicted = readParts(path.join(dir, 'out/predictions'));
  assert.equal(predicted.filter((p) => p.species === 'setosa' && p.prediction[0] > 0.5).length, predicted.filter((p) => p.species === 'setosa').length);
});

test('init refuses a format it cannot sample, in one line (exit 2)', () => {
  const r = sluice(['init', path.join(ROOT, 'examples/quickstart/README.md'), MODEL]);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /README\.md: sluice init reads \.jsonl, \.ndjson and \.csv files, got "\.md"/);
});
