import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import zlib from 'node:zlib';
import { parse } from 'csv-parse/sync';
import type { Row } from '../../src/core/stage.js';
import { runSink, withDefaults } from '../helpers/run-stage.js';
import csv, { cell, csvLayout } from '../../stages/sink/csv/index.js';

/** The file's records as parsed by csv-parse (RFC 4180), header first. */
function readCsv(file: string, delimiter = ','): string[][] {
  const text = file.endsWith('.gz') ? zlib.gunzipSync(fs.readFileSync(file)).toString('utf8') : fs.readFileSync(file, 'utf8');
  return parse(text, { delimiter, relax_column_count: false });
}

const cases: { name: string; rows: Row[]; forward?: string[]; want: string[][] }[] = [
  {
    name: 'a scalar prediction is one column',
    rows: [{ key: 'a', prediction: 0.25 }, { key: 'b', prediction: -3 }],
    want: [['key', 'prediction'], ['a', '0.25'], ['b', '-3']],
  },
  {
    name: 'an array prediction is JSON text in one cell',
    rows: [{ key: 1, prediction: [3.52] }, { key: 2, prediction: [[1, 2, 3], [4, 5, 6]] }],
    want: [['key', 'prediction'], ['1', '[3.52]'], ['2', '[[1,2,3],[4,5,6]]']],
  },
  {
    name: 'forwarded fields sit between key and prediction',
    rows: [{ key: 'a', user: 7, movie: 'Heat', prediction: [0.5] }],
    forward: ['user', 'movie'],
    want: [['key', 'user', 'movie', 'prediction'], ['a', '7', 'Heat', '[0.5]']],
  },
  {
    name: 'a topk result is one column per entry',
    rows: [{ key: 'a', prediction: { classes: ['cat', 'dog'], scores: [0.7, 0.2] } }],
    want: [['key', 'prediction.classes', 'prediction.scores'], ['a', '["cat","dog"]', '[0.7,0.2]']],
  },
  {
    name: 'an argmax result is one column per entry',
    rows: [{ key: 'a', prediction: { class: 'dog', score: 0.9 } }, { key: 'b', prediction: { class: 3, score: 0.5 } }],
    want: [['key', 'prediction.class', 'prediction.score'], ['a', 'dog', '0.9'], ['b', '3', '0.5']],
  },
  {
    name: 'a multi-output object is one column per output',
    rows: [{ key: 'a', region: 'eu', prediction: { probs: [0.1, 0.9], value: 4.5, top: { class: 1, score: 0.9 } } }],
    forward: ['region'],
    want: [['key', 'region', 'prediction.probs', 'prediction.value', 'prediction.top'], ['a', 'eu', '[0.1,0.9]', '4.5', '{"class":1,"score":0.9}']],
  },
  {
    name: 'nulls are empty cells, booleans are words',
    rows: [{ key: 'a', flag: true, note: null, prediction: null }, { key: 'b', flag: false, note: 'x', prediction: { a: 1 } }],
    want: [['key', 'flag', 'note', 'prediction'], ['a', 'true', '', ''], ['b', 'false', 'x', '{"a":1}']],
  },
  {
    name: 'a missing output of a later row is an empty cell',
    rows: [{ key: 'a', prediction: { x: 1, y: 2 } }, { key: 'b', prediction: { y: 3 } }],
    want: [['key', 'prediction.x', 'prediction.y'], ['a', '1', '2'], ['b', '', '3']],
  },
  {
    name: 'error rows have their fixed columns',
    rows: [
      { key: null, source: 'data/a.csv', index: 4, offset: 120, stage: 'decode', code: 'shape', error: 'feature "x": expected 4 values, got 3', raw: '1,2,"3"\r\n' },
      { key: 'k9', source: 'data/b.jsonl', index: null, offset: 7, stage: 'model', code: 'model-error', error: 'boom', raw: null },
    ],
    want: [
      ['key', 'source', 'index', 'offset', 'stage', 'code', 'error', 'raw'],
      ['', 'data/a.csv', '4', '120', 'decode', 'shape', 'feature "x": expected 4 values, got 3', '1,2,"3"\r\n'],
      ['k9', 'data/b.jsonl', '', '7', 'model', 'model-error', 'boom', ''],
    ],
  },
];

for (const c of cases) {
  test(`csv: ${c.name}`, async () => {
    const { files } = await runSink(csv, {}, c.rows, { forward: c.forward });
    assert.equal(files.length, 1);
    assert.ok(files[0]!.endsWith('.csv'));
    assert.deepEqual(readCsv(files[0]!), c.want);
  });
}

test('csv: quoting follows RFC 4180 and round-trips', async () => {
  const awkward = ['plain', 'a,b', 'say "hi"', 'two\nlines', 'cr\ronly', ' spaced ', ''];
  const rows: Row[] = awkward.map((s, i) => ({ key: s, text: s, prediction: i }));
  const { files } = await runSink(csv, {}, rows, { forward: ['text'] });
  const text = fs.readFileSync(files[0]!, 'utf8');
  assert.equal(
    text,
    'key,text,prediction\nplain,plain,0\n"a,b","a,b",1\n"say ""hi""","say ""hi""",2\n"two\nlines","two\nlines",3\n"cr\ronly","cr\ronly",4\n spaced , spaced ,5\n,,6\n',
  );
  assert.deepEqual(readCsv(files[0]!).slice(1), awkward.map((s, i) => [s, s, String(i)]));
});

test('csv: no rows write an empty file', async () => {
  const { files } = await runSink(csv, {}, []);
  assert.equal(fs.readFileSync(files[0]!, 'utf8'), '');
});

test('csv: a tab delimiter', async () => {
  const { files } = await runSink(csv, { delimiter: '\t' }, [{ key: 'a\tb', prediction: [1, 2] }]);
  assert.equal(fs.readFileSync(files[0]!, 'utf8'), 'key\tprediction\n"a\tb"\t[1,2]\n');
  assert.deepEqual(readCsv(files[0]!, '\t'), [['key', 'prediction'], ['a\tb', '[1,2]']]);
});

test('csv: gzip writes .csv.gz', async () => {
  const { files } = await runSink(csv, { compression: 'gzip' }, [{ key: 'a', prediction: 1 }]);
  assert.ok(files[0]!.endsWith('.csv.gz'));
  assert.deepEqual(readCsv(files[0]!), [['key', 'prediction'], ['a', '1']]);
});

test('csv: a row that does not fit the header fails the write instead of losing data', async () => {
  await assert.rejects(runSink(csv, {}, [{ key: 'a', prediction: { x: 1 } }, { key: 'b', prediction: { x: 1, z: 2 } }]), {
    message: 'csv sink: the row with key "b" has prediction "z", which the header (from the first row) lacks: x',
  });
  await assert.rejects(runSink(csv, {}, [{ key: 'a', prediction: { x: 1 } }, { key: 'b', prediction: [1] }]), {
    message: 'csv sink: expected a prediction object with x (the header\'s columns), got [1] in the row with key "b"',
  });
  await assert.rejects(runSink(csv, {}, [{ key: 'a', prediction: 1 }, { key: 'b', source: 's', stage: 'decode', error: 'e' }]), {
    message: 'csv sink: expected a prediction row (with "prediction"), got a row with key "b" and fields key, source, stage, error',
  });
});

test('csvLayout and cell', () => {
  assert.deepEqual(csvLayout({ key: 'a', extra: 1, city: 'x', prediction: 2 }, ['city']).header, ['key', 'city', 'extra', 'prediction']);
  assert.deepEqual([cell(null), cell(undefined), cell(''), cell(1e-7), cell([1, 'a'])], [null, null, '', '1e-7', '[1,"a"]']);
});

test('csv: options are checked by the schema', () => {
  assert.deepEqual(withDefaults(csv, { uri: 'out' }), { uri: 'out', delimiter: ',', compression: 'none' });
  assert.throws(() => withDefaults(csv, { uri: 'out', delimiter: ';;' }), { message: '/delimiter: must match ^[^"\\r\\n]$, got ";;"' });
  assert.throws(() => withDefaults(csv, { uri: 'out', header: false }), { message: '/header: unknown key (allowed: uri, delimiter, compression)' });
  for (const example of csv.examples ?? []) withDefaults(csv, example);
});
