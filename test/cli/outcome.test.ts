/**
 * What `sluice run` and `sluice validate` tell people and machines (issue 18): `--json` prints
 * one object on stdout whatever happens, a run stopped by its failures explains itself (kinds,
 * one sample each, error row paths, `_STATUS.json`), and its output does not block the
 * corrected config without saying the exact command.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT, assertOnePrefix, sluice } from '../helpers/cli.js';
import { committedIds, faultArgs, makeProject, startSluice, waitFor } from '../helpers/faults.js';

function quickstartCopy(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-outcome-'));
  for (const d of ['data', 'model']) fs.cpSync(path.join(ROOT, 'examples/quickstart', d), path.join(dir, d), { recursive: true });
  fs.copyFileSync(path.join(ROOT, 'examples/quickstart/pipeline.json'), path.join(dir, 'pipeline.json'));
  return dir;
}
const MISSPELT = ['--set', 'decode.features={"measurments":{"dtype":"float32","shape":[4]}}'];

test('--json on success: one object with status "succeeded", the counts and the outputs', () => {
  const dir = quickstartCopy();
  const r = sluice(['run', path.join(dir, 'pipeline.json'), '--json']);
  assert.equal(r.status, 0, r.stderr);
  assertOnePrefix(r.stderr);
  const out = JSON.parse(r.stdout);
  assert.equal(out.status, 'succeeded');
  assert.deepEqual([out.counts.read, out.counts.written, out.counts.failed], [154, 150, 4]);
  assert.deepEqual(out.outputs, [path.join(dir, 'out/predictions'), path.join(dir, 'out/errors')]);
  // Error rows carry their kind.
  const rows = fs.readFileSync(path.join(dir, 'out/errors/part-00000-of-00001.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(rows.map((e) => e.code).sort(), ['bad-json', 'missing-feature', 'not-numeric', 'shape']);
  assert.deepEqual(Object.keys(rows[0]), ['key', 'source', 'index', 'offset', 'stage', 'code', 'error', 'raw']);
});

test('a run that fails explains itself: kinds with a sample each, error rows, _STATUS.json; the fixed config is told the exact command', () => {
  const dir = quickstartCopy();
  const config = path.join(dir, 'pipeline.json');
  const r = sluice(['run', config, ...MISSPELT, '--json']);
  assert.equal(r.status, 1, r.stderr);
  assertOnePrefix(r.stderr);
  const out = JSON.parse(r.stdout);
  assert.equal(out.status, 'failed');
  assert.equal(out.code, 'NOTHING_SUCCEEDED');
  assert.match(out.reason, /^error budget exceeded: 154 of 154 records failed \(100\.0%\), more than maxErrorRate 0\.1 \(10%\); top reason: decode\/missing-feature \(153 records\)$/);
  assert.deepEqual(out.counts, { read: 154, written: 0, failed: 154 });
  assert.deepEqual(
    out.failures.map((f: any) => [f.kind, f.count, f.sample.source, f.sample.index]),
    [
      ['decode/missing-feature', 153, 'data/flowers.jsonl', 0],
      ['decode/bad-json', 1, 'data/flowers.jsonl', 25],
    ],
  );
  assert.match(out.failures[0].sample.error, /^feature "measurments": missing/);
  assert.deepEqual(out.errorFiles, [path.join(dir, 'out/errors/part-00000-of-00001.jsonl')]);
  const status = JSON.parse(fs.readFileSync(path.join(dir, 'out/predictions/_STATUS.json'), 'utf8'));
  assert.equal(status.status, 'failed');
  assert.equal(status.code, 'NOTHING_SUCCEEDED');
  // The human report on stderr says the same.
  assert.match(r.stderr, /^sluice: run failed: error budget exceeded: .*top reason: decode\/missing-feature/m);
  assert.match(r.stderr, /^    decode\/missing-feature 153\n      data\/flowers\.jsonl record 0 \(key "flower-001"\): feature "measurments": missing/m);
  assert.match(r.stderr, new RegExp(`^  error rows ${path.join(dir, 'out/errors/part-00000-of-00001.jsonl')}$`, 'm'));
  assert.match(r.stderr, /^  next       fix the config, then replace this failed output: sluice run .* --overwrite$/m);

  // The corrected config: refused (exit 2) with the exact command, then that command works.
  const fixed = sluice(['run', config]);
  assert.equal(fixed.status, 2, fixed.stderr);
  assert.match(fixed.stderr, new RegExp(`^sluice: ${path.join(dir, 'out/predictions')} holds a run that failed \\(error budget exceeded.*none of it is a result: replace it with: sluice run ${config} --overwrite$`, 'm'));
  const replaced = sluice(['run', config, '--overwrite', '--quiet']);
  assert.equal(replaced.status, 0, replaced.stderr);
  assert.equal(replaced.stderr, '', '--quiet prints nothing on success');
  assert.ok(!fs.existsSync(path.join(dir, 'out/predictions/_STATUS.json')), 'a succeeded run removes the stale status');
  assert.ok(fs.existsSync(path.join(dir, 'out/predictions/_SUCCESS')));
});

test('--json on an invalid config and on a usage error: status "invalid" with the problems; validate --json likewise', () => {
  const dir = quickstartCopy();
  const config = path.join(dir, 'pipeline.json');
  const bad = sluice(['run', config, '--json', '--set', 'modle={}']);
  assert.equal(bad.status, 2);
  assert.deepEqual(JSON.parse(bad.stdout), {
    status: 'invalid',
    code: 'CONFIG_INVALID',
    problems: ['/modle: unknown key (allowed: name, source, decode, key, model, post, sink, errors, execution, storage, serve); did you mean "model"?'],
  });
  const usage = sluice(['run', config, '--json', '--bogus']);
  assert.equal(usage.status, 2);
  assert.deepEqual(JSON.parse(usage.stdout), { status: 'invalid', code: 'USAGE', problems: ["unknown option '--bogus'"] });
  assert.equal(usage.stderr, "sluice: unknown option '--bogus'\n");
  const valid = sluice(['validate', config, '--json']);
  assert.equal(valid.status, 0, valid.stderr);
  assert.equal(JSON.parse(valid.stdout).status, 'valid');
  const invalid = sluice(['validate', config, '--json', '--set', 'model.batchsize=3']);
  assert.equal(invalid.status, 2);
  assert.equal(JSON.parse(invalid.stdout).status, 'invalid');
});

test('one prefix for every message: config problems, a missing input, usage errors with their suggestion; help exits 0', () => {
  const config = path.join(ROOT, 'examples/quickstart/pipeline.json');
  const bad = sluice(['validate', config, '--set', 'modle={}', '--set', 'model.batchSize=0']);
  assert.equal(bad.status, 2);
  assert.deepEqual(bad.stderr.trim().split('\n'), [
    'sluice: /modle: unknown key (allowed: name, source, decode, key, model, post, sink, errors, execution, storage, serve); did you mean "model"?',
    'sluice: /model/batchSize: must be >= 1, got 0',
    'sluice: 2 problems in the config; nothing was run',
  ]);
  const noInput = sluice(['run', config, '--set', 'source.uri=data/nothing-*.jsonl']);
  assert.equal(noInput.status, 2);
  assert.match(noInput.stderr, /^sluice: \/source\/uri: no file matches "data\/nothing-\*\.jsonl"/);
  assertOnePrefix(noInput.stderr);
  const typo = sluice(['rnu', config, '--json']);
  assert.equal(typo.status, 2);
  assert.equal(typo.stderr, `sluice: unknown command 'rnu'; did you mean "run"?\n`);
  assert.deepEqual(JSON.parse(typo.stdout).problems, [`unknown command 'rnu'; did you mean "run"?`]);
  const option = sluice(['run', config, '--overwrit']);
  assert.equal(option.status, 2);
  assert.equal(option.stderr, `sluice: unknown option '--overwrit'; did you mean "--overwrite"?\n`);
  const missing = sluice(['run']);
  assert.equal(missing.status, 2);
  assert.equal(missing.stderr, `sluice: missing required argument 'pipeline.json'\n`);
  for (const args of [['--help'], ['help'], ['run', '--help'], ['help', 'validate'], ['--version']]) {
    const r = sluice(args);
    assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
    assert.equal(r.stderr, '', args.join(' '));
  }
  // No command at all: the help, on stderr, as a usage error.
  const none = sluice([]);
  assert.equal(none.status, 2);
  assert.match(none.stderr, /^Usage: sluice /);
});

test('did you mean: unknown keys, stage types, dtypes and backends', () => {
  const config = path.join(ROOT, 'examples/quickstart/pipeline.json');
  const r = sluice(['validate', config, '--set', 'modle={}', '--set', 'model.batchsize=3', '--set', 'source.type="jsnol"', '--set', 'decode.features.measurements.dtype="float"', '--set', 'model.backend="wsam"', '--set', 'post.0.type="argmx"']);
  assert.equal(r.status, 2);
  const hints = r.stderr.split('\n').flatMap((l) => /^sluice: (\S+): .*; did you mean "([^"]+)"\?$/.exec(l)?.slice(1) ?? []);
  assert.deepEqual(hints, [
    '/modle', 'model',
    '/source/type', 'jsonl',
    '/decode/features/measurements/dtype', 'float32',
    '/model/batchsize', 'batchSize',
    '/model/backend', 'wasm',
    '/post/0/type', 'argmax',
  ]);
});

test('--help shows examples and exit codes', () => {
  const r = sluice(['--help']);
  assert.equal(r.status, 0);
  assert.match(r.stdout, /Examples:\n  \$ sluice init /);
  assert.match(r.stdout, /Exit codes:\n  0  done/);
  assert.match(r.stdout, /\n  2  invalid config/);
});

test('--json on an interrupted run: status "interrupted", and _STATUS.json says so', async () => {
  const p = makeProject({ name: 'json-interrupt', edit: (c) => (c.execution.partitionBytes = 6000) });
  const { child, done } = startSluice(['run', p.config, '--json', ...faultArgs({ kind: 'slow', ms: 60 })]);
  await waitFor(() => committedIds(p).length > 0, 60_000, 'the first commit');
  child.kill('SIGINT');
  const r = await done;
  assert.equal(r.status, 1, r.stderr);
  assertOnePrefix(r.stderr);
  assert.match(r.stderr, /^sluice: interrupted: \d+ of \d+ partitions are committed; run the same command again to resume$/m);
  const out = JSON.parse(r.stdout);
  assert.equal(out.status, 'interrupted');
  assert.equal(out.code, 'INTERRUPTED');
  assert.match(out.reason, /^interrupted: \d+ of \d+ partitions are committed; run the same command again to resume$/);
  assert.ok(out.counts.read > 0);
  assert.equal(JSON.parse(fs.readFileSync(path.join(p.out, '_STATUS.json'), 'utf8')).status, 'interrupted');
});
