/**
 * A sink never overlaps a source (issue 15 item 2; CONTRACT "Ownership of an output"): a sink
 * that is the source's directory, holds the source's files, or whose files the source's pattern
 * matches is a config error (exit 2) from `validate` and `run`, before anything is read or
 * removed; `--overwrite` never removes an input file.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { sluice } from '../helpers/cli.js';
import { makeProject } from '../helpers/faults.js';
import { overlap } from '../../src/graph/overlap.js';

const snapshot = (dir: string) =>
  Object.fromEntries(fs.readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort().map((f) => [f, fs.statSync(path.join(dir, f)).isFile() ? fs.readFileSync(path.join(dir, f), 'utf8') : 'dir']));

test('re-scoring prev/part-*.jsonl into prev with --overwrite: exit 2 from validate and run, the input untouched', () => {
  const p = makeProject({ name: 'overlap-rescore', files: 1, perFile: 100 });
  // A previous output to re-score: its part files are the input now.
  const prev = path.join(p.dir, 'prev');
  fs.mkdirSync(prev);
  fs.copyFileSync(path.join(p.dir, 'data/input-0.jsonl'), path.join(prev, 'part-00000-of-00001.jsonl'));
  fs.writeFileSync(path.join(prev, '_SUCCESS'), '{}\n');
  const config = JSON.parse(fs.readFileSync(p.config, 'utf8'));
  config.source.uri = 'prev/part-*.jsonl';
  config.sink.uri = 'prev';
  config.errors.uri = 'prev-errors';
  fs.writeFileSync(p.config, JSON.stringify(config));
  const before = snapshot(p.dir);
  for (const args of [['validate', p.config], ['run', p.config, '--overwrite'], ['run', p.config]]) {
    const r = sluice(args);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.deepEqual(r.stderr.trim().split('\n'), [
      `sluice: /sink/uri: writes to ${prev}, where the source reads (/source/uri: ${prev}/part-*.jsonl): the source reads it; give the sink a directory outside the input`,
      'sluice: 1 problem in the config; nothing was run',
    ]);
    assert.deepEqual(snapshot(p.dir), before, `${args.join(' ')} changed something`);
  }
});

test('a sink that is the source directory, holds the source file, or is matched by a ** pattern: exit 2, nothing written', () => {
  const cases: [string, string, string][] = [
    ['data/', 'data', 'the source reads it'],
    ['data/input-0.jsonl', 'data', 'the source reads inside it'],
    ['**/*.jsonl', 'out/predictions', 'the source pattern matches its files'],
  ];
  for (const [source, sink, why] of cases) {
    const p = makeProject({ name: 'overlap', files: 1, perFile: 50 });
    const config = JSON.parse(fs.readFileSync(p.config, 'utf8'));
    config.source.uri = source;
    config.sink.uri = sink;
    fs.writeFileSync(p.config, JSON.stringify(config));
    const before = snapshot(p.dir);
    const r = sluice(['run', p.config, '--overwrite']);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr.split('\n')[0]!, new RegExp(`^sluice: /sink/uri: writes to ${path.join(p.dir, sink)}, where the source reads \\(/source/uri: .*\\): ${why}; give the sink a directory outside the input$`));
    assert.deepEqual(snapshot(p.dir), before, `${source} → ${sink}: something changed`);
  }
});

test('overlap(): object-store URIs and directories side by side', () => {
  assert.equal(overlap('s3://b/in/*.jsonl', 's3://b/in'), 'the source reads it');
  assert.equal(overlap('s3://b/in/**', 's3://b/in/out'), 'the source pattern matches its files');
  assert.equal(overlap('gs://b/in/x.csv', 'gs://b/'), 'the source reads inside it');
  assert.equal(overlap('s3://b/in/*.jsonl', 's3://b/out'), undefined);
  assert.equal(overlap('/p/data', '/p/data/out'), undefined, 'a directory source reads its own files, not a folder inside it');
  assert.equal(overlap('/p/data/*.jsonl', '/p/data/out'), undefined, 'one level only');
  assert.equal(overlap('/p/data', '/p/data-out'), undefined);
  assert.equal(overlap('file:///p/data/', '/p/data'), 'the source reads it');
});
