/**
 * The programmatic builder runs through the same engine as a config: a config and its
 * programmatic twin produce identical outputs (the builder compiles to the same config), and
 * the library's `run` reports problems as the CLI does.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT, byKey, readParts, sluice } from '../helpers/cli.js';
import { SluiceError, decode, key, model, pipeline, post, run, sink, source, validate } from '../../src/index.js';
import { irisPipeline } from '../../examples/iris-spec/program.js';

const quickstart = path.join(ROOT, 'examples/quickstart');
const tmp = (name: string) => fs.mkdtempSync(path.join(os.tmpdir(), `sluice-builder-${name}-`));

/** The quickstart pipeline written with the builder, outputs under `out`. */
function quickstartTwin(out: string) {
  return pipeline(source.jsonl({ uri: 'data/flowers.jsonl' }))
    .pipe(decode.json({ features: { measurements: { dtype: 'float32', shape: [4] } } }))
    .pipe(key.field({ field: 'id', forward: ['species'] }))
    .pipe(model.tfjs({ uri: 'model/model.json', batchSize: 32 }))
    .pipe(post.argmax({ labels: ['setosa', 'versicolor', 'virginica'] }))
    .pipe(post.round({ digits: 4 }))
    .to(sink.jsonl({ uri: path.join(out, 'predictions') }), {
      name: 'quickstart',
      baseDir: quickstart,
      errors: sink.jsonl({ uri: path.join(out, 'errors') }),
      execution: { workers: 2 },
    });
}

/** Runs a config file through the CLI with its outputs redirected under `out`. */
function runConfig(file: string, out: string): void {
  const r = sluice(['run', file, '--set', `sink.uri=${path.join(out, 'predictions')}`, '--set', `errors.uri=${path.join(out, 'errors')}`]);
  assert.equal(r.status, 0, r.stderr);
}

function assertSameOutputs(a: string, b: string): void {
  for (const dir of ['predictions', 'errors']) {
    const left = byKey(readParts(path.join(a, dir)));
    assert.ok(left.length > 0, `${dir} is empty`);
    assert.deepEqual(byKey(readParts(path.join(b, dir))), left, `${dir} differ`);
  }
}

test('the builder compiles to the same config as pipeline.json', () => {
  const { $schema: _s, ...config } = JSON.parse(fs.readFileSync(path.join(quickstart, 'pipeline.json'), 'utf8'));
  const twin = quickstartTwin('out');
  assert.equal(twin.baseDir, quickstart);
  assert.deepEqual(twin.config, {
    ...config,
    sink: { ...config.sink, uri: path.join('out', 'predictions') },
    errors: { ...config.errors, uri: path.join('out', 'errors') },
  });
});

test('a config and its programmatic twin produce identical outputs (built-in stages)', async () => {
  const a = tmp('config');
  const b = tmp('program');
  runConfig(path.join(quickstart, 'pipeline.json'), a);
  const summary = await run(quickstartTwin(b));
  assert.equal(summary.counts.read, 154);
  // The quickstart's 2 workers, on every backend (docs/native.md, "Thread model").
  assert.equal(summary.workers, 2);
  assertSameOutputs(a, b);
});

test('a config naming a spec module and its programmatic twin with spec() produce identical outputs', async () => {
  const a = tmp('spec-config');
  const b = tmp('spec-program');
  runConfig(path.join(ROOT, 'examples/iris-spec/pipeline.json'), a);
  const summary = await run(irisPipeline(b));
  assert.equal(summary.chain, 'jsonl → IrisSpec → field → IrisSpec → IrisSpec → jsonl (+ errors jsonl)');
  assertSameOutputs(a, b);
});

test('the library reports config problems as the CLI does: a SluiceError with one line each, exit code 2', async () => {
  const broken = pipeline(source.jsonl({ uri: 'data/nothing-*.jsonl' }))
    .pipe(decode.json({ features: { measurements: { dtype: 'float32', shape: [3] } } }))
    .pipe(key.position({}))
    .pipe(model.tfjs({ uri: 'model/model.json', batchSize: 0 }))
    .to(sink.jsonl({ uri: tmp('broken') }), { baseDir: quickstart });
  await assert.rejects(run(broken), (err: unknown) => {
    assert.ok(err instanceof SluiceError);
    assert.equal(err.exitCode, 2);
    assert.deepEqual(err.lines, ['/model/batchSize: must be >= 1, got 0']);
    return true;
  });
  const fixed = { ...broken, config: { ...broken.config, model: { type: 'tfjs', uri: 'model/model.json' } } };
  await assert.rejects(validate(fixed), (err: any) => err.exitCode === 2 && err.lines.some((l: string) => l.startsWith('/decode/features/measurements: shape [3] does not fit')));
});

test('the builder has a typed factory for every built-in stage (stages/index.ts is the one list)', async () => {
  const { builtinStages } = await import('../../stages/index.js');
  const api = await import('../../src/api/stages.js');
  const groups: Record<string, Record<string, unknown>> = { source: api.source, decode: api.decode, key: api.key, model: api.model, post: api.post, sink: api.sink };
  const camel = (type: string) => type.replace(/-(\w)/g, (_, c: string) => c.toUpperCase());
  const missing = builtinStages.filter((d) => typeof groups[d.kind]?.[camel(d.type)] !== 'function').map((d) => `${d.kind}/${d.type}`);
  assert.deepEqual(missing, []);
  const extra = Object.entries(groups).flatMap(([kind, g]) => Object.keys(g).filter((name) => !builtinStages.some((d) => d.kind === kind && camel(d.type) === name)).map((n) => `${kind}.${n}`));
  assert.deepEqual(extra, []);
  // Each factory makes a step of its own built-in, with the edges its kind fixes.
  const { builtins } = await import('../../stages/index.js');
  const { KIND_EDGES } = await import('../../src/core/stage.js');
  for (const [kind, byName] of Object.entries(builtins)) {
    for (const [name, def] of Object.entries(byName)) {
      const step = (groups[kind]![name] as (o: unknown) => any)({ module: 'x.js', uri: 'u' });
      assert.equal(step.config.type, (def as { type: string }).type, `${kind}.${name}`);
      assert.deepEqual([step.kind, step.accepts, step.emits], [kind, ...KIND_EDGES[kind as keyof typeof KIND_EDGES]], `${kind}.${name}`);
    }
  }
});

test('the chain of kinds is consistent: each slot accepts what the one before it emits', async () => {
  const { SLOTS } = await import('../../src/core/slots.js');
  const { KIND_EDGES } = await import('../../src/core/stage.js');
  const chain = SLOTS.filter((s) => s.key !== 'errors');
  for (let i = 1; i < chain.length; i++) assert.equal(KIND_EDGES[chain[i]!.kind][0], KIND_EDGES[chain[i - 1]!.kind][1], `${chain[i]!.key} after ${chain[i - 1]!.key}`);
  assert.equal(KIND_EDGES.sink[0], KIND_EDGES.post[1], 'sinks and the errors sink take what post emits');
});

test('a stage that states edges other than its kind fixes is refused when registered', async () => {
  const { createRegistry } = await import('../../src/graph/registry.js');
  const { builtinStages } = await import('../../stages/index.js');
  const round = builtinStages.find((d) => d.type === 'round')! as any;
  assert.doesNotThrow(() => createRegistry([{ ...round, accepts: 'Prediction', emits: 'Prediction' }]), 'stating the kind\'s own edges still works');
  assert.throws(() => createRegistry([{ ...round, accepts: 'Instance' } as any]), /^Error: stage post\/round: its post stage definition says it accepts Instance and emits Prediction, but a post stage accepts Prediction and emits Prediction/);
});
