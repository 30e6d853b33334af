/**
 * Malformed inputs of every kind (issue 5, 4d) through the real CLI, for the JSONL, CSV and
 * TFRecord sources: invalid UTF-8, a 50 MB single record, NaN/Infinity, wrong nesting (an object
 * for an array, ragged or 100,000-deep arrays), empty and blank files. Each must end as Failure
 * rows (or predictions, where the record is in fact fine), never a hang or a crash: every record
 * read is in exactly one output, and the run exits 0 within a time limit.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ExampleType } from '../../stages/decode/tf-example/proto.js';
import { frameRecord } from '../../src/core/tfrecord.js';
import { ROOT, readParts } from '../helpers/cli.js';
import { faultArgs, runSluice } from '../helpers/faults.js';

const BIG = 50 * 1024 * 1024;
const ok = [5.1, 3.5, 1.4, 0.2];

interface Case {
  /** Input files (name → bytes). */
  files: Record<string, Buffer>;
  /** Keys that must be predicted (every other record must fail). */
  predicted: string[];
  /** How many records must fail. */
  failed: number;
  /** How many of them fail as invalid UTF-8. */
  utf8: number;
  source: Record<string, unknown>;
  decode: Record<string, unknown>;
}

function project(name: string, c: Case): { dir: string; config: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `sluice-malformed-${name}-`));
  fs.cpSync(path.join(ROOT, 'examples/quickstart/model'), path.join(dir, 'model'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'data'));
  for (const [file, bytes] of Object.entries(c.files)) fs.writeFileSync(path.join(dir, 'data', file), bytes);
  const config = {
    source: { ...c.source, uri: 'data/' },
    decode: c.decode,
    key: { type: 'field', field: 'id' },
    model: { type: 'tfjs', uri: 'model/model.json', batchSize: 8 },
    sink: { type: 'jsonl', uri: 'out/predictions' },
    errors: { type: 'jsonl', uri: 'out/errors' },
    execution: { workers: 2, maxErrorRate: 1 },
  };
  fs.writeFileSync(path.join(dir, 'pipeline.json'), JSON.stringify(config));
  return { dir, config: path.join(dir, 'pipeline.json') };
}

const text = (s: string) => Buffer.from(s, 'utf8');
const badUtf8 = (before: string, after: string) => Buffer.concat([text(before), Buffer.from([0xff, 0xfe, 0xc3]), text(after)]);
const deep = (n: number) => '['.repeat(n) + '1' + ']'.repeat(n);
const features = { measurements: { dtype: 'float32', shape: [4] } };

const jsonl: Case = {
  source: { type: 'jsonl' },
  decode: { type: 'json', features },
  files: {
    'a-good.jsonl': text(['g1', 'g2'].map((id) => JSON.stringify({ id, measurements: ok })).join('\n') + '\n'),
    'b-utf8.jsonl': Buffer.concat([
      badUtf8('{"id":"u1', `","measurements":[5.1,3.5,1.4,0.2]}\n`),
      badUtf8('{"id":"u2","measurements":[5.1,3.5,1.4,0.2]}', '\n'),
      text(`{"id":"u3","measurements":[5.1,3.5,1.4,0.2]}\n`),
    ]),
    // One 50 MB line: a fine record with a huge forwarded-nowhere field.
    'c-big.jsonl': text(`{"id":"big","measurements":[5.1,3.5,1.4,0.2],"pad":"${'x'.repeat(BIG)}"}\n`),
    'd-nan.jsonl': text(
      [
        '{"id":"n1","measurements":[NaN,3.5,1.4,0.2]}',
        '{"id":"n2","measurements":["NaN",3.5,1.4,0.2]}',
        '{"id":"n3","measurements":[1e999,3.5,1.4,0.2]}',
        '{"id":"n4","measurements":[Infinity,3.5,1.4,0.2]}',
      ].join('\n') + '\n',
    ),
    'e-nesting.jsonl': text(
      [
        '{"id":"w1","measurements":{"a":1}}',
        '{"id":"w2","measurements":[[1,2],[3,[4,[5]]]]}',
        `{"id":"w3","measurements":${deep(100_000)}}`,
        '[5.1,3.5,1.4,0.2]',
        '"just a string"',
        '{"id":{"nested":"key"},"measurements":[5.1,3.5,1.4,0.2]}',
      ].join('\n') + '\n',
    ),
    'f-empty.jsonl': Buffer.alloc(0),
    'g-blank.jsonl': text('\n   \n\t\n'),
  },
  predicted: ['g1', 'g2', 'u3', 'big'],
  failed: 2 + 4 + 6,
  utf8: 2,
};

const csv: Case = {
  // maxRecordBytes of 16 MiB: the 50 MB row is a too-large Failure, found without holding it.
  source: { type: 'csv', maxRecordBytes: 16 * 1024 * 1024 },
  decode: { type: 'csv', features },
  files: {
    'a-good.csv': text('id,measurements\ng1,"[5.1,3.5,1.4,0.2]"\ng2,"[5.1,3.5,1.4,0.2]"\n'),
    'b-utf8.csv': Buffer.concat([text('id,measurements\n'), badUtf8('u1', ',"[5.1,3.5,1.4,0.2]"\n'), text('u3,"[5.1,3.5,1.4,0.2]"\n')]),
    'c-big.csv': text(`id,measurements,pad\nbig,"[5.1,3.5,1.4,0.2]",${'x'.repeat(BIG)}\n`),
    'd-nan.csv': text('id,measurements\nn1,"[NaN,3.5,1.4,0.2]"\nn2,NaN\nn3,"[1e999,3.5,1.4,0.2]"\nn4,Infinity\n'),
    'e-nesting.csv': text(`id,measurements\nw1,"{""a"":1}"\nw2,"[[1,2],[3,[4,[5]]]]"\nw3,"${deep(100_000)}"\nw4\nw5,"[1,2,3,4]",extra,cells\n`),
    'f-empty.csv': Buffer.alloc(0),
    'g-header-only.csv': text('id,measurements\n'),
  },
  // The record past maxRecordBytes (16 MiB) is a too-large Failure.
  predicted: ['g1', 'g2', 'u3'],
  failed: 1 + 1 + 4 + 5,
  utf8: 1,
};

const example = (feature: Record<string, unknown>) => frameRecord(ExampleType.encode({ features: { feature } }).finish());
const id = (s: string | Buffer) => ({ bytes_list: { value: [typeof s === 'string' ? Buffer.from(s) : s] } });
const floats = (v: number[]) => ({ float_list: { value: v } });
const tfrecord: Case = {
  source: { type: 'tfrecord' },
  decode: { type: 'tf-example', features },
  files: {
    'a-good.tfrecord': Buffer.concat([example({ id: id('g1'), measurements: floats(ok) }), example({ id: id('g2'), measurements: floats(ok) })]),
    'b-utf8.tfrecord': Buffer.concat([example({ id: id(Buffer.from([0x75, 0x31, 0xff, 0xfe])), measurements: floats(ok) }), example({ id: id('u3'), measurements: floats(ok) })]),
    'c-big.tfrecord': example({ id: id('big'), measurements: floats(ok), pad: { bytes_list: { value: [Buffer.alloc(BIG, 0x78)] } } }),
    'd-nan.tfrecord': Buffer.concat([example({ id: id('n1'), measurements: floats([NaN, 3.5, 1.4, 0.2]) }), example({ id: id('n4'), measurements: floats([Infinity, 3.5, 1.4, 0.2]) })]),
    'e-nesting.tfrecord': Buffer.concat([
      example({ id: id('w1'), measurements: { int64_list: { value: [1, 2, 3, 4] } } }),
      example({ id: id('w2'), measurements: floats([1, 2, 3, 4, 5]) }),
      frameRecord(Buffer.from('not a protobuf at all \x00\xff')),
      example({ id: id('w4'), measurements: floats(ok) }).subarray(0, 20),
    ]),
    'f-empty.tfrecord': Buffer.alloc(0),
  },
  // Bytes features are bytes, not text: a key that is not UTF-8 is predicted under its own
  // rendering; int64 values for a float32 feature are numbers, so w1 is predicted too.
  predicted: ['g1', 'g2', 'u3', 'big', 'w1'],
  failed: 2 + 3,
  utf8: 0,
};

for (const [name, c] of Object.entries({ jsonl, csv, tfrecord })) {
  test(`${name}: malformed inputs of every kind end as Failure rows or predictions, never a hang or a crash`, async () => {
    const p = project(name, c);
    const started = Date.now();
    const r = await runSluice(['run', p.config, '--json']);
    assert.equal(r.status, 0, r.stderr);
    assert.ok(Date.now() - started < 90_000, `took ${Date.now() - started} ms`);
    const summary = JSON.parse(r.stdout);
    const predictions = readParts(path.join(p.dir, 'out/predictions'));
    const errors = readParts(path.join(p.dir, 'out/errors'));
    assert.equal(summary.counts.read, predictions.length + errors.length, 'every record read is in exactly one output');
    const keys = predictions.map((row) => String(row.key)).filter((k) => c.predicted.includes(k));
    assert.deepEqual(keys.sort(), [...c.predicted].sort());
    assert.equal(errors.length, c.failed, `errors: ${JSON.stringify(errors.map((e) => [e.key, e.source, e.stage, e.error]))}`);
    assert.equal(errors.filter((e) => /^invalid UTF-8 at byte \d+ of the record \(0xff\)$/.test(e.error) && e.stage === 'source').length, c.utf8);
    for (const e of errors) {
      assert.match(e.source, /^data\//);
      assert.doesNotMatch(e.error, /\n/);
      assert.ok(e.raw === null || e.raw.length <= 4 * 4096, 'raw is cut');
      assert.ok(['source', 'decode', 'key', 'model'].includes(e.stage));
    }
  });
}

for (const [name, c] of Object.entries({ jsonl, csv, tfrecord })) {
  test(`${name}: a file deleted between planning and reading is a clear run error (exit 1), never a hang`, async () => {
    const p = project(`${name}-vanish`, { ...c, files: { [Object.keys(c.files)[0]!]: c.files[Object.keys(c.files)[0]!]! } });
    const gone = path.join(p.dir, 'data', Object.keys(c.files)[0]!);
    const r = await runSluice(['run', p.config, '--set', 'execution.maxAttempts=1', ...faultArgs({ kind: 'remove-after-plan', file: gone })]);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, new RegExp(`^sluice: partition 0 \\(data/a-good\\.${name}\\) failed after 1 attempt: ENOENT: no such file or directory, open '${gone.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}'`, 'm'));
  });
}
