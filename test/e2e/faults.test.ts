/**
 * Fault injection on real runs of the compiled CLI (issue 5): worker threads that exit or throw
 * mid-partition, storage writes that fail, an output beneath a regular file, an input file that
 * disappears after planning, and resume after all of them. Faults are injected by the
 * test's preload module (test/helpers/fault-preload.ts, through `execution.preload`); everything
 * else is the real engine.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { checkCommitted, checkExactlyOnce, faultArgs, makeProject, runSluice } from '../helpers/faults.js';

// Progress lines come once per interval on a pipe: a slower start (TensorFlow's load, a busy machine) prints some.
const oneLine = (stderr: string) => stderr.split('\n').filter((l) => l && !l.startsWith('sluice: jsonl') && !l.startsWith('sluice: progress:') && !/^sluice: partition \d+ .* attempt \d+ failed: /.test(l)).join('\n');

test('a worker thread that exits mid-partition is replaced and the partition retried: exact output', async () => {
  const p = makeProject({ name: 'worker-exit' });
  const r = await runSluice(['run', p.config, '--json', ...faultArgs({ kind: 'worker-exit', partition: 3, attempts: 2 })]);
  assert.equal(r.status, 0, r.stderr);
  // Two failed attempts, each reported with its backoff, then success on the third.
  assert.match(r.stderr, /partition 3 \(data\/input-\d\.jsonl bytes \d+-\d+\) attempt 1 failed: its worker thread exited \(code 70\); retrying in 200 ms/);
  assert.match(r.stderr, /attempt 2 failed: its worker thread exited \(code 70\); retrying in 400 ms/);
  checkExactlyOnce(p);
});

test('a worker thread that keeps throwing: the run stops after maxAttempts with one line, committed output intact, rerun completes', async () => {
  const p = makeProject({ name: 'worker-throw' });
  const r = await runSluice(['run', p.config, '--set', 'execution.maxAttempts=2', ...faultArgs({ kind: 'worker-throw', partition: 1 })]);
  assert.equal(r.status, 1, r.stderr);
  assert.match(
    oneLine(r.stderr),
    /^sluice: partition 1 \(data\/input-0\.jsonl bytes \d+-\d+\) failed after 2 attempts: injected fault: worker-throw \(\d+ of \d+ partitions are committed; run the same command again to resume\)$/,
  );
  assert.doesNotMatch(r.stderr, /    at /, 'no stack trace');
  assert.ok(!checkCommitted(p).committed.includes(1));
  assert.ok(!fs.existsSync(path.join(p.out, '_SUCCESS')));
  const again = await runSluice(['run', p.config]);
  assert.equal(again.status, 0, again.stderr);
  checkExactlyOnce(p);
});

test('a disk that fills up (ENOSPC at a chosen write): exit 1 naming the error, no partial part file, rerun completes exactly once', async () => {
  const p = makeProject({ name: 'enospc' });
  const r = await runSluice(['run', p.config, ...faultArgs({ kind: 'write-error', partition: 4, code: 'ENOSPC' })]);
  assert.equal(r.status, 1, r.stderr);
  assert.match(oneLine(r.stderr), /^sluice: partition 4 \(.*\) failed after 3 attempts: ENOSPC: .* \(the disk is full\) \(\d+ of \d+ partitions are committed; run the same command again to resume\)$/);
  const { committed } = checkCommitted(p);
  assert.ok(!committed.includes(4));
  for (const dir of [p.out, p.errors]) {
    assert.ok(!fs.readdirSync(dir).some((n) => n.startsWith('part-00004-')), 'the failed partition left no part file');
    assert.ok(!fs.existsSync(path.join(dir, '_temporary')) || fs.readdirSync(path.join(dir, '_temporary')).length === 0, 'attempts are cleaned up');
  }
  const again = await runSluice(['run', p.config, '--json']);
  assert.equal(again.status, 0, again.stderr);
  assert.equal(JSON.parse(again.stdout).partitions.resumed, committed.length);
  checkExactlyOnce(p);
});

test('EACCES on the errors output of one partition: exit 1, the other output untouched', async () => {
  const p = makeProject({ name: 'eacces', files: 1 });
  const r = await runSluice(['run', p.config, '--set', 'execution.maxAttempts=1', ...faultArgs({ kind: 'write-error', partition: 0, code: 'EACCES' })]);
  assert.equal(r.status, 1, r.stderr);
  assert.match(oneLine(r.stderr), /^sluice: partition 0 \(.*\) failed after 1 attempt: EACCES: .* \(permission denied\)/);
  checkCommitted(p);
});

test('an output beneath a regular file: one clear line, exit 1, nothing written', async () => {
  const p = makeProject({ name: 'under-file', files: 1 });
  fs.writeFileSync(path.join(p.dir, 'a-file'), 'not a directory\n');
  const r = await runSluice(['run', p.config, '--set', 'sink.uri=a-file/predictions']);
  assert.equal(r.status, 1, r.stderr);
  const lines = oneLine(r.stderr).split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0]!, /^sluice: cannot write the output .*\/a-file\/predictions, .*: ENOTDIR: not a directory, .* \(a parent of that path is a file, not a directory\)$/);
  assert.equal(fs.readFileSync(path.join(p.dir, 'a-file'), 'utf8'), 'not a directory\n');
});

test('an input file deleted between planning and reading: a clear run error, never a hang; the rerun refuses the changed input', async () => {
  const p = makeProject({ name: 'vanish' });
  const gone = path.join(p.dir, 'data/input-1.jsonl');
  const r = await runSluice(['run', p.config, '--set', 'execution.maxAttempts=2', ...faultArgs({ kind: 'remove-after-plan', file: gone })]);
  assert.equal(r.status, 1, r.stderr);
  assert.match(oneLine(r.stderr), /^sluice: partition \d+ \(data\/input-1\.jsonl bytes \d+-\d+\) failed after 2 attempts: ENOENT: no such file or directory/);
  checkCommitted(p);
  const rerun = await runSluice(['run', p.config]);
  // Something was committed before the failure: the output belongs to the old listing.
  assert.equal(rerun.status, 2, rerun.stderr);
  assert.match(rerun.stderr, /holds the output of another run \(the input files changed since it was written\); rerun with --overwrite to replace it/);
});

test('resume removes the temporaries of dead attempts and refuses a changed input or config', async () => {
  const p = makeProject({ name: 'resume', files: 2 });
  const first = await runSluice(['run', p.config]);
  assert.equal(first.status, 0, first.stderr);
  // A crashed run's leftovers: attempt files under _temporary/, the last commits lost.
  fs.rmSync(path.join(p.out, '_SUCCESS'));
  for (const dir of [p.out, p.errors]) {
    fs.mkdirSync(path.join(dir, '_temporary'), { recursive: true });
    fs.writeFileSync(path.join(dir, '_temporary', 'deadrun-00002-attempt1.jsonl'), '{"key":"half a ro');
  }
  fs.rmSync(path.join(p.out, '_manifest', 'p00002.json'));
  const resumed = await runSluice(['run', p.config, '--json']);
  assert.equal(resumed.status, 0, resumed.stderr);
  assert.equal(JSON.parse(resumed.stdout).partitions.committed - JSON.parse(resumed.stdout).partitions.resumed, 1);
  checkExactlyOnce(p);

  const changedConfig = await runSluice(['run', p.config, '--set', 'model.onNonFinite=keep']);
  assert.equal(changedConfig.status, 2);
  assert.match(changedConfig.stderr, /\(the config or model changed since it was written\); rerun with --overwrite to replace it/);
  // Batch size and time limits change how the model runs, not its rows: they do not block a resume.
  fs.rmSync(path.join(p.out, '_manifest', 'p00001.json'));
  const retuned = await runSluice(['run', p.config, '--set', 'model.batchSize=7', '--set', 'model.batchTimeoutMs=60000', '--set', 'execution.partitionTimeoutMs=60000']);
  assert.equal(retuned.status, 0, retuned.stderr);
  checkExactlyOnce(p);
  fs.appendFileSync(path.join(p.dir, 'data/input-0.jsonl'), '{"id":"late","measurements":[5,3,1,0.2]}\n');
  const changedInput = await runSluice(['run', p.config]);
  assert.equal(changedInput.status, 2);
  assert.match(changedInput.stderr, /\(the input files changed since it was written\); rerun with --overwrite to replace it/);
  // Refused means untouched: every committed partition is still whole and counted.
  checkCommitted(p);
});
