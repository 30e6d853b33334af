/**
 * `sink/parquet` through the CLI (#19 item 8): columns key, forwarded fields with their types,
 * prediction as a list column or one column per output; the errors sink's fixed columns;
 * atomic part- files; read back by two independent readers: pyarrow and hyparquet.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { parquetMetadata, parquetReadObjects } from 'hyparquet';
import { ROOT, assertClose, readParts, sluice } from '../helpers/cli.js';
import { needsPython, runPython } from '../helpers/python.js';
import { createParquetWriter } from '../../stages/sink/parquet/index.js';
import { predictionColumns } from '../../stages/sink/parquet/layout.js';

const IRIS = path.join(ROOT, 'examples/vertex-batch/model/model.json');

const flowers = [
  { id: 'f1', m: [5.1, 3.5, 1.4, 0.2], city: 'Oslo', n: 3, ok: true, tags: ['a', 'b'] },
  { id: 'f2', m: [7.0, 3.2, 4.7, 1.4], city: 'Bergen', n: 4.5, ok: false, tags: [] },
  { id: 'f3', m: [6.3, 3.3, 6.0, 2.5], city: null, n: 5, ok: true, tags: ['c'] },
  { id: 'f4', m: [4.9, 3.0, 1.4, 0.2], city: 'Tromsø', n: 6, ok: false, tags: ['d'] },
  { id: 'f5', m: [5.9, 3.0, 5.1, 1.8], city: 'Bodø', n: 7, ok: true, tags: ['e', 'f'] },
];

/** A run over the flowers (plus a bad line), sinks: parquet (list prediction), jsonl (reference), parquet errors. */
function runFlowers(post: object[] = [], rowGroupRows = 2) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-parquet-'));
  const lines = flowers.map((f) => JSON.stringify({ id: f.id, measurements: f.m, city: f.city, n: f.n, ok: f.ok, tags: f.tags }));
  lines.splice(2, 0, '{"id": "bad", "measurements": [1, 2]}');
  fs.writeFileSync(path.join(dir, 'in.jsonl'), lines.join('\n') + '\n');
  fs.writeFileSync(
    path.join(dir, 'pipeline.json'),
    JSON.stringify({
      source: { type: 'jsonl', uri: 'in.jsonl' },
      decode: { type: 'json', features: { measurements: { dtype: 'float32', shape: [4] } } },
      key: { type: 'field', field: 'id', forward: ['city', 'n', 'ok', 'tags'] },
      model: { type: 'tfjs', uri: IRIS },
      post,
      sink: [{ type: 'parquet', uri: 'parquet', rowGroupRows }, { type: 'jsonl', uri: 'jsonl' }],
      errors: { type: 'parquet', uri: 'errors' },
      execution: { workers: 1, maxErrorRate: 1 },
    }),
  );
  const r = sluice(['run', path.join(dir, 'pipeline.json'), '--json']);
  assert.equal(r.status, 0, r.stderr);
  return dir;
}

const partFiles = (dir: string) => fs.readdirSync(dir).filter((n) => !n.startsWith('_')).sort();

async function hyparquetRows(file: string): Promise<Record<string, unknown>[]> {
  const bytes = fs.readFileSync(file);
  return parquetReadObjects({ file: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) });
}

const PYARROW_DUMP = `
import json, sys
import pyarrow.parquet as pq
f = pq.ParquetFile(sys.argv[1])
t = f.read()
print(json.dumps({"schema": {n: str(t.schema.field(n).type) for n in t.schema.names}, "rowGroups": f.metadata.num_row_groups, "rows": t.to_pylist()}))
`;

test('parquet sink: typed columns and a list prediction, read back by pyarrow and by hyparquet', { skip: needsPython('pyarrow') }, async () => {
  const dir = runFlowers();
  assert.deepEqual(partFiles(path.join(dir, 'parquet')), ['part-00000-of-00001.parquet'], 'only committed part- files');
  const file = path.join(dir, 'parquet/part-00000-of-00001.parquet');
  const reference = readParts(path.join(dir, 'jsonl'));

  const py = JSON.parse(runPython(PYARROW_DUMP, [file]));
  assert.deepEqual(py.schema, { key: 'string', city: 'string', n: 'double', ok: 'bool', tags: 'list<element: string>', prediction: 'list<element: double>' });
  assert.equal(py.rowGroups, 3, '5 rows in row groups of 2');
  assertClose(py.rows, reference, 1e-6);

  const hy = await hyparquetRows(file);
  // hyparquet gives a null cell as null or leaves it out (by column type); the rows are otherwise the same.
  const nonNull = (row: Record<string, unknown>) => Object.fromEntries(Object.entries(row).filter(([, v]) => v !== null && v !== undefined));
  assertClose(hy.map(nonNull), reference.map(nonNull), 1e-6);

  // The errors sink's fixed columns, the same for every file.
  const errors = JSON.parse(runPython(PYARROW_DUMP, [path.join(dir, 'errors/part-00000-of-00001.parquet')]));
  assert.deepEqual(errors.schema, { key: 'string', source: 'string', index: 'int64', offset: 'int64', stage: 'string', code: 'string', error: 'string', raw: 'string' });
  assert.deepEqual(errors.rows.map((e: any) => [e.key, e.index, e.stage, e.error]), [['bad', 2, 'decode', 'feature "measurements": expected 4 values (shape [4]), got 2']]);
});

test('parquet sink: an object prediction (topk) is one column per output', { skip: needsPython('pyarrow') }, async () => {
  const dir = runFlowers([{ type: 'topk', k: 2, labels: ['setosa', 'versicolor', 'virginica'] }], 100);
  const file = path.join(dir, 'parquet/part-00000-of-00001.parquet');
  const py = JSON.parse(runPython(PYARROW_DUMP, [file]));
  assert.equal(py.schema['prediction.classes'], 'list<element: string>');
  assert.equal(py.schema['prediction.scores'], 'list<element: double>');
  assert.equal(py.rowGroups, 1);
  const reference = readParts(path.join(dir, 'jsonl'));
  assert.deepEqual(py.rows.map((r: any) => r['prediction.classes']), reference.map((r) => r.prediction.classes));
  const hy = await hyparquetRows(file);
  assertClose(hy.map((r: any) => r['prediction.scores']), reference.map((r) => r.prediction.scores), 1e-6);
});

test('parquet sink: an empty errors partition is a valid file with the error columns and no rows', { skip: needsPython('pyarrow') }, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-parquet-empty-'));
  fs.writeFileSync(path.join(dir, 'in.jsonl'), '{"measurements": [5.1, 3.5, 1.4, 0.2]}\n');
  fs.writeFileSync(path.join(dir, 'pipeline.json'), JSON.stringify({
    source: { type: 'jsonl', uri: 'in.jsonl' },
    decode: { type: 'json', features: { measurements: { dtype: 'float32', shape: [4] } } },
    model: { type: 'tfjs', uri: IRIS },
    sink: { type: 'parquet', uri: 'out' },
    errors: { type: 'parquet', uri: 'errors' },
  }));
  const r = sluice(['run', path.join(dir, 'pipeline.json')]);
  assert.equal(r.status, 0, r.stderr);
  const errors = JSON.parse(runPython(PYARROW_DUMP, [path.join(dir, 'errors/part-00000-of-00001.parquet')]));
  assert.deepEqual(errors.rows, []);
  assert.deepEqual(Object.keys(errors.schema), ['key', 'source', 'index', 'offset', 'stage', 'code', 'error', 'raw']);
});

test('parquet writer: row groups leave for the stream before end (bounded memory); a row that does not fit fails loudly', async () => {
  const out = new PassThrough();
  let written = 0;
  out.on('data', (b: Buffer) => (written += b.length));
  const writer = createParquetWriter(out, (rows) => predictionColumns(rows, []), { groupRows: 100, codec: 'SNAPPY' });
  const row = (i: number) => ({ key: `k${i}`, prediction: [i, i + 0.5] });
  await writer.write(Array.from({ length: 250 }, (_, i) => row(i)));
  assert.ok(written > 4 + 2 * 100 * 8, `two row groups written before end (got ${written} bytes)`);
  await writer.write([{ key: 'late', city: 'Oslo', prediction: [1] }]);
  await assert.rejects(writer.end(), /parquet sink: the row with key "late" has "city", which the file's columns \(from its first row group\) lack: key, prediction/);

  const ok = new PassThrough();
  const chunks: Buffer[] = [];
  ok.on('data', (b: Buffer) => chunks.push(b));
  const w2 = createParquetWriter(ok, (rows) => predictionColumns(rows, []), { groupRows: 100, codec: 'SNAPPY' });
  await w2.write(Array.from({ length: 250 }, (_, i) => row(i)));
  await w2.end();
  const bytes = Buffer.concat(chunks);
  const ab = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  assert.equal(parquetMetadata(ab).row_groups.length, 3);
  const rows = await parquetReadObjects({ file: ab });
  assert.deepEqual(rows[249], { key: 'k249', prediction: [249, 249.5] });
  await assert.rejects(
    (async () => {
      const w3 = createParquetWriter(new PassThrough(), (r) => predictionColumns(r, []), { groupRows: 1, codec: 'SNAPPY' });
      await w3.write([{ key: 'a', prediction: [1] }, { key: 'b', prediction: 'text' }]);
    })(),
    /parquet sink: column "prediction" holds list<double> \(from the file's first row group\), got "text" in the row with key "b"/,
  );
});
