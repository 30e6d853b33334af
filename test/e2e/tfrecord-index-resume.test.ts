/**
 * Issue 19.5 through the CLI: a split TFRecord file gives the same rows and `file@offset` keys
 * planned by the header walk or from a tfrecord2idx index beside it, and a run killed while it
 * walked resumes with the index added (the plan, its fingerprint and the keys are the same).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ExampleType } from '../../stages/decode/tf-example/proto.js';
import { frameRecord } from '../../src/core/tfrecord.js';
import { ROOT, readParts } from '../helpers/cli.js';
import { runSluice, startSluice, waitFor } from '../helpers/faults.js';

const RECORDS = 3000;

function project(): { dir: string; config: string; out: string; data: Buffer; index: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-tfidx-'));
  fs.cpSync(path.join(ROOT, 'examples/quickstart/model'), path.join(dir, 'model'), { recursive: true });
  const records = Array.from({ length: RECORDS }, (_, i) =>
    frameRecord(
      ExampleType.encode({
        features: { feature: { measurements: { float_list: { value: [4 + (i % 30) / 10, 3, 1 + (i % 50) / 10, 0.2] } }, pad: { bytes_list: { value: [Buffer.alloc(300 + (i % 900), 0x61)] } } } },
      }).finish(),
    ),
  );
  // The index as tfrecord2idx writes it: "<offset> <size>" per record.
  const lines: string[] = [];
  let offset = 0;
  for (const r of records) {
    lines.push(`${offset} ${r.length}\n`);
    offset += r.length;
  }
  const index = lines.join('');
  const data = Buffer.concat(records);
  fs.writeFileSync(path.join(dir, 'a.tfrecord'), data);
  const config = {
    name: 'tfrecord-index',
    source: { type: 'tfrecord', uri: 'a.tfrecord' },
    decode: { type: 'tf-example', features: { measurements: { dtype: 'float32', shape: [4] } } },
    key: { type: 'position' },
    model: { type: 'tfjs', uri: 'model/model.json', batchSize: 64 },
    sink: { type: 'jsonl', uri: 'out/predictions' },
    errors: { type: 'jsonl', uri: 'out/errors' },
    execution: { workers: 1, partitionBytes: 80_000 },
  };
  fs.writeFileSync(path.join(dir, 'pipeline.json'), JSON.stringify(config, null, 2));
  return { dir, config: path.join(dir, 'pipeline.json'), out: path.join(dir, 'out/predictions'), data, index };
}

const keyed = (rows: any[]) => rows.map((r) => `${r.key} ${JSON.stringify(r.prediction)}`).sort();

test('walk and index give the same rows and file@offset keys; a run killed while walking resumes with the index added', async () => {
  const p = project();
  const walked = await runSluice(['run', p.config]);
  assert.equal(walked.status, 0, walked.stderr);
  const want = keyed(readParts(p.out));
  assert.equal(want.length, RECORDS);
  assert.ok(want.every((k) => /^a\.tfrecord@\d+ /.test(k)), want[0]);
  const parts = fs.readdirSync(p.out).filter((n) => n.startsWith('part-')).length;
  assert.ok(parts >= 20, `${parts} partitions`);

  fs.writeFileSync(path.join(p.dir, 'a.tfrecord.idx'), p.index);
  const indexed = await runSluice(['run', p.config, '--overwrite']);
  assert.equal(indexed.status, 0, indexed.stderr);
  assert.deepEqual(keyed(readParts(p.out)), want);

  // Killed after a few partitions, planned by walking; resumed with the index beside the file.
  fs.rmSync(path.join(p.dir, 'a.tfrecord.idx'));
  fs.rmSync(path.join(p.dir, 'out'), { recursive: true });
  const first = startSluice(['run', p.config]);
  const manifest = path.join(p.out, '_manifest');
  const committed = () => (fs.existsSync(manifest) ? fs.readdirSync(manifest).filter((n) => /^p\d+\.json$/.test(n)).length : 0);
  await waitFor(() => committed() >= 3, 120_000, 'three committed partitions');
  first.child.kill('SIGKILL');
  await first.done;
  const before = committed();
  fs.writeFileSync(path.join(p.dir, 'a.tfrecord.idx'), p.index);
  const resumed = await runSluice(['run', p.config]);
  assert.equal(resumed.status, 0, resumed.stderr);
  assert.ok(before < parts, `killed with ${before} of ${parts} committed`);
  assert.deepEqual(keyed(readParts(p.out)), want);
});
