/**
 * The Vertex example (examples/vertex-batch): bare-array instances as Vertex AI batch prediction
 * reads them, run through the CLI; the output directory must hold Vertex's file names and row
 * shapes and equal expected/ (golden), and follow the commit protocol like `part-` files
 * (resume is a no-op, --overwrite replaces stale Vertex files, foreign ones are refused).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT, assertClose, sluice } from '../helpers/cli.js';

const example = path.join(ROOT, 'examples/vertex-batch');
const RESULTS = 'prediction.results-00000-of-00001';
const ERRORS = 'prediction.errors_stats-00000-of-00001';

const lines = (file: string) => fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));

function run(out: string, extra: string[] = []) {
  return sluice(['run', path.join(example, 'pipeline.json'), '--json', '--set', `sink.uri=${out}`, '--set', `errors.uri=${out}`, ...extra]);
}

test('example vertex-batch: Vertex file names and rows, equal to expected/ (golden)', () => {
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-vertex-')), 'prediction-iris');
  const r = run(out);
  assert.equal(r.status, 0, r.stderr);
  const summary = JSON.parse(r.stdout);
  assert.deepEqual([summary.counts.read, summary.counts.written, summary.counts.failed], [18, 15, 3]);
  assert.deepEqual(fs.readdirSync(out).sort(), ['_SUCCESS', '_manifest', ERRORS, RESULTS]);

  const results = lines(path.join(out, RESULTS));
  for (const row of results) assert.deepEqual(Object.keys(row), ['instance', 'prediction']);
  const inputs = lines(path.join(example, 'data/instances.jsonl'));
  // Each instance comes back as it was read, bare array and all.
  assert.deepEqual(
    results.map((row) => row.instance),
    inputs.filter((v) => Array.isArray(v) && v.length === 4),
  );
  assertClose(results, lines(path.join(example, 'expected', RESULTS)), 1e-4);

  const errors = lines(path.join(out, ERRORS));
  for (const row of errors) assert.deepEqual(Object.keys(row), ['instance', 'error']);
  assert.deepEqual(errors, lines(path.join(example, 'expected', ERRORS)));
  assert.deepEqual(errors.map((e) => e.instance), [[6.1, 2.8, 4.7], [6.3, 3.3, 6, 2.5, 1], 'not an instance']);

  // A rerun is a no-op; --overwrite removes stale Vertex files of another plan, as it does part- files.
  assert.equal(run(out).status, 0);
  fs.writeFileSync(path.join(out, 'prediction.results-00003-of-00004'), '{"stale":true}\n');
  const again = run(out, ['--overwrite']);
  assert.equal(again.status, 0, again.stderr);
  assert.deepEqual(fs.readdirSync(out).sort(), ['_SUCCESS', '_manifest', ERRORS, RESULTS]);
});

test('example vertex-batch: a directory holding Vertex files this run did not write is refused (exit 2)', () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-vertex-foreign-'));
  fs.writeFileSync(path.join(out, RESULTS), '{"instance":[1],"prediction":[0]}\n');
  const r = run(out);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /already holds output \(prediction\.results-00000-of-00001\) that this run did not write; rerun with --overwrite/);
  assert.equal(fs.readFileSync(path.join(out, RESULTS), 'utf8'), '{"instance":[1],"prediction":[0]}\n');
});

test('vertex output under kill -9: visible Vertex files are whole and committed; the rerun completes exactly once', async () => {
  const { startSluice, runSluice } = await import('../helpers/faults.js');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-vertex-kill-'));
  const instances = lines(path.join(example, 'data/instances.jsonl')).filter((v) => Array.isArray(v) && v.length === 4);
  fs.mkdirSync(path.join(dir, 'data'));
  // 16 files of 60 instances: 16 partitions for one worker, so a kill lands between commits.
  for (let f = 0; f < 16; f++) {
    const body = Array.from({ length: 60 }, (_, i) => JSON.stringify(instances[(f + i) % instances.length])).join('\n');
    fs.writeFileSync(path.join(dir, 'data', `part-${f}.jsonl`), body + '\n');
  }
  const config = {
    ...JSON.parse(fs.readFileSync(path.join(example, 'pipeline.json'), 'utf8')),
    source: { type: 'jsonl', uri: 'data/' },
    model: { type: 'tfjs', uri: path.join(example, 'model/model.json'), batchSize: 8 },
    sink: { type: 'jsonl', uri: 'out', format: 'vertex' },
    errors: { type: 'jsonl', uri: 'out', format: 'vertex' },
  };
  delete config.$schema;
  fs.writeFileSync(path.join(dir, 'pipeline.json'), JSON.stringify(config));
  const out = path.join(dir, 'out');
  const manifest = path.join(out, '_manifest');
  const committed = () => (fs.existsSync(manifest) ? fs.readdirSync(manifest).filter((n) => /^p\d+\.json$/.test(n)) : []);

  const { child, done } = startSluice(['run', path.join(dir, 'pipeline.json')]);
  const started = Date.now();
  while (committed().length === 0 && Date.now() - started < 60_000) await new Promise((r) => setTimeout(r, 5));
  child.kill('SIGKILL');
  await done;
  // What a reader sees after the kill: only files of committed partitions, each whole.
  const ids = new Set(committed().map((n) => Number(n.slice(1, -5))));
  assert.ok(ids.size >= 1 && ids.size < 16, `the kill landed between commits (${ids.size} of 16 committed)`);
  for (const name of fs.readdirSync(out).filter((n) => n.startsWith('prediction.'))) {
    const id = Number(/-(\d{5})-of-/.exec(name)![1]);
    const entry = JSON.parse(fs.readFileSync(path.join(manifest, `p${String(id).padStart(5, '0')}.json`), 'utf8'));
    assert.ok(ids.has(id), `${name} is visible only once its partition is committed`);
    if (name.startsWith('prediction.results')) assert.equal(lines(path.join(out, name)).length, entry.counts.written, `${name} is whole`);
  }

  const r = await runSluice(['run', path.join(dir, 'pipeline.json')]);
  assert.equal(r.status, 0, r.stderr);
  const results = fs.readdirSync(out).filter((n) => n.startsWith('prediction.results-'));
  assert.equal(results.length, 16);
  assert.equal(fs.readdirSync(out).filter((n) => n.startsWith('prediction.errors_stats-')).length, 16);
  assert.equal(results.reduce((n, f) => n + lines(path.join(out, f)).length, 0), 16 * 60, 'every instance exactly once');
});
