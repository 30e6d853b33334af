// The golden test of examples/ratings-savedmodel: both pipelines (the key kept by Sluice, and the
// key passed through the graph) against Python TensorFlow's predictions of the same SavedModels
// (expected/, written by the example's train_and_export.py). Ratings within 1e-6 (the same C
// library computes them; equal in practice), keys and forwarded fields exactly. Runs on the
// tensorflow backend, the only one that runs SavedModels: skips where `npm run native` has not run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT, assertClose, byKey, readParts, sluice } from '../helpers/cli.js';
import { needsNative } from '../helpers/native.js';

const DIR = path.join(ROOT, 'examples/ratings-savedmodel');
const lines = (file: string) => fs.readFileSync(path.join(DIR, file), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));

function run(config: string): { rows: any[]; errors: any[]; stdout: string } {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-ratings-'));
  try {
    const r = sluice(['run', path.join(DIR, config), '--set', `sink.uri=${out}/p`, '--set', `errors.uri=${out}/e`, '--json']);
    assert.equal(r.status, 0, r.stderr);
    return { rows: readParts(`${out}/p`), errors: readParts(`${out}/e`), stdout: r.stdout };
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
}

test('ratings-savedmodel: the key kept by Sluice (key.field + forward) gives Python TensorFlow\'s ratings', { skip: needsNative() }, () => {
  const { rows: unordered, errors, stdout } = run('pipeline.json');
  const rows = byKey(unordered);
  const expected = lines('expected/predictions.jsonl');
  assert.equal(errors.length, 0);
  assert.deepEqual(rows.map((r) => [r.key, r.userId, r.movieId]), expected.map((e) => [e.key, e.userId, e.movieId]));
  assertClose(rows.map((r) => r.prediction), expected.map((e) => e.prediction), 1e-6);
  // The summary names the model's format and the backend auto chose, and why.
  assert.match(stdout, /"format":\s*"saved-model"/);
  assert.match(stdout, /"backend":\s*"tensorflow"/);
});

test('ratings-savedmodel: the key passed through the graph comes back beside the rating', { skip: needsNative() }, () => {
  // One small file, one partition: rows in input order (their Sluice keys are file:line).
  const { rows, errors } = run('pipeline-key-in-graph.json');
  const expected = lines('expected/predictions-key-in-graph.jsonl');
  assert.equal(errors.length, 0);
  assert.deepEqual(rows.map((r) => r.prediction.key), expected.map((e) => e.key));
  assertClose(rows.map((r) => r.prediction.rating), expected.map((e) => e.rating), 1e-6);
});
