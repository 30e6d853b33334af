/**
 * User stages from modules, through the CLI (worker threads import them by path): errors in
 * user code become Failures naming the stage, a broken stream fails the run with one line, and
 * every config problem with a module is one line with its path (exit 2). Also `post/map`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT, byKey, readParts, sluice } from '../helpers/cli.js';

const quickstart = path.join(ROOT, 'examples/quickstart');
const modules = path.join(ROOT, 'dist/test/plugins/modules');

/** The quickstart pipeline in a temp dir with extra post steps; returns the config file and the output dir. */
function setup(post: unknown[], over: Record<string, unknown> = {}): { file: string; dir: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-plugins-'));
  const config = {
    source: { type: 'jsonl', uri: path.join(quickstart, 'data/flowers.jsonl') },
    decode: { type: 'json', features: { measurements: { dtype: 'float32', shape: [4] } } },
    key: { type: 'field', field: 'id' },
    model: { type: 'tfjs', uri: path.join(quickstart, 'model/model.json') },
    post: [{ type: 'argmax', labels: ['setosa', 'versicolor', 'virginica'] }, { type: 'round', digits: 2 }, ...post],
    sink: { type: 'jsonl', uri: 'out/predictions' },
    errors: { type: 'jsonl', uri: 'out/errors' },
    execution: { workers: 1 },
    ...over,
  };
  const file = path.join(dir, 'pipeline.json');
  fs.writeFileSync(file, JSON.stringify(config));
  return { file, dir };
}

const rel = (dir: string, file: string) => `./${path.relative(dir, file).split(path.sep).join('/')}`;

test('a user post stage (relative path) fails single records as Failures naming the stage; the run goes on', () => {
  // Every temp config directory sits at the same depth, so this relative path fits each of them.
  const dir0 = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-plugins-'));
  const { file, dir } = setup([{ type: rel(dir0, path.join(modules, 'flaky-post.js')), failKeys: ['flower-001', 'flower-150'] }]);
  assert.ok(!fs.existsSync(path.join(dir0, 'pipeline.json')));
  // The module path is relative to the config's directory, not the working directory.
  const r = sluice(['run', file]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /argmax → round → flaky → jsonl/);
  assert.equal(readParts(path.join(dir, 'out/predictions')).length, 148);
  const errors = byKey(readParts(path.join(dir, 'out/errors'))).filter((e) => e.stage === 'post');
  assert.deepEqual(
    errors.map((e) => [e.key, e.error]),
    [
      ['flower-001', '/post/2 (flaky): refusing flower-001'],
      ['flower-150', '/post/2 (flaky): refusing flower-150'],
    ],
  );
});

test('a user stage whose stream fails is isolated down to single records: each is a Failure naming the stage; no crash', () => {
  // The shared isolation (core/isolate.ts) retries a failing chunk in halves: a stage that fails
  // on every record fails each record alone, and the error budget then stops the run (exit 1).
  const { file, dir } = setup([{ type: pathToFileURL(path.join(modules, 'broken-stream.js')).href }], { execution: { workers: 1, maxAttempts: 1 } });
  const r = sluice(['run', file]);
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /^sluice: run failed: error budget exceeded: 154 of 154 records failed/m);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
  const errors = readParts(path.join(dir, 'out/errors')).filter((e) => e.stage === 'post');
  assert.equal(errors.length, 150, 'the 150 records that parse reach the post stage and fail there alone');
  assert.ok(errors.every((e) => e.error === '/post/2 (broken): lost the connection to the feature store'), JSON.stringify(errors[0]));
});

test('module problems are config errors: one line each with its path, all at once (exit 2)', () => {
  const { file, dir } = setup([
    { type: './no-such-stage.js' },
    { type: pathToFileURL(path.join(ROOT, 'examples/http-sink/http-sink.js')).href },
    { type: pathToFileURL(path.join(modules, 'flaky-post.js')).href, failKeys: 'flower-001' },
  ]);
  const r = sluice(['validate', file]);
  assert.equal(r.status, 2, r.stderr);
  assert.deepEqual(r.stderr.trim().split('\n'), [
    `sluice: /post/2/type: cannot load module "./no-such-stage.js": no such file ${path.join(dir, 'no-such-stage.js')}`,
    `sluice: /post/3/type: module "${pathToFileURL(path.join(ROOT, 'examples/http-sink/http-sink.js')).href}" exports no post stage (it exports sink "http"); export default defineStage<Options>()({ kind: 'post', … })`,
    'sluice: 2 problems in the config; nothing was run',
  ]);
  // Once the modules load, their options are checked against their own schemas.
  const { file: file2 } = setup([{ type: pathToFileURL(path.join(modules, 'flaky-post.js')).href, failKeys: 'flower-001', extra: 1 }]);
  const r2 = sluice(['validate', file2]);
  assert.equal(r2.status, 2, r2.stderr);
  assert.deepEqual(r2.stderr.trim().split('\n'), [
    'sluice: /post/2/extra: unknown key (allowed: failKeys)',
    'sluice: /post/2/failKeys: must be an array, got "flower-001"',
    'sluice: 2 problems in the config; nothing was run',
  ]);
});

test('a user stage that leaves accepts/emits out gets them from its kind; one that states others is one config line (exit 2)', () => {
  const dir0 = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-plugins-edges-'));
  const stage = (extra: string) =>
    `export default { kind: 'post', type: 'same', summary: 'passes predictions on', optionsSchema: { type: 'object', additionalProperties: false }, ${extra} create: () => ({ transform: (s) => s }) };\n`;
  fs.writeFileSync(path.join(dir0, 'plain.mjs'), stage(''));
  fs.writeFileSync(path.join(dir0, 'wrong.mjs'), stage("accepts: 'Instance', emits: 'Prediction',"));
  const plain = setup([{ type: pathToFileURL(path.join(dir0, 'plain.mjs')).href }]);
  const ok = sluice(['run', plain.file]);
  assert.equal(ok.status, 0, ok.stderr);
  assert.equal(readParts(path.join(plain.dir, 'out/predictions')).length, 150);
  const wrong = setup([{ type: pathToFileURL(path.join(dir0, 'wrong.mjs')).href }]);
  const r = sluice(['validate', wrong.file]);
  assert.equal(r.status, 2, r.stderr);
  assert.match(
    r.stderr,
    /^sluice: \/post\/2\/type: module ".*wrong\.mjs": its post stage definition says it accepts Instance and emits Prediction, but a post stage accepts Prediction and emits Prediction \(leave accepts\/emits out: the kind fixes them\)$/m,
  );
});

test('a prediction spec missing members is reported when the graph is built, naming them (exit 2)', () => {
  const spec = pathToFileURL(path.join(modules, 'incomplete-spec.js')).href;
  const { file } = setup([], { decode: { type: spec } });
  const r = sluice(['validate', file]);
  assert.equal(r.status, 2, r.stderr);
  assert.equal(
    r.stderr.trim().split('\n')[0],
    `sluice: /decode/type: cannot load module "${spec}": prediction spec IncompleteSpec is missing features (the feature specs), decode() (record → features), output() (the output row)`,
  );
});

const mapStep = (name: string, args?: unknown) => ({ type: 'map', module: pathToFileURL(path.join(modules, 'map-fns.js')).href, export: name, ...(args ? { args } : {}) });

test('post/map runs a user function with args on every prediction', () => {
  const { file, dir } = setup([mapStep('label', { scale: 100 })]);
  const r = sluice(['run', file]);
  assert.equal(r.status, 0, r.stderr);
  const rows = byKey(readParts(path.join(dir, 'out/predictions')));
  assert.equal(rows.length, 150);
  assert.deepEqual(rows[0], { key: 'flower-001', prediction: 'setosa:100' });
});

test('post/map: async rejections and a missing return value become Failures naming the stage', () => {
  const { file, dir } = setup([mapStep('slowly'), mapStep('forgetful')]);
  const r = sluice(['run', file, '--set', 'execution.maxErrorRate=1']);
  assert.equal(r.status, 1, r.stderr); // every record failed: nothing succeeded
  const errors = byKey(readParts(path.join(dir, 'out/errors'))).filter((e) => e.stage === 'post');
  const mod = mapStep('x').module;
  assert.equal(errors.length, 150);
  assert.equal(errors.find((e) => e.key === 'flower-007').error, `/post/2 (map ${mod}): no luck for flower-007`);
  assert.equal(errors.find((e) => e.key === 'flower-001').error, `/post/3 (map ${mod}): the function returned undefined; return the new prediction`);
  assert.equal(errors.filter((e) => e.error.startsWith('/post/2 ')).length, 15);
});

test('post/map: a module that does not export a function is a config error (exit 2)', () => {
  const { file } = setup([mapStep('notAFunction'), mapStep('nope')]);
  const r = sluice(['validate', file]);
  assert.equal(r.status, 2, r.stderr);
  const mod = mapStep('x').module;
  assert.deepEqual(r.stderr.trim().split('\n').slice(0, 2), [
    `sluice: /post/2/module: "${mod}" export "notAFunction" is a number, not a function`,
    `sluice: /post/3/module: "${mod}" has no export "nope" (it exports forgetful, label, notAFunction, slowly)`,
  ]);
});
