/**
 * A file the config names that cannot be read (no permission) is reported as what it is,
 * naming the file, not as a mistake in the config (issue 18). Root reads everything, so as root
 * the CLI runs as an unprivileged user (nobody, 65534) over a copy of the quickstart that user
 * may read and write, except the one file made unreadable; otherwise chmod 000 does it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CLI, ROOT, assertOnePrefix } from '../helpers/cli.js';

const NOBODY = 65534;
const asRoot = process.getuid?.() === 0;

/**
 * Whether user 65534 can run node, read the compiled CLI and write in the temporary folder the
 * project copies are made in (each path component must let it through).
 */
function nobodyCanRun(): boolean {
  const check = `const fs = require('fs'); fs.accessSync(${JSON.stringify(CLI)}, fs.constants.R_OK); fs.accessSync(${JSON.stringify(os.tmpdir())}, fs.constants.W_OK | fs.constants.X_OK)`;
  const r = spawnSync(process.execPath, ['-e', check], { uid: NOBODY, gid: NOBODY, stdio: 'ignore' });
  return r.status === 0;
}

/** setpriv's arguments that run a command as root without the capabilities that bypass file permissions. */
const NO_DAC = ['--bounding-set=-dac_override,-dac_read_search', '--inh-caps=-dac_override,-dac_read_search'];

/** Whether root without those capabilities is refused a mode-000 file (setpriv from util-linux). */
function setprivWorks(): boolean {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-setpriv-'));
  try {
    const file = path.join(dir, 'f');
    fs.writeFileSync(file, 'x');
    fs.chmodSync(file, 0o000);
    const r = spawnSync('setpriv', [...NO_DAC, process.execPath, '-e', `require('fs').readFileSync(${JSON.stringify(file)})`], { stdio: 'ignore' });
    return r.status !== null && r.status !== 0 && !r.error;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * How the CLI is kept from reading the file: as itself (not root); as user 65534 (root, project
 * readable by that user); as root without file-permission capabilities (a project in a private
 * folder, as a fresh clone under mktemp is).
 */
const mode: 'self' | 'nobody' | 'nocaps' | null =
  process.platform === 'win32' ? null : !asRoot ? 'self' : nobodyCanRun() ? 'nobody' : setprivWorks() ? 'nocaps' : null;
const skip = process.platform === 'win32' ? 'no POSIX permissions on Windows' : mode === null ? 'running as root: user 65534 cannot read the project and setpriv cannot drop root\'s file capabilities' : false;

/** A copy of the quickstart owned by the user the CLI runs as, with `unreadable` (relative) made mode 000. */
function project(unreadable: string): { dir: string; config: string; file: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-unreadable-'));
  for (const d of ['data', 'model']) fs.cpSync(path.join(ROOT, 'examples/quickstart', d), path.join(dir, d), { recursive: true });
  fs.copyFileSync(path.join(ROOT, 'examples/quickstart/pipeline.json'), path.join(dir, 'pipeline.json'));
  if (mode === 'nobody') {
    for (const f of [dir, ...fs.readdirSync(dir, { recursive: true, encoding: 'utf8' }).map((f) => path.join(dir, f))]) fs.chownSync(f, NOBODY, NOBODY);
  }
  const file = path.join(dir, unreadable);
  fs.chmodSync(file, 0o000);
  return { dir, config: path.join(dir, 'pipeline.json'), file };
}

function run(args: string[]) {
  const [cmd, argv] = mode === 'nocaps' ? ['setpriv', [...NO_DAC, process.execPath, CLI, ...args]] : [process.execPath, [CLI, ...args]];
  const r = spawnSync(cmd, argv, {
    cwd: os.tmpdir(),
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, HOME: os.tmpdir() },
    ...(mode === 'nobody' ? { uid: NOBODY, gid: NOBODY } : {}),
  });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

test('unreadable weights: run exits 2 saying permission denied and naming the file, not "problems in the config"', { skip }, () => {
  const p = project('model/weights.bin');
  try {
    const r = run(['run', p.config, '--json']);
    assert.equal(r.status, 2, r.stderr);
    assertOnePrefix(r.stderr);
    assert.match(r.stderr, new RegExp(`^sluice: /model: .*permission denied.*${escape(p.file)}`, 'm'));
    assert.match(r.stderr, /^sluice: cannot read a file the config names \(see above\); nothing was run$/m);
    assert.doesNotMatch(r.stderr, /problems? in the config/);
    assert.equal(JSON.parse(r.stdout).status, 'invalid');
    assert.ok(!fs.existsSync(path.join(p.dir, 'out')), 'nothing was written');
  } finally {
    fs.rmSync(p.dir, { recursive: true, force: true });
  }
});

test('an unreadable model.json: validate exits 2 saying permission denied and naming it', { skip }, () => {
  const p = project('model/model.json');
  try {
    const r = run(['validate', p.config]);
    assert.equal(r.status, 2, r.stderr);
    assertOnePrefix(r.stderr);
    assert.match(r.stderr, new RegExp(`^sluice: /model/uri: cannot read model file ${escape(p.file)}: .*permission denied`, 'm'));
    assert.doesNotMatch(r.stderr, /problems? in the config/);
  } finally {
    fs.rmSync(p.dir, { recursive: true, force: true });
  }
});

test('an unreadable input file: the run fails (exit 1) saying permission denied and naming the file', { skip }, () => {
  const p = project('data/flowers.jsonl');
  try {
    const r = run(['run', p.config, '--set', 'execution.maxAttempts=1']);
    assert.equal(r.status, 1, r.stderr);
    assertOnePrefix(r.stderr);
    assert.match(r.stderr, new RegExp(`^sluice: partition 0 \\(data/flowers\\.jsonl\\) failed after 1 attempt: EACCES: permission denied, open '${escape(p.file)}' \\(0 of 1 partitions`, 'm'));
    assert.doesNotMatch(r.stderr, /in the config/);
  } finally {
    fs.rmSync(p.dir, { recursive: true, force: true });
  }
});

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
