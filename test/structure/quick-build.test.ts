/**
 * The quick build (`scripts/transpile.mjs`, what `npm ci` and `npm run quickstart` run) emits,
 * file for file, what the type-checking build (`tsc -b`, which built this dist/) emitted: a file
 * that only compiles right with the whole program in view (a re-exported type, a const enum)
 * would differ here instead of failing on a user's first run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from '../helpers/cli.js';

const emitted = (dir: string) =>
  fs
    .readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => /\.(c?js|map)$/.test(f) && !f.split(path.sep).includes('node_modules'))
    .sort();

test('the quick build emits what tsc emits for src/, stages/, examples/ and scripts/', () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-quick-build-'));
  try {
    const r = spawnSync(process.execPath, [path.join(ROOT, 'scripts/transpile.mjs'), '--out', out], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const quick = emitted(out);
    // The tests and benchmarks are left to `npm run build`, as is the precompiled validator (post-build).
    const full = ['src', 'stages', 'examples', 'scripts'].flatMap((d) => emitted(path.join(ROOT, 'dist', d)).map((f) => path.join(d, f))).filter((f) => !f.endsWith('pipeline-validator.cjs'))
      // Outputs of deleted sources stay in an old dist/ (tsc never removes them): not emitted.
      .filter((f) => fs.existsSync(path.join(ROOT, f.replace(/\.map$/, '').replace(/\.js$/, '.ts').replace(/\.cjs$/, '.cts'))))
      .sort();
    assert.ok(quick.length > 300, `only ${quick.length} files emitted`);
    assert.deepEqual(quick, full);
    const differing = quick.filter((f) => !fs.readFileSync(path.join(out, f)).equals(fs.readFileSync(path.join(ROOT, 'dist', f))));
    assert.deepEqual(differing, []);
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
});
