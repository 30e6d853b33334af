/**
 * Every example is a golden test: `examples/<name>/` runs with its real model through the CLI
 * (outputs redirected to a temp dir) and its rows must equal `expected/`: for each sink,
 * `expected/<name>.jsonl` holds its rows and/or `expected/<name>/` the other files it writes
 * (e.g. a metrics sink's `metrics.json`). An example whose input lies in `../shared` beside the
 * project (the fixtures) is skipped when that is absent.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT, assertClose, byKey, readParts, sluice } from '../helpers/cli.js';
import { BACKENDS, needsNative } from '../helpers/native.js';

const examplesDir = path.join(ROOT, 'examples');
const SHARED = path.resolve(ROOT, '../shared');

/** Examples whose output does not land in files: each is the golden test of its own test file. */
const OWN_TESTS: Record<string, string> = {
  'http-sink': 'test/examples/http-sink.test.ts (serves the endpoint the sink posts to)',
  'vertex-batch': 'test/examples/vertex-batch.test.ts (Vertex AI file names, not part- files)',
  'ratings-savedmodel': 'test/examples/ratings-savedmodel.test.ts (a SavedModel: the tensorflow backend, both pipelines)',
  'segment-scores': 'test/examples/segment-scores.test.ts (the spec metrics, from many partitions and from one)',
};

/**
 * JSON.parse's own wording changes between Node versions: compare only what Sluice says (a user
 * stage's Failures carry a prefix naming it: `/decode (IrisSpec): invalid JSON: …`). Input
 * files outside the project are named by absolute path (keys, error rows): `../shared/…` then.
 */
function portable(row: any): any {
  const out = typeof row.error === 'string' && row.error.includes('invalid JSON: ') ? { ...row, error: row.error.replace(/invalid JSON: .*$/, 'invalid JSON: …') } : { ...row };
  for (const field of ['key', 'source']) {
    if (typeof out[field] === 'string' && out[field].startsWith(SHARED + path.sep)) out[field] = '../shared' + out[field].slice(SHARED.length);
  }
  return out;
}

/** Files a sink wrote besides its rows and the engine's own (`part-…`, `_SUCCESS`, `_manifest`…). */
const extraFiles = (dir: string) => (fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => !f.startsWith('part-') && !f.startsWith('_')).sort() : []);

for (const name of fs.readdirSync(examplesDir).sort()) {
  const dir = path.join(examplesDir, name);
  const expectedDir = path.join(dir, 'expected');
  if (!fs.existsSync(path.join(dir, 'pipeline.json')) || OWN_TESTS[name]) continue;
  const config = JSON.parse(fs.readFileSync(path.join(dir, 'pipeline.json'), 'utf8'));
  const input = path.resolve(dir, config.source.uri);
  const absent = input.startsWith(SHARED + path.sep) && !fs.existsSync(SHARED) ? `its input is in ${SHARED}, which is absent` : false;
  // A tfjs model runs on every backend (within the same 1e-4); tensorflow where `npm run native` ran.
  const backends: Array<string | null> = config.model?.type === 'tfjs' ? [...BACKENDS] : [null];
  for (const backend of backends) {
  const skip = absent || (backend === 'tensorflow' && needsNative());
  test(`example ${name} matches expected/${backend ? ` on ${backend}` : ''}`, { skip }, () => {
    assert.ok(fs.existsSync(expectedDir), `examples/${name} has no expected/ directory: every example is a golden test`);
    const out = fs.mkdtempSync(path.join(os.tmpdir(), `sluice-example-${name}-`));
    const sinks: { uri: string }[] = Array.isArray(config.sink) ? config.sink : [config.sink];
    const sets: string[] = [];
    const targets: { expected: string; dir: string }[] = [];
    sinks.forEach((s, i) => {
      const target = path.join(out, `sink${i}`);
      sets.push('--set', `${Array.isArray(config.sink) ? `sink.${i}` : 'sink'}.uri=${target}`);
      targets.push({ expected: path.basename(s.uri), dir: target });
    });
    const errorsUri = config.errors?.uri ?? `${sinks[0]!.uri}/_errors`;
    sets.push('--set', `errors.uri=${path.join(out, 'errors')}`);
    targets.push({ expected: path.basename(errorsUri), dir: path.join(out, 'errors') });

    if (backend) sets.push('--set', `model.backend=${backend}`);
    const r = sluice(['run', path.join(dir, 'pipeline.json'), '--json', ...sets]);
    assert.equal(r.status, 0, r.stderr);
    const summary = JSON.parse(r.stdout);
    for (const t of targets) {
      const rows = path.join(expectedDir, `${t.expected}.jsonl`);
      const files = path.join(expectedDir, t.expected);
      assert.ok(fs.existsSync(rows) || fs.existsSync(files), `missing ${path.relative(ROOT, rows)} (or ${path.relative(ROOT, files)}/)`);
      if (fs.existsSync(rows)) {
        const expected = fs.readFileSync(rows, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
        assertClose(byKey(readParts(t.dir).map(portable)), byKey(expected.map(portable)), 1e-4);
      }
      if (fs.existsSync(files)) {
        assert.deepEqual(extraFiles(t.dir), extraFiles(files), `files written in ${t.expected}/`);
        // Other files (metrics.html, drawn from metrics.json) must exist; JSON ones must match.
        for (const f of extraFiles(files).filter((name) => name.endsWith('.json'))) {
          assertClose(JSON.parse(fs.readFileSync(path.join(t.dir, f), 'utf8')), JSON.parse(fs.readFileSync(path.join(files, f), 'utf8')), 1e-4, `${t.expected}/${f}`);
        }
      }
    }
    assert.equal(summary.counts.read, summary.counts.written + summary.counts.failed);
  });
  }
}
