// Runs the compiled tests (`node --test`, one file at a time) with TMPDIR pointing at a fresh
// folder that is removed when the run ends, passed or failed or interrupted. Tests make temporary
// folders (outputs, model copies, the S3 and GCS emulators' stores) through os.tmpdir(), and
// many leave them: 13 GB of them were in /tmp when a CI run failed for want of disk space.
//
// Usage: node scripts/run-tests.mjs [test files…]   (default: every dist/test/**/*.test.js)
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const root = new URL('../', import.meta.url).pathname;

/** Every compiled test file under dist/test, in path order; the linked test-only packages are skipped. */
function testFiles() {
  const dir = path.join(root, 'dist/test');
  return fs
    .readdirSync(dir, { recursive: true })
    .map(String)
    .filter((f) => f.endsWith('.test.js') && !f.split(path.sep).includes('node_modules'))
    .map((f) => path.join('dist/test', f))
    .sort();
}

const files = process.argv.length > 2 ? process.argv.slice(2) : testFiles();
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-tests-'));
// The folder stands in for /tmp, so it gets /tmp's mode: mkdtemp makes it 0700, and tests that run
// the CLI as another user (test/cli/unreadable.test.ts runs it as user 65534 when root) need to
// enter it.
fs.chmodSync(tmp, 0o1777);
const removeTmp = () => fs.rmSync(tmp, { recursive: true, force: true });

const child = spawn(process.execPath, ['--test', '--test-concurrency=1', ...files], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, TMPDIR: tmp },
});
// Ctrl-C reaches the child through the terminal; a signal sent to this process alone is passed on.
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => {
  removeTmp();
  process.exit(code ?? (signal ? 1 : 0));
});
child.on('error', (err) => {
  removeTmp();
  console.error(`sluice: could not start the tests: ${err.message}`);
  process.exit(1);
});
