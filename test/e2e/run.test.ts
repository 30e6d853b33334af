/**
 * End-to-end runs of the CLI as users run it (compiled, as a child process, from another
 * working directory) on the quickstart's real model and data, copied to a temp project.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT, byKey, readParts, sluice } from '../helpers/cli.js';

const QUICKSTART = path.join(ROOT, 'examples/quickstart');

/** A fresh copy of the quickstart (data, model, pipeline) to run in; returns the config path. */
function project(edit: (config: any) => void = () => {}): { dir: string; config: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-e2e-'));
  fs.cpSync(path.join(QUICKSTART, 'data'), path.join(dir, 'data'), { recursive: true });
  fs.cpSync(path.join(QUICKSTART, 'model'), path.join(dir, 'model'), { recursive: true });
  const config = JSON.parse(fs.readFileSync(path.join(QUICKSTART, 'pipeline.json'), 'utf8'));
  delete config.$schema;
  edit(config);
  fs.writeFileSync(path.join(dir, 'pipeline.json'), JSON.stringify(config, null, 2));
  return { dir, config: path.join(dir, 'pipeline.json') };
}

const inputLines = () => fs.readFileSync(path.join(QUICKSTART, 'data/flowers.jsonl'), 'utf8').split('\n').filter((l) => l.trim()).length;

test('a run writes exactly one row per input record, across predictions and errors', () => {
  const p = project();
  const r = sluice(['run', p.config, '--json']);
  assert.equal(r.status, 0, r.stderr);
  const predictions = readParts(path.join(p.dir, 'out/predictions'));
  const errors = readParts(path.join(p.dir, 'out/errors'));
  assert.equal(predictions.length + errors.length, inputLines());
  assert.equal(errors.length, 4);
  const summary = JSON.parse(r.stdout);
  assert.deepEqual([summary.counts.read, summary.counts.written, summary.counts.failed], [inputLines(), predictions.length, 4]);
  const success = JSON.parse(fs.readFileSync(path.join(p.dir, 'out/predictions/_SUCCESS'), 'utf8'));
  assert.equal(success.planFingerprint, summary.planFingerprint);
  assert.match(success.model.sha256, /^[0-9a-f]{64}$/);
  assert.ok(!fs.existsSync(path.join(p.dir, 'out/predictions/_temporary')) || fs.readdirSync(path.join(p.dir, 'out/predictions/_temporary')).length === 0);
  // Progress and the summary went to stderr, the JSON alone to stdout.
  assert.doesNotThrow(() => JSON.parse(r.stdout));
});

test('byte-range partitions on 2 workers give the same rows as one whole-file partition', () => {
  const whole = project();
  assert.equal(sluice(['run', whole.config]).status, 0);
  const split = project();
  const r = sluice(['run', split.config, '--json', '--set', 'execution.partitionBytes=1500', '--set', 'execution.workers=2']);
  assert.equal(r.status, 0, r.stderr);
  const summary = JSON.parse(r.stdout);
  assert.ok(summary.partitions.total >= 6, `expected several partitions, got ${summary.partitions.total}`);
  const a = byKey(readParts(path.join(whole.dir, 'out/predictions')));
  const b = byKey(readParts(path.join(split.dir, 'out/predictions')));
  assert.deepEqual(b, a);
  const keys = b.map((row) => row.key);
  assert.equal(new Set(keys).size, keys.length, 'every key exactly once');
  // Error rows of split files name the byte offset; the index is unknown without a second pass.
  for (const e of readParts(path.join(split.dir, 'out/errors'))) {
    assert.equal(typeof e.offset, 'number');
    assert.equal(e.source, 'data/flowers.jsonl');
  }
  const parts = fs.readdirSync(path.join(split.dir, 'out/predictions')).filter((f) => f.startsWith('part-'));
  assert.equal(parts.length, summary.partitions.total);
  assert.match(parts[0]!, /^part-00000-of-000\d\d\.jsonl$/);
});

test('rerunning over a complete output is a no-op; a partial one resumes; another config is refused', () => {
  const p = project((c) => (c.execution = { workers: 2, partitionBytes: 2000 }));
  assert.equal(sluice(['run', p.config]).status, 0);
  const out = path.join(p.dir, 'out/predictions');
  const before = byKey(readParts(out));

  const again = sluice(['run', p.config, '--json']);
  assert.equal(again.status, 0, again.stderr);
  assert.equal(JSON.parse(again.stdout).partitions.resumed, JSON.parse(again.stdout).partitions.total);

  // Lose two committed partitions and _SUCCESS, as a crash before the end would.
  fs.rmSync(path.join(out, '_SUCCESS'));
  for (const id of ['00001', '00003']) {
    fs.rmSync(path.join(out, '_manifest', `p${id}.json`));
    for (const f of fs.readdirSync(out).filter((n) => n.startsWith(`part-${id}-`))) fs.rmSync(path.join(out, f));
  }
  const resumed = sluice(['run', p.config, '--json']);
  assert.equal(resumed.status, 0, resumed.stderr);
  const s = JSON.parse(resumed.stdout);
  assert.equal(s.partitions.resumed, s.partitions.total - 2);
  assert.deepEqual(byKey(readParts(out)), before);
  assert.equal(s.counts.read, inputLines());

  const changed = sluice(['run', p.config, '--set', 'post.1.digits=2']);
  assert.equal(changed.status, 2);
  assert.match(changed.stderr, /holds the output of another run \(the config or model changed since it was written\); rerun with --overwrite to replace it/);
  const overwritten = sluice(['run', p.config, '--set', 'post.1.digits=2', '--overwrite']);
  assert.equal(overwritten.status, 0, overwritten.stderr);
});

test('the error budget stops a run with exit 1 and says why', () => {
  const p = project();
  const r = sluice(['run', p.config, '--set', 'execution.maxErrors=2']);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /error budget exceeded: \d+ records failed, more than maxErrors 2/);
  assert.ok(!fs.existsSync(path.join(p.dir, 'out/predictions/_SUCCESS')));
  const rate = sluice(['run', p.config, '--overwrite', '--set', 'execution.maxErrorRate=0.01']);
  assert.equal(rate.status, 1);
  assert.match(rate.stderr, /error budget exceeded: 4 of 154 records failed \(2\.6%\), more than maxErrorRate 0\.01 \(1%\)/);
});

test('a run where every record fails exits 1', () => {
  const p = project();
  fs.writeFileSync(path.join(p.dir, 'data/flowers.jsonl'), '{"id":"a","measurements":[1]}\n{"id":"b"}\n');
  const r = sluice(['run', p.config, '--set', 'execution.maxErrorRate=1']);
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /no record was predicted: all 2 records failed/);
});

test('missing input, missing model and feature/model mismatches exit 2 before reading data', () => {
  const p = project();
  const noInput = sluice(['run', p.config, '--set', 'source.uri=data/nothing-*.jsonl']);
  assert.equal(noInput.status, 2);
  assert.match(noInput.stderr, /^sluice: \/source\/uri: no file matches "data\/nothing-\*\.jsonl"/m);
  const noModel = sluice(['validate', p.config, '--set', 'model.uri=model/missing.json']);
  assert.equal(noModel.status, 2);
  assert.match(noModel.stderr, /^sluice: \/model\/uri: model file .*missing\.json does not exist$/m);
  const shape = sluice(['validate', p.config, '--set', 'decode.features.measurements.shape=[3]']);
  assert.equal(shape.status, 2);
  assert.match(shape.stderr, /\[3\].*\[-1,4\]|\[-1,4\].*\[3\]/);
  assert.doesNotMatch(shape.stderr, /    at /, 'no stack trace without --verbose');
  assert.ok(!fs.existsSync(path.join(p.dir, 'out')), 'nothing was written');
});

test('validate accepts the quickstart from any working directory; --help works for every command', () => {
  const p = project();
  const r = sluice(['validate', p.config], { cwd: os.tmpdir() });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /valid: jsonl → json → field → tfjs → argmax → round → jsonl/);
  for (const cmd of [['--help'], ['run', '--help'], ['validate', '--help']]) {
    const h = sluice(cmd);
    assert.equal(h.status, 0);
    assert.match(h.stdout, /Usage: sluice/);
  }
  const bad = sluice(['frobnicate']);
  assert.equal(bad.status, 2);
});
