/**
 * `source/file-list`: a list file of input URIs (Vertex AI's file list), each entry read by the
 * source of its type; relative entries resolve against the list file's directory.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import fileList, { resolveEntry } from '../../stages/source/file-list/index.js';
import { frameRecord } from '../../src/core/tfrecord.js';
import type { Failure, RawRecord } from '../../src/core/types.js';
import { readAll, testContext, withDefaults } from '../helpers/run-stage.js';

function project(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-list-'));
  fs.mkdirSync(path.join(dir, 'lists/data'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'lists/data/a.jsonl'), '{"x":1}\n{"x":2}\n');
  fs.writeFileSync(path.join(dir, 'lists/data/b.csv.gz'), gzipSync('x,y\n3,4\n'));
  fs.writeFileSync(path.join(dir, 'lists/data/c.tsv'), 'x\ty\n5\t6\n');
  fs.writeFileSync(path.join(dir, 'lists/data/d.tfrecord'), Buffer.concat([frameRecord(Buffer.from('r0')), frameRecord(Buffer.from('r1'))]));
  fs.writeFileSync(path.join(dir, 'other.jsonl'), '{"x":7}\n');
  return dir;
}

test('entries are read by the source of their extension, in list order; relative to the list file, comments and blanks skipped', async () => {
  const dir = project();
  fs.writeFileSync(path.join(dir, 'lists/inputs.txt'), `# inputs\ndata/a.jsonl\n\n  data/b.csv.gz  \r\ndata/c.tsv\n${path.join(dir, 'other.jsonl')}\ndata/d.tfrecord\n`);
  const { partitions, records } = await readAll(fileList, { uri: 'lists/inputs.txt' }, dir);
  assert.deepEqual(partitions.map((p) => p.source), ['lists/data/a.jsonl', 'lists/data/b.csv.gz', 'lists/data/c.tsv', 'other.jsonl', 'lists/data/d.tfrecord']);
  assert.deepEqual(
    records.map((r) => [r.source, r.index, (r as RawRecord).fields ?? (typeof r.raw === 'string' ? r.raw : Buffer.from(r.raw as Uint8Array).toString())]),
    [
      ['lists/data/a.jsonl', 0, '{"x":1}'],
      ['lists/data/a.jsonl', 1, '{"x":2}'],
      ['lists/data/b.csv.gz', 0, { x: '3', y: '4' }],
      ['lists/data/c.tsv', 0, { x: '5', y: '6' }],
      ['other.jsonl', 0, '{"x":7}'],
      ['lists/data/d.tfrecord', 0, 'r0'],
      ['lists/data/d.tfrecord', 1, 'r1'],
    ],
  );
  assert.ok(records.every((r) => !(r as Failure).failed));
});

test('format reads every entry as one type; options reach that source and are validated', async () => {
  const dir = project();
  fs.writeFileSync(path.join(dir, 'lists/semi.txt'), 'x;y\n1;2\n');
  fs.writeFileSync(path.join(dir, 'lists/inputs.txt'), 'semi.txt\n');
  const { records } = await readAll(fileList, { uri: 'lists/inputs.txt', format: 'csv', options: { delimiter: ';' } }, dir);
  assert.deepEqual(records.map((r) => (r as RawRecord).fields), [{ x: '1', y: '2' }]);
  await assert.rejects(readAll(fileList, { uri: 'lists/inputs.txt', format: 'csv', options: { delimiter: ';', bogus: 1 } }, dir), (err: any) => {
    assert.equal(err.exitCode, 2);
    assert.match(err.lines[0], /^\/stage\/options\/bogus: unknown key/);
    return true;
  });
});

test('config errors name the list line: a missing entry, an unknown extension, a repeated entry, an empty list', async () => {
  const dir = project();
  fs.writeFileSync(path.join(dir, 'lists/inputs.txt'), 'data/a.jsonl\ndata/zzz.bin\ndata/./a.jsonl\n');
  const ctx = testContext({ baseDir: dir, path: '/source' });
  const lines = await fileList.check!(withDefaults(fileList, { uri: 'lists/inputs.txt' }), ctx);
  assert.deepEqual(lines, [
    '/source/uri: lists/inputs.txt line 2: cannot tell the source type of "data/zzz.bin" from its extension; set format',
    '/source/uri: lists/inputs.txt line 3: "data/./a.jsonl" repeats line 1 (its records would be read twice)',
  ]);
  fs.writeFileSync(path.join(dir, 'lists/inputs.txt'), 'data/a.jsonl\ndata/gone.jsonl\n');
  const missing = await fileList.check!(withDefaults(fileList, { uri: 'lists/inputs.txt' }), ctx);
  assert.equal(missing.length, 1);
  assert.match(missing[0]!, /^\/source\/uri: lists\/inputs\.txt line 2 \("data\/gone\.jsonl"\): no file matches/);
  fs.writeFileSync(path.join(dir, 'lists/inputs.txt'), '# nothing\n\n');
  assert.deepEqual(await fileList.check!(withDefaults(fileList, { uri: 'lists/inputs.txt' }), ctx), ['/source/uri: lists/inputs.txt lists no input']);
});

test('resolveEntry: object-store lists resolve relative entries under their prefix; absolute entries stay', () => {
  assert.equal(resolveEntry('a/b.jsonl', 's3://bucket/lists/inputs.txt'), 's3://bucket/lists/a/b.jsonl');
  assert.equal(resolveEntry('../b.jsonl', 'gs://bucket/lists/inputs.txt'), 'gs://bucket/b.jsonl');
  assert.equal(resolveEntry('gs://other/x.csv', 's3://bucket/lists/inputs.txt'), 'gs://other/x.csv');
  assert.equal(resolveEntry('/data/x.csv', '/p/lists/inputs.txt'), '/data/x.csv');
  assert.equal(resolveEntry('x.csv', '/p/lists/inputs.txt'), '/p/lists/x.csv');
});
