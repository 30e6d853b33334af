/**
 * The `aggregate` sink through real `sluice run`s (the quickstart's Iris model, ~30 partitions,
 * 2 workers): the merged result equals a one-partition run's and a direct count over the
 * predictions; a partition whose worker died and was retried, and a run killed with -9 then
 * resumed, count every row once; an aggregation that throws fails the run naming the module
 * and reports no result; a state that is not JSON is a config error naming the module.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { checkCommitted, checkExactlyOnce, committedIds, faultArgs, makeProject, runSluice, startSluice, type Project } from '../helpers/faults.js';

/** Counts rows and predicted classes: integers only, so any merge order gives the same result. */
const COUNTS = `
export function init() { return { rows: 0, classes: {} }; }
export function update(state, rows) {
  for (const row of rows) {
    const p = row.prediction;
    const c = String(p.indexOf(Math.max(...p)));
    state.rows += 1;
    state.classes[c] = (state.classes[c] ?? 0) + 1;
  }
  return state;
}
export function merge(a, b) {
  const out = { rows: a.rows + b.rows, classes: { ...a.classes } };
  for (const [c, n] of Object.entries(b.classes)) out.classes[c] = (out.classes[c] ?? 0) + n;
  return out;
}
export function result(state) {
  return { rows: state.rows, classes: Object.fromEntries(Object.entries(state.classes).sort()) };
}
`;

/** A project with the predictions sink and an aggregate sink running `module` (written as counts.mjs). */
function project(name: string, module = COUNTS, partitionBytes = 3000): Project {
  const p = makeProject({
    name: `aggregate-${name}`,
    edit: (c) => {
      c.sink = [c.sink, { type: 'aggregate', uri: 'out/aggregates', module: './counts.mjs', name: 'counts' }];
      c.execution.partitionBytes = partitionBytes;
    },
  });
  fs.writeFileSync(path.join(p.dir, 'counts.mjs'), module);
  return p;
}

const resultFile = (p: Project) => path.join(p.dir, 'out/aggregates/counts.json');
const readResult = (p: Project) => JSON.parse(fs.readFileSync(resultFile(p), 'utf8'));

/** The result computed directly from the committed prediction rows. */
function direct(p: Project): unknown {
  const classes: Record<string, number> = {};
  const { predictions } = checkCommitted(p);
  for (const r of predictions) {
    const c = String(r.prediction.indexOf(Math.max(...r.prediction)));
    classes[c] = (classes[c] ?? 0) + 1;
  }
  return { rows: predictions.length, classes: Object.fromEntries(Object.entries(classes).sort()) };
}

let reference: unknown;

test('many partitions on 2 workers: the result equals one partition on one worker and a direct count, and is in the summary', async () => {
  const p = project('many');
  const r = await runSluice(['run', p.config]);
  assert.equal(r.status, 0, r.stderr);
  checkExactlyOnce(p);
  assert.ok(committedIds(p).length >= 20, `expected many partitions, got ${committedIds(p).length}`);
  reference = readResult(p);
  assert.deepEqual(reference, direct(p));
  assert.equal((reference as { rows: number }).rows, p.good.length);
  assert.match(r.stderr, /counts {2}\{"rows":\d+,"classes":/);
  const success = JSON.parse(fs.readFileSync(path.join(p.out, '_SUCCESS'), 'utf8'));
  assert.deepEqual(success.reports['/sink/1'].result.counts, reference);

  const one = project('one', COUNTS, 10_000_000);
  const r1 = await runSluice(['run', one.config, '--set', 'execution.workers=1']);
  assert.equal(r1.status, 0, r1.stderr);
  assert.equal(committedIds(one).length, 3, 'one partition per input file');
  assert.deepEqual(readResult(one), reference);
});

test('a worker that dies mid-partition: the retried partition counts once', async () => {
  const p = project('retry');
  const r = await runSluice(['run', p.config, ...faultArgs({ kind: 'worker-exit', partition: 4, attempts: 1 })]);
  assert.equal(r.status, 0, r.stderr);
  checkExactlyOnce(p);
  assert.deepEqual(readResult(p), reference);
});

test('kill -9 mid-run, then resume: committed partitions are not counted again', async () => {
  const p = project('resume');
  const { child, done } = startSluice(['run', p.config, ...faultArgs({ kind: 'slow', ms: 30 })]);
  while (committedIds(p).length < 4) await new Promise((res) => setTimeout(res, 10));
  child.kill('SIGKILL');
  await done;
  const before = committedIds(p).length;
  assert.ok(!fs.existsSync(resultFile(p)), 'no result before the run is complete');
  const r = await runSluice(['run', p.config]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout + r.stderr, /resum/i);
  assert.ok(before >= 4 && before < committedIds(p).length, `killed with ${before} of ${committedIds(p).length} committed`);
  checkExactlyOnce(p);
  assert.deepEqual(readResult(p), reference);
});

test('an aggregation that throws fails the run naming the module and the function; no result is written', async () => {
  const p = project('throws', COUNTS.replace('state.rows += 1;', "if (row.key === 'f1-00300') throw new Error('bad row'); state.rows += 1;"));
  const r = await runSluice(['run', p.config, '--set', 'execution.maxAttempts=2']);
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /aggregation \.\/counts\.mjs: update\(\) threw: bad row/);
  assert.ok(!fs.existsSync(resultFile(p)), 'a failed run reports no result');
  assert.doesNotMatch(r.stderr, /counts {2}\{/);
});

test('a state that is not plain JSON is a config error naming the module and where', async () => {
  const p = project('not-json', COUNTS.replace('return { rows: 0, classes: {} };', 'return { rows: 0, classes: new Map() };'));
  const r = await runSluice(['run', p.config]);
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /\/sink\/1\/module: aggregation \.\/counts\.mjs: the state from init\(\) is not JSON-serialisable: state\.classes is a Map/);
  assert.ok(!fs.existsSync(path.join(p.dir, 'out')), 'nothing is written');
});

test("a spec's metrics: a non-JSON state and a built-in metric on a label not forwarded are config errors naming the spec and metric", async () => {
  const p = makeProject({ name: 'aggregate-spec-errors', files: 1, perFile: 20 });
  const lib = new URL('../../src/index.js', import.meta.url).href;
  fs.writeFileSync(
    path.join(p.dir, 'spec.mjs'),
    `import { PredictionSpec, defineSpec } from ${JSON.stringify(lib)};
class BadSpec extends PredictionSpec {
  model = 'model/model.json';
  features = { measurements: { dtype: 'float32', shape: [4] } };
  decode(r) { return { measurements: r.measurements }; }
  output(p) { return p; }
  metrics = {
    seen: { init: () => ({ keys: new Set() }), update() {}, merge: (a) => a, result: () => 0 },
    evaluation: { builtin: { task: 'multiclass', label: 'species' } },
  };
}
export default defineSpec(BadSpec);
`,
  );
  const config = JSON.parse(fs.readFileSync(p.config, 'utf8'));
  config.sink = [config.sink, { type: './spec.mjs', uri: 'out/metrics' }];
  fs.writeFileSync(p.config, JSON.stringify(config));
  const r = await runSluice(['run', p.config]);
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /\/sink\/1\/type: aggregation BadSpec\.metrics\.seen: the state from init\(\) is not JSON-serialisable: state\.keys is a Set/);
  assert.match(r.stderr, /\/sink\/1 \(BadSpec\.metrics\.evaluation\.builtin\)\/label: "species" is not a forwarded field/);
  assert.ok(!fs.existsSync(path.join(p.dir, 'out')), 'nothing is written');
});
