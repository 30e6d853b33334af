/**
 * A run imports only the built-in stages its config names (stages/catalog.ts), in the CLI
 * process and in every worker thread: a jsonl → json → field → tfjs → jsonl run loads none of the
 * packages of the stages it does not use. Checked from inside each thread by a preload module
 * (`execution.preload`) reading the thread's CommonJS module cache, which holds every CommonJS
 * package the thread ever loaded, whether by `require` or `import` and whenever: pngjs and
 * jpeg-js (decode image), protobufjs (decode tf-example, sink tfrecord), @aws-crypto/crc32c
 * (TFRecord and RecordIO). highland, which every run uses, shows the check sees real loads.
 * TensorFlow.js itself loads only in the threads that run the model: the CLI process checks a
 * model made of built-in layers from the build's list of them (src/model/layer-classes.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from '../helpers/cli.js';
import { checkExactlyOnce, makeProject, runSluice } from '../helpers/faults.js';

const SDK = pathToFileURL(path.join(ROOT, 'dist/src/sdk.js')).href;
const UNUSED = ['pngjs', 'jpeg-js', 'protobufjs', '@aws-crypto/crc32c'];
const TFJS = '@tensorflow/tfjs-core';

/** Appends `<threadId> <when> <packages loaded, comma-separated>`: workers at their first model call, the CLI process at exit. */
const PROBE = `
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { isMainThread, threadId } from 'node:worker_threads';
import { wrapPredict } from '${SDK}';
const require = createRequire(import.meta.url);
const PACKAGES = ${JSON.stringify(['highland', TFJS, ...UNUSED])};
export default function probe({ log }) {
  const note = (when) => {
    const files = Object.keys(require.cache);
    const loaded = PACKAGES.filter((p) => files.some((f) => f.includes(path.join('node_modules', p) + path.sep)));
    fs.appendFileSync(log, threadId + ' ' + when + ' ' + loaded.join(',') + '\\n');
  };
  if (isMainThread) process.on('exit', () => note('exit'));
  let first = true;
  wrapPredict((predict) => async (records) => {
    if (first) (first = false), note('predict');
    return predict(records);
  });
}
`;

function probed(name: string): { p: ReturnType<typeof makeProject>; log: string; set: string[] } {
  const p = makeProject({ name, files: 2, perFile: 300 });
  fs.writeFileSync(path.join(p.dir, 'probe.mjs'), PROBE);
  const log = path.join(p.dir, 'probe.log');
  return { p, log, set: ['--set', `execution.preload=${JSON.stringify([{ module: './probe.mjs', options: { log } }])}`] };
}

function lines(log: string): { thread: string; when: string; loaded: string[] }[] {
  return fs.readFileSync(log, 'utf8').trim().split('\n').map((l) => {
    const [thread, when, loaded = ''] = l.split(' ');
    return { thread: thread!, when: when!, loaded: loaded ? loaded.split(',') : [] };
  });
}

test('sluice run: neither the CLI process nor a worker thread loads a package of a stage the config does not name', async () => {
  const { p, log, set } = probed('lazy-run');
  const r = await runSluice(['run', p.config, ...set]);
  assert.equal(r.status, 0, r.stderr);
  checkExactlyOnce(p);
  const seen = lines(log);
  assert.ok(seen.some((l) => l.thread === '0' && l.when === 'exit'), 'the CLI process was probed');
  assert.ok(seen.some((l) => l.thread !== '0' && l.when === 'predict'), 'a worker thread was probed');
  for (const l of seen) {
    assert.ok(l.loaded.includes('highland'), `thread ${l.thread} (${l.when}): highland, which it uses, is seen`);
    assert.deepEqual(l.loaded.filter((x) => UNUSED.includes(x)), [], `thread ${l.thread} (${l.when}) loaded packages of unused stages`);
    // The worker threads run the model; the CLI process checks a model of built-in layers without TensorFlow.js.
    assert.equal(l.loaded.includes(TFJS), l.thread !== '0', `thread ${l.thread} (${l.when}): ${TFJS} loaded only where the model runs`);
  }
});

test('sluice validate: the CLI process loads no package of a stage the config does not name', async () => {
  const { p, log, set } = probed('lazy-validate');
  const r = await runSluice(['validate', p.config, ...set]);
  assert.equal(r.status, 0, r.stderr);
  const seen = lines(log);
  assert.deepEqual(seen.map((l) => [l.thread, l.when]), [['0', 'exit']]);
  assert.ok(seen[0]!.loaded.includes('highland'));
  assert.deepEqual(seen[0]!.loaded.filter((x) => UNUSED.includes(x)), []);
  assert.ok(!seen[0]!.loaded.includes(TFJS), 'validate checked the model without TensorFlow.js');
});
