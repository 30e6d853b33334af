/**
 * `execution.preload` (src/graph/preload.ts): modules imported in every thread of a run before
 * its stages, with the `wrapStorage`/`wrapPredict` hooks (src/core/hooks.ts). Real runs of the
 * compiled CLI: a preload module that logs what each thread does proves it ran in the
 * coordinator and in each worker thread, once per thread, and that its wrappers saw the real
 * reads, writes and model calls.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from '../helpers/cli.js';
import { checkExactlyOnce, makeProject, runSluice } from '../helpers/faults.js';

const SLUICE = pathToFileURL(path.join(ROOT, 'dist/src/index.js')).href;

/** A preload module that appends `<threadId> <event> <detail>` lines to `options.log`. */
const AUDIT = `
import fs from 'node:fs';
import { threadId } from 'node:worker_threads';
import { wrapStorage, wrapPredict } from '${SLUICE}';
export default function audit({ log }) {
  const note = (line) => fs.appendFileSync(log, threadId + ' ' + line + '\\n');
  note('setup');
  wrapStorage((inner) => ({
    ...inner,
    read: (uri, range) => (note('read ' + path(uri)), inner.read(uri, range)),
    stage: (staging, final) => (note('stage ' + path(final)), inner.stage(staging, final)),
  }));
  wrapPredict((predict, { path }) => async (records) => (note('predict ' + path + ' ' + records.length), predict(records)));
}
const path = (uri) => uri.split('/').slice(-2).join('/');
`;

test('a preload module runs once in every thread before the stages; its storage and predict wrappers see the real run', async () => {
  const p = makeProject({ name: 'preload', files: 3 });
  fs.writeFileSync(path.join(p.dir, 'audit.mjs'), AUDIT);
  const log = path.join(p.dir, 'audit.log');
  const r = await runSluice(['run', p.config, '--set', `execution.preload=${JSON.stringify([{ module: './audit.mjs', options: { log } }])}`]);
  assert.equal(r.status, 0, r.stderr);
  checkExactlyOnce(p);
  const lines = fs.readFileSync(log, 'utf8').trim().split('\n').map((l) => l.split(' '));
  const threads = [...new Set(lines.map(([t]) => t))];
  // The coordinator (thread 0) and the 2 worker threads, each set up exactly once.
  assert.ok(threads.includes('0'), 'the coordinator ran it');
  assert.ok(threads.filter((t) => t !== '0').length >= 1, 'worker threads ran it');
  for (const t of threads) assert.equal(lines.filter(([th, e]) => th === t && e === 'setup').length, 1, `thread ${t} set up once`);
  // Workers read every input file and staged outputs through the wrapper; the model calls went through wrapPredict.
  const worker = lines.filter(([t]) => t !== '0');
  assert.deepEqual([...new Set(worker.filter(([, e]) => e === 'read').map(([, , f]) => f))].sort(), ['data/input-0.jsonl', 'data/input-1.jsonl', 'data/input-2.jsonl']);
  assert.ok(worker.some(([, e, f]) => e === 'stage' && f!.startsWith('predictions/part-')));
  const predicted = worker.filter(([, e]) => e === 'predict').reduce((n, [, , at, rows]) => (assert.equal(at, '/model'), n + Number(rows)), 0);
  assert.ok(predicted >= p.good.length, `${predicted} records went through wrapPredict`);
});

test('a preload module that does not load, or throws, is one config line naming the entry (exit 2), from validate too', async () => {
  const p = makeProject({ name: 'preload-bad', files: 1 });
  fs.writeFileSync(path.join(p.dir, 'throws.mjs'), "export default () => { throw new Error('no licence key'); };\n");
  const set = (entries: unknown[]) => ['--set', `execution.preload=${JSON.stringify(entries)}`];
  const missing = await runSluice(['validate', p.config, ...set(['./nowhere.mjs'])]);
  assert.equal(missing.status, 2, missing.stderr);
  assert.match(missing.stderr, /\/execution\/preload\/0: cannot load module "\.\/nowhere\.mjs": no such file .*nowhere\.mjs/);
  const throws = await runSluice(['run', p.config, ...set([{ module: './throws.mjs', options: {} }])]);
  assert.equal(throws.status, 2, throws.stderr);
  assert.match(throws.stderr, /\/execution\/preload\/0: module "\.\/throws\.mjs": its default export threw: no licence key/);
  assert.doesNotMatch(throws.stderr, /    at /, 'no stack trace');
  assert.ok(!fs.existsSync(p.out), 'nothing written');
  const shape = await runSluice(['validate', p.config, ...set([{ options: {} }])]);
  assert.equal(shape.status, 2, shape.stderr);
  assert.match(shape.stderr, /\/execution\/preload\/0/);
});
