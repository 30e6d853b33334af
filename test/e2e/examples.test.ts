/**
 * Every example is a golden test: `examples/<name>/` runs with its real model through the CLI
 * (outputs redirected to a temp dir) and its rows must equal `expected/`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT, assertClose, byKey, readParts, sluice } from '../helpers/cli.js';

const examplesDir = path.join(ROOT, 'examples');

/** Examples whose output does not land in files: each is the golden test of its own test file. */
const OWN_TESTS: Record<string, string> = {
  'http-sink': 'test/examples/http-sink.test.ts (serves the endpoint the sink posts to)',
};

/** JSON.parse's own wording changes between Node versions: compare only what Sluice says. */
function portable(row: any): any {
  // (a user stage's Failures carry a prefix naming it: `/decode (IrisSpec): invalid JSON: …`)
  return typeof row.error === 'string' && row.error.includes('invalid JSON: ') ? { ...row, error: row.error.replace(/invalid JSON: .*$/, 'invalid JSON: …') } : row;
}

for (const name of fs.readdirSync(examplesDir).sort()) {
  const dir = path.join(examplesDir, name);
  const expectedDir = path.join(dir, 'expected');
  if (!fs.existsSync(path.join(dir, 'pipeline.json')) || OWN_TESTS[name]) continue;
  test(`example ${name} matches expected/`, () => {
    assert.ok(fs.existsSync(expectedDir), `examples/${name} has no expected/ directory: every example is a golden test`);
    const config = JSON.parse(fs.readFileSync(path.join(dir, 'pipeline.json'), 'utf8'));
    const out = fs.mkdtempSync(path.join(os.tmpdir(), `sluice-example-${name}-`));
    const sinks: { uri: string }[] = Array.isArray(config.sink) ? config.sink : [config.sink];
    const sets: string[] = [];
    const targets: { expected: string; dir: string }[] = [];
    sinks.forEach((s, i) => {
      const target = path.join(out, `sink${i}`);
      sets.push('--set', `${Array.isArray(config.sink) ? `sink.${i}` : 'sink'}.uri=${target}`);
      targets.push({ expected: `${path.basename(s.uri)}.jsonl`, dir: target });
    });
    const errorsUri = config.errors?.uri ?? `${sinks[0]!.uri}/_errors`;
    sets.push('--set', `errors.uri=${path.join(out, 'errors')}`);
    targets.push({ expected: `${path.basename(errorsUri)}.jsonl`, dir: path.join(out, 'errors') });

    const r = sluice(['run', path.join(dir, 'pipeline.json'), '--json', ...sets]);
    assert.equal(r.status, 0, r.stderr);
    const summary = JSON.parse(r.stdout);
    for (const t of targets) {
      const file = path.join(expectedDir, t.expected);
      assert.ok(fs.existsSync(file), `missing ${path.relative(ROOT, file)}`);
      const expected = fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
      assertClose(byKey(readParts(t.dir)).map(portable), byKey(expected).map(portable), 1e-4);
    }
    assert.equal(summary.counts.read, summary.counts.written + summary.counts.failed);
  });
}
