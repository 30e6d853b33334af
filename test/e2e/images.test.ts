/**
 * Photos through the whole engine: source files → decode image → key → the emotion GraphModel
 * of @vladmandic/human, several files per partition on two workers, compared with the same
 * model executed directly on the decoder's output (on cpu; every backend within 1e-4, tensorflow
 * where `npm run native` ran); a changed photo blocks a resume.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { loadGraphModel } from '@tensorflow/tfjs-converter';
import { imageDecoder } from '../../stages/decode/image/index.js';
import type { Instance } from '../../src/core/types.js';
import { initBackend } from '../../src/model/backend.js';
import { storageLoadHandler } from '../../src/model/io-handler.js';
import { createStorage } from '../../src/storage/index.js';
import { ROOT, assertClose, byKey, readParts, sluice } from '../helpers/cli.js';
import { fileRecordOf } from '../helpers/images.js';
import { humanModel } from '../model/helpers.js';
import { BACKENDS, needsNative } from '../helpers/native.js';

const PHOTOS = path.join(ROOT, 'examples/images/photos');
const decode = { type: 'image', feature: 'input_1', size: [64, 64], channels: 1, fit: 'crop', scale: 1 / 255, mean: 0.5, std: 0.5 };

for (const backend of BACKENDS) {
test(`files → image → emotion on ${backend}: several photos per partition on 2 workers give the model's own outputs; bad files are error rows${backend === 'wasm' ? '; a changed photo blocks a resume' : ''}`, { skip: backend === 'tensorflow' && needsNative() }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-images-'));
  fs.mkdirSync(path.join(dir, 'photos'));
  const good = fs.readdirSync(PHOTOS).filter((f) => f !== 'truncated.jpg').sort();
  for (const f of good) fs.copyFileSync(path.join(PHOTOS, f), path.join(dir, 'photos', f));
  fs.copyFileSync(path.join(PHOTOS, 'truncated.jpg'), path.join(dir, 'photos', 'truncated.jpg'));
  fs.writeFileSync(path.join(dir, 'photos', 'notes.gif'), 'GIF89a not really');
  const config = {
    source: { type: 'files', uri: 'photos/' },
    decode,
    key: { type: 'field', field: 'name', forward: ['size'] },
    model: { type: 'tfjs', uri: humanModel('emotion'), batchSize: 3, backend },
    sink: { type: 'jsonl', uri: 'out/predictions' },
    errors: { type: 'jsonl', uri: 'out/errors' },
    execution: { workers: 2, partitionBytes: 40_000, maxErrorRate: 0.5 },
  };
  fs.writeFileSync(path.join(dir, 'pipeline.json'), JSON.stringify(config));

  const r = sluice(['run', path.join(dir, 'pipeline.json'), '--json']);
  assert.equal(r.status, 0, r.stderr);
  const summary = JSON.parse(r.stdout);
  assert.deepEqual([summary.counts.read, summary.counts.written, summary.counts.failed], [good.length + 2, good.length, 2]);
  assert.ok(summary.partitions.total >= 3, `${summary.partitions.total} partitions`);
  // One TensorFlow runtime per process (docs/native.md): on tensorflow both workers send their batches to the model host, and the summary says so.
  assert.equal(summary.workers, 2);
  if (backend === 'tensorflow') assert.match(summary.workersNote, /^the model runs in one host thread: the process's one TensorFlow runtime/);
  else assert.equal(summary.workersNote, undefined);
  assert.equal(summary.input.length, good.length + 2, 'the listing names every file, not one per partition');

  // The same photos decoded by the stage's decoder and run through model.execute directly.
  await initBackend('cpu');
  const model = await loadGraphModel(storageLoadHandler(createStorage(), humanModel('emotion')));
  const run = imageDecoder({ ...decode, maxPixels: 5e7 } as any);
  const expected = good.map((name) => {
    const bytes = fs.readFileSync(path.join(dir, 'photos', name));
    const instance = run(fileRecordOf(bytes, name)) as Instance;
    const out = tf.tidy(() => (model.execute(tf.tensor(instance.features.input_1 as Float32Array, [1, 64, 64, 1])) as tf.Tensor).arraySync() as number[][]);
    return { key: name, size: bytes.length, prediction: out[0] };
  });
  model.dispose();
  assertClose(byKey(readParts(path.join(dir, 'out/predictions'))), expected, 1e-4);

  const errors = byKey(readParts(path.join(dir, 'out/errors')));
  assert.deepEqual(errors.map((e) => [e.key, e.source, e.index, e.stage]), [
    ['notes.gif', 'photos/notes.gif', 0, 'decode'],
    ['truncated.jpg', 'photos/truncated.jpg', 0, 'decode'],
  ]);
  assert.match(errors[0].error, /^unsupported image format GIF/);
  assert.match(errors[1].error, /^corrupt JPEG: /);
  if (backend !== 'wasm') return fs.rmSync(dir, { recursive: true, force: true });

  // A complete output is a no-op; a photo changed since (not the first of its partition) is refused.
  assert.equal(sluice(['run', path.join(dir, 'pipeline.json')]).status, 0);
  const run0 = JSON.parse(fs.readFileSync(path.join(dir, 'out/predictions/_manifest/run.json'), 'utf8'));
  const second = run0.partitions.find((p: any) => p.files.length > 1).files[1].source as string;
  const changed = path.join(dir, second);
  fs.appendFileSync(changed, Buffer.from([0]));
  const again = sluice(['run', path.join(dir, 'pipeline.json')]);
  assert.equal(again.status, 2, again.stderr);
  assert.match(again.stderr, /--overwrite/);
  fs.rmSync(dir, { recursive: true, force: true });
});
}
