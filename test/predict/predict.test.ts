/**
 * predict(): the library call runs the batch engine's own stages, so its rows equal a batch
 * run's rows for the same records (within 1e-6), Failures in place, in input order.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { assertClose, byKey } from '../helpers/cli.js';
import { QUICKSTART_CONFIG, QUICKSTART_DIR, batchRun, failureOf, quickstartConfig, quickstartRecords } from '../helpers/online.js';
import { closePredictors, createPredictor, isErrorRow, predict } from '../../src/index.js';
import { SluiceError } from '../../src/core/errors.js';

after(() => closePredictors());

const records = quickstartRecords();
const noPost = batchRun(['--set', 'post=[]']);

test('predict() on a config file equals the batch run, row for row, Failures in place and in input order', async () => {
  const batch = batchRun();
  const rows = await predict(QUICKSTART_CONFIG, records);
  assert.equal(rows.length, records.length);
  // Input order: row i answers record i (keys are the records' ids; bad-json has none).
  rows.forEach((row, i) => {
    const r = records[i] as any;
    assert.equal(row.key, typeof r === 'string' ? null : r.id, `row ${i}`);
  });
  const predicted = rows.filter((r) => !isErrorRow(r));
  const failed = rows.filter(isErrorRow);
  assert.deepEqual(byKey(predicted), batch.predictions);
  assert.deepEqual(byKey(failed).map(failureOf), batch.errors.map(failureOf));
  // An error row has the errors sink's shape; source and index say where in the call it was.
  const bad = failed.find((r) => r.key === 'bad-three-numbers')!;
  assert.deepEqual(Object.keys(bad), ['key', 'source', 'index', 'offset', 'stage', 'code', 'error', 'raw']);
  assert.equal(bad.source, 'instances');
  assert.equal(bad.index, records.findIndex((r: any) => r?.id === 'bad-three-numbers'));
  assert.equal(bad.raw, JSON.stringify(records[bad.index!]));
});

test('predict() with a config object agrees with the batch run within 1e-6 on raw probabilities', async () => {
  const config = quickstartConfig((c) => (c.post = []));
  const rows = await predict(config, records, { baseDir: QUICKSTART_DIR });
  assertClose(byKey(rows.filter((r) => !isErrorRow(r))), noPost.predictions, 1e-6);
  assert.equal(rows.filter(isErrorRow).length, noPost.errors.length);
});

test('worker threads give the same rows as the caller\'s thread', async () => {
  const predictor = await createPredictor(QUICKSTART_CONFIG, { threads: 2, set: ['post=[]', 'model.batchSize=16'] });
  try {
    // 2 threads on every backend (on tensorflow, around the process's model host: docs/native.md).
    assert.equal(predictor.threads, 2);
    const rows = await predictor.predict(records);
    assert.equal(rows.length, records.length);
    assertClose(byKey(rows.filter((r) => !isErrorRow(r))), noPost.predictions, 1e-6);
    assert.deepEqual(byKey(rows.filter(isErrorRow)).map(failureOf), noPost.errors.map(failureOf));
  } finally {
    await predictor.close();
  }
});

test('two predictors with threads at once share the process\'s model host on tensorflow: closing one leaves the other predicting', async () => {
  const a = await createPredictor(QUICKSTART_CONFIG, { threads: 2, set: ['post=[]', 'model.batchSize=16'] });
  const b = await createPredictor(QUICKSTART_CONFIG, { threads: 1, set: ['post=[]', 'model.batchSize=8'] });
  try {
    const [ra, rb] = await Promise.all([a.predict(records), b.predict(records)]);
    for (const rows of [ra, rb]) assertClose(byKey(rows.filter((r) => !isErrorRow(r))), noPost.predictions, 1e-6);
    await a.close();
    const again = await b.predict(records);
    assertClose(byKey(again.filter((r) => !isErrorRow(r))), noPost.predictions, 1e-6);
  } finally {
    await a.close();
    await b.close();
  }
  // And a predictor made after both closed starts the host again.
  const c = await createPredictor(QUICKSTART_CONFIG, { threads: 2, set: ['post=[]'] });
  try {
    assertClose(byKey((await c.predict(records)).filter((r) => !isErrorRow(r))), noPost.predictions, 1e-6);
  } finally {
    await c.close();
  }
});

test('records may be strings (a record\'s text) and bad values fail alone, never throw', async () => {
  const rows = await predict(QUICKSTART_CONFIG, [
    '{"id":"t","measurements":[5.1,3.5,1.4,0.2]}',
    42,
    null,
    { id: 'ok', measurements: [6.3, 3.3, 6.0, 2.5] },
  ]);
  assert.deepEqual(rows.map((r) => (isErrorRow(r) ? `${r.stage}: ${r.error}` : r.key)), [
    't',
    'decode: expected a JSON object, got number',
    'decode: expected a JSON object, got null',
    'ok',
  ]);
  assert.deepEqual(await predict(QUICKSTART_CONFIG, []), []);
});

test('a bad pipeline throws a SluiceError naming the config path, before any record is predicted', async () => {
  await assert.rejects(predict(quickstartConfig((c) => (c.model.batchSize = 0)), records, { baseDir: QUICKSTART_DIR }), (err: unknown) => {
    assert.ok(err instanceof SluiceError);
    assert.deepEqual(err.lines, ['/model/batchSize: must be >= 1, got 0']);
    return true;
  });
  await assert.rejects(predict(quickstartConfig((c) => (c.model.uri = 'model/missing.json')), records, { baseDir: QUICKSTART_DIR }), /\/model\/uri: .*missing\.json/);
});
