#!/usr/bin/env node
// `npm run native`: makes the `tensorflow` backend (@tensorflow/tfjs-node) work in this project.
//
// Where storage.googleapis.com answers, tfjs-node installs the ordinary way (its install script
// downloads libtensorflow and a prebuilt addon). Where it does not (offline machines with only a
// package registry and a pip index), the package is installed without its scripts and its addon
// is built from source against the TensorFlow C library of the `tensorflow-cpu` wheel that pip
// fetches: deps/lib gets libtensorflow_cc.so.2 (as libtensorflow.so) and libtensorflow_framework,
// deps/include the C API headers; node-pre-gyp builds with the running Node's headers.
//
// tfjs-node is installed with --no-save: it is not in package.json, so `npm ci` never runs its
// network-bound install script (see docs/native.md). `npm ci` empties node_modules; the built
// package is therefore kept in .native/ (git-ignored) and a rerun after `npm ci` only copies it.
//
// Exit 0 when `backend: "tensorflow"` loads and runs an op afterwards; else 1 with one line why.
// Idempotent: a working install is left as it is. `--verbose` shows the tools' own output.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const TFJS_NODE_VERSION = '4.22.0';
const TF_WHEEL = 'tensorflow-cpu==2.21.0';
/** Where the prebuilt libtensorflow comes from on the ordinary path (tfjs-node's install.js). */
const PREBUILT_HOST = 'https://storage.googleapis.com/tf-builds/pre-built-binary/';
const verbose = process.argv.includes('--verbose');
const pkgDir = path.join(ROOT, 'node_modules/@tensorflow/tfjs-node');
/** The built package, kept across `npm ci`; one directory per Node ABI and platform. */
const cacheDir = path.join(ROOT, '.native', `tfjs-node-${TFJS_NODE_VERSION}-${process.platform}-${process.arch}-abi${process.versions.modules}`);

function fail(message) {
  console.error(`native: ${message}`);
  process.exit(1);
}

/** Runs a command; on failure prints its output's tail and exits 1 with `what`. */
function run(cmd, args, what, options = {}) {
  const r = spawnSync(cmd, args, { cwd: ROOT, encoding: 'utf8', stdio: verbose ? 'inherit' : 'pipe', maxBuffer: 1 << 28, ...options });
  if (r.error) fail(`${what}: ${r.error.code === 'ENOENT' ? `${cmd} not found` : r.error.message}`);
  if (r.status !== 0) {
    if (!verbose) process.stderr.write(`${(r.stdout ?? '') + (r.stderr ?? '')}`.split('\n').slice(-15).join('\n') + '\n');
    fail(what);
  }
  return r.stdout ?? '';
}

/**
 * Loads tfjs-node from the project in a fresh process and runs an op: null when it works (the
 * TensorFlow version is printed), else the first line of why not.
 */
function probe() {
  const script = `
    const tf = require(${JSON.stringify(pkgDir)});
    const y = tf.square(tf.tensor1d([1, 2, 3])).dataSync();
    if (tf.getBackend() !== 'tensorflow' || y[2] !== 9) throw new Error('the tensorflow backend did not compute 3*3');
    console.log(tf.backend().binding.TF_Version);`;
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '3' } });
  if (r.status === 0) return { ok: true, version: r.stdout.trim() };
  const lines = r.stderr.split('\n').map((l) => l.trim()).filter((l) => /Error|error:|cannot|Cannot/.test(l));
  return { ok: false, why: lines[0] ?? `exit ${r.status}` };
}

/** Whether the host serving tfjs-node's prebuilt binaries answers within a few seconds. */
async function canDownloadPrebuilt() {
  if (process.env.SLUICE_NATIVE_BUILD === 'source') return false;
  try {
    const res = await fetch(PREBUILT_HOST, { method: 'HEAD', signal: AbortSignal.timeout(5000) });
    return res.status < 500;
  } catch {
    return false;
  }
}

function npmInstall(ignoreScripts) {
  const args = ['install', '--no-save', '--no-audit', '--no-fund', ...(ignoreScripts ? ['--ignore-scripts'] : []), `@tensorflow/tfjs-node@${TFJS_NODE_VERSION}`];
  console.log(`native: npm ${args.join(' ')}`);
  run(process.platform === 'win32' ? 'npm.cmd' : 'npm', args, `npm could not install @tensorflow/tfjs-node@${TFJS_NODE_VERSION}`);
}

/** Copies (hard-links where it can: the library is ~850 MB) a directory tree. */
function copyTree(from, to) {
  fs.mkdirSync(to, { recursive: true });
  for (const entry of fs.readdirSync(from, { withFileTypes: true })) {
    const src = path.join(from, entry.name);
    const dst = path.join(to, entry.name);
    fs.rmSync(dst, { recursive: true, force: true });
    if (entry.isDirectory()) copyTree(src, dst);
    else if (entry.isSymbolicLink()) fs.symlinkSync(fs.readlinkSync(src), dst);
    else {
      try {
        fs.linkSync(src, dst);
      } catch {
        fs.copyFileSync(src, dst);
      }
    }
  }
}

/** The directory holding the running Node's headers (include/node/node_api.h), or null. */
function nodeHeadersDir() {
  const npmNodedir = spawnSync(process.platform === 'win32' ? 'npm.cmd' : 'npm', ['config', 'get', 'nodedir'], { encoding: 'utf8' }).stdout?.trim();
  const candidates = [npmNodedir, path.resolve(path.dirname(fs.realpathSync(process.execPath)), '..')];
  return candidates.find((dir) => dir && dir !== 'undefined' && fs.existsSync(path.join(dir, 'include/node/node_api.h'))) ?? null;
}

/** The Python that pip runs under (pip fetches the wheel; its zipfile module unpacks it). */
function findPython() {
  for (const py of ['python3', 'python']) {
    if (spawnSync(py, ['-m', 'pip', '--version'], { encoding: 'utf8' }).status === 0) return py;
  }
  return null;
}

/** Lays out deps/lib and deps/include of the package from the tensorflow-cpu wheel. */
function layOutTensorFlow(python) {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-native-'));
  try {
    console.log(`native: pip download --no-deps ${TF_WHEEL} (the TensorFlow C library)`);
    run(python, ['-m', 'pip', 'download', '--no-deps', '--only-binary=:all:', '-d', tmp, TF_WHEEL], `pip could not download ${TF_WHEEL} (the TensorFlow C library the addon is built against)`);
    const wheel = fs.readdirSync(tmp).find((f) => f.endsWith('.whl'));
    if (!wheel) fail(`pip downloaded no wheel for ${TF_WHEEL}`);
    // Only the C API headers and the two libraries; streamed, the library alone is ~790 MB.
    const unpack = `
import os, re, shutil, sys, zipfile
wheel, deps = sys.argv[1], sys.argv[2]
headers = re.compile(r'^tensorflow/include/(tensorflow/c/.*|tensorflow/core/platform/ctstring.*|tsl/platform/ctstring.*|xla/tsl/c/.*)$')
libs = {'tensorflow/libtensorflow_cc.so.2': 'libtensorflow.so', 'tensorflow/libtensorflow_framework.so.2': 'libtensorflow_framework.so'}
found = set()
with zipfile.ZipFile(wheel) as z:
    for info in z.infolist():
        m = headers.match(info.filename)
        if info.is_dir() or not (m or info.filename in libs):
            continue
        dst = os.path.join(deps, 'include', m.group(1)) if m else os.path.join(deps, 'lib', libs[info.filename])
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        with z.open(info) as src, open(dst, 'wb') as out:
            shutil.copyfileobj(src, out, 1 << 20)
        found.add(info.filename if not m else 'headers')
missing = [n for n in list(libs) + ['headers'] if n not in found]
if missing:
    sys.exit('the wheel lacks ' + ', '.join(missing))
`;
    const deps = path.join(pkgDir, 'deps');
    fs.rmSync(deps, { recursive: true, force: true });
    run(python, ['-c', unpack, path.join(tmp, wheel), deps], `could not unpack the TensorFlow C library from ${wheel}`);
    // The addon links -ltensorflow but records the library's soname (libtensorflow_cc.so.2),
    // which in turn needs libtensorflow_framework.so.2: both names must resolve in deps/lib.
    fs.symlinkSync('libtensorflow.so', path.join(deps, 'lib/libtensorflow_cc.so.2'));
    fs.symlinkSync('libtensorflow_framework.so', path.join(deps, 'lib/libtensorflow_framework.so.2'));
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/** Builds the addon from source with node-pre-gyp (node-gyp underneath), the latest N-API only. */
function buildAddon() {
  const nodedir = nodeHeadersDir();
  if (!nodedir) fail(`the headers of Node ${process.version} are not installed (looked beside ${process.execPath} and npm's nodedir); install them (e.g. the nodejs-dev package) or set npm config nodedir`);
  for (const tool of ['make', 'g++']) {
    if (spawnSync(tool, ['--version']).status !== 0) fail(`building the addon needs ${tool}, which is not installed`);
  }
  const env = { ...process.env };
  // node-pre-gyp runs node-gyp from npm_config_node_gyp (set under `npm run`), else resolves it.
  if (!env.npm_config_node_gyp) {
    const npmRoot = spawnSync(process.platform === 'win32' ? 'npm.cmd' : 'npm', ['root', '-g'], { encoding: 'utf8' }).stdout.trim();
    const bundled = path.join(npmRoot, 'npm/node_modules/node-gyp/bin/node-gyp.js');
    if (fs.existsSync(bundled)) env.npm_config_node_gyp = bundled;
  }
  const preGyp = createRequire(path.join(pkgDir, 'package.json')).resolve('@mapbox/node-pre-gyp/bin/node-pre-gyp');
  console.log(`native: building the tfjs-node addon from source (node-gyp, headers in ${nodedir}; 1-3 minutes)`);
  run(process.execPath, [preGyp, 'rebuild', '--build-from-source', '--build-latest-napi-version-only', `--nodedir=${nodedir}`], 'node-pre-gyp could not build the tfjs-node addon', { cwd: pkgDir, env });
}

function packageVersion() {
  try {
    return JSON.parse(fs.readFileSync(path.join(pkgDir, 'package.json'), 'utf8')).version;
  } catch {
    return null;
  }
}

// 1. Already working: nothing to do.
let state = packageVersion() ? probe() : { ok: false, why: 'not installed' };
if (state.ok) {
  console.log(`native: backend "tensorflow" works (tfjs-node ${packageVersion()}, TensorFlow ${state.version})`);
  process.exit(0);
}

// 2. A build kept from an earlier run (`npm ci` emptied node_modules): reinstall and copy it in.
const cached = fs.existsSync(path.join(cacheDir, 'lib')) && fs.existsSync(path.join(cacheDir, 'deps/lib'));
if (cached) {
  if (packageVersion() !== TFJS_NODE_VERSION) npmInstall(true);
  console.log(`native: using the addon built earlier (${path.relative(ROOT, cacheDir)})`);
  copyTree(cacheDir, pkgDir);
  state = probe();
}

// 3. The ordinary install where the prebuilt binaries can be downloaded.
if (!state.ok && !cached && (await canDownloadPrebuilt())) {
  npmInstall(false);
  state = probe();
  if (!state.ok) console.log(`native: the ordinary install does not load (${state.why}); building from source`);
}

// 4. Offline: build against the tensorflow-cpu wheel's C library.
if (!state.ok) {
  if (process.platform !== 'linux') fail(`building tfjs-node from source is supported on Linux only; here it does not load (${state.why})`);
  const python = findPython();
  if (!python) fail('building tfjs-node needs Python with pip (to fetch the tensorflow-cpu wheel), and neither python3 -m pip nor python -m pip works');
  if (packageVersion() !== TFJS_NODE_VERSION) npmInstall(true);
  layOutTensorFlow(python);
  buildAddon();
  state = probe();
  if (state.ok) {
    fs.rmSync(cacheDir, { recursive: true, force: true });
    for (const dir of ['deps', 'lib']) copyTree(path.join(pkgDir, dir), path.join(cacheDir, dir));
  }
}

if (!state.ok) fail(`@tensorflow/tfjs-node does not load after installing: ${state.why}`);
console.log(`native: backend "tensorflow" works (tfjs-node ${packageVersion()}, TensorFlow ${state.version})`);
