import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config/load.js';
import { buildGraph } from '../../src/graph/build.js';
import { createRegistry } from '../../src/graph/registry.js';
import { createStorage } from '../../src/storage/index.js';
import { SluiceError } from '../../src/core/errors.js';
import { builtinStages } from '../../stages/index.js';

const registry = createRegistry(builtinStages);

const good = {
  source: { type: 'jsonl', uri: 'data/*.jsonl' },
  decode: { type: 'json', features: { x: { dtype: 'float32', shape: [4] } } },
  model: { type: 'tfjs', uri: 'model/model.json' },
  sink: { type: 'jsonl', uri: 'out/predictions' },
};

function writeConfig(config: unknown, name = 'pipeline.json'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-cfg-'));
  const file = path.join(dir, name);
  fs.writeFileSync(file, typeof config === 'string' ? config : JSON.stringify(config));
  return file;
}

/** The lines of the SluiceError that building `config` throws. */
function problems(config: unknown, sets: string[] = [], env: NodeJS.ProcessEnv = {}): { code: string; exit: number; lines: string[] } {
  try {
    buildGraph(loadConfig(writeConfig(config), sets, env), registry, createStorage());
  } catch (err) {
    assert.ok(err instanceof SluiceError, `expected a SluiceError, got ${err}`);
    return { code: err.code, exit: err.exitCode, lines: err.lines };
  }
  assert.fail('the config was accepted');
}

const cases: { name: string; config: unknown; sets?: string[]; env?: NodeJS.ProcessEnv; lines: string[] }[] = [
  {
    name: 'a misspelt top-level key lists the allowed keys',
    config: { ...good, modle: {} },
    lines: ['/modle: unknown key (allowed: name, source, decode, key, model, post, sink, errors, execution, storage, serve); did you mean "model"?'],
  },
  {
    name: 'storage settings are checked like the rest, one line each',
    config: {
      ...good,
      storage: { s3: { endpoint: 'localhost:9000', forcePathStyle: 'yes', partSize: 1024, secretAccessKey: 'x' }, gcs: { maxAttempts: 0 }, azure: {} },
    },
    lines: [
      '/storage/azure: unknown key (allowed: s3, gcs)',
      // Credentials are not settings: they come from the SDKs' own chains.
      '/storage/s3/secretAccessKey: unknown key (allowed: endpoint, forcePathStyle, region, maxAttempts, requestChecksumCalculation, partSize)',
      '/storage/s3/endpoint: must match ^https?://, got "localhost:9000"',
      '/storage/s3/forcePathStyle: must be a boolean, got "yes"',
      '/storage/s3/partSize: must be >= 5242880, got 1024',
      '/storage/gcs/maxAttempts: must be >= 1, got 0',
    ],
  },
  {
    name: 'a string where an integer is expected says both',
    config: { ...good, model: { ...good.model, batchSize: '256' } },
    lines: ['/model/batchSize: must be an integer >= 1, got "256"'],
  },
  {
    name: 'a number below the minimum',
    config: { ...good, model: { ...good.model, batchSize: 0 } },
    lines: ['/model/batchSize: must be >= 1, got 0'],
  },
  {
    name: 'an unknown stage type lists the known ones',
    config: { ...good, post: [{ type: 'sigmoid' }] },
    lines: [`/post/0/type: unknown type "sigmoid" (known: ${registry.types('post').join(', ')})`],
  },
  {
    name: 'missing required sections, all at once',
    config: { source: good.source },
    lines: ['/decode: required, missing', '/model: required, missing', '/sink: required, missing'],
  },
  {
    name: 'an unknown option inside a stage',
    config: { ...good, sink: { ...good.sink, layout: 'json' } },
    lines: ['/sink/layout: unknown key (allowed: type, uri, compression, format)'],
  },
  {
    name: 'every problem at once, across sections',
    config: { ...good, model: { ...good.model, batchSize: -3 }, execution: { workers: 0, maxErrorRate: 1.5 } },
    lines: ['/model/batchSize: must be >= 1, got -3', '/execution/workers: must be >= 1, got 0', '/execution/maxErrorRate: must be <= 1, got 1.5'],
  },
  {
    name: 'a forwarded field named like an output column',
    config: { ...good, key: { type: 'field', field: 'id', forward: ['prediction'] } },
    lines: [],
  },
  {
    name: 'an unset environment variable names where it is used',
    config: { ...good, sink: { type: 'jsonl', uri: 'out/${RUN_DATE}' } },
    lines: ['/sink/uri: environment variable RUN_DATE is not set (used as ${RUN_DATE})'],
  },
  {
    name: 'a malformed --set',
    config: good,
    sets: ['model.batchSize'],
    lines: ['--set model.batchSize: expected <path>=<value>, e.g. --set model.batchSize=64'],
  },
  {
    name: 'a --set that makes the config invalid is reported like the file',
    config: good,
    sets: ['model.batchSize="big"'],
    lines: ['/model/batchSize: must be an integer >= 1, got "big"'],
  },
  {
    name: 'two sinks writing one directory',
    config: { ...good, sink: [good.sink, { type: 'csv', uri: 'out/predictions' }] },
    lines: [],
  },
];

for (const c of cases) {
  if (c.lines.length === 0) continue; // covered by the check tests below (they need the stage's check)
  test(`config error: ${c.name}`, () => {
    const got = problems(c.config, c.sets, c.env);
    assert.equal(got.exit, 2);
    assert.deepEqual(got.lines, c.lines);
  });
}

test('config error: two sinks writing one directory', () => {
  const got = problems({ ...good, sink: [good.sink, { type: 'csv', uri: 'out/predictions' }] });
  assert.equal(got.lines.length, 1);
  assert.match(got.lines[0]!, /^\/sink\/1\/uri: writes to .*out\/predictions, which \/sink\/0 already writes to; give each sink its own directory$/);
});

test('config error: not JSON names the line and column', () => {
  const file = writeConfig('{\n  "source": {"type": "jsonl",}\n}');
  assert.throws(() => loadConfig(file), (err: any) => err.exitCode === 2 && /not valid JSON: .*\(line 2, column \d+\)$/.test(err.lines[0]));
});

test('config error: a missing config file', () => {
  assert.throws(() => loadConfig('/nonexistent/pipeline.json'), (err: any) => err.exitCode === 2 && err.lines[0] === '/nonexistent/pipeline.json: cannot read the pipeline config: no such file');
});

test('defaults are filled in: key position, errors under the sink, execution', () => {
  const graph = buildGraph(loadConfig(writeConfig(good)), registry, createStorage());
  assert.equal(graph.config.key.type, 'position');
  assert.deepEqual(graph.config.post, []);
  assert.equal(graph.config.errors.type, 'jsonl');
  assert.equal(graph.config.errors.uri, path.join('out/predictions', '_errors'));
  assert.equal(graph.config.execution.maxErrorRate, 0.1);
  assert.equal(graph.config.model.batchSize, 256);
  assert.equal(graph.name, 'pipeline');
});

test('--set overrides and ${VAR} interpolation', () => {
  const config = { ...good, sink: { type: 'jsonl', uri: 'out/${RUN_DATE}' } };
  const loaded = loadConfig(writeConfig(config), ['model.batchSize=64', 'name=nightly', 'post.0={"type":"round","digits":2}'], { RUN_DATE: '2026-11-24' });
  const graph = buildGraph(loaded, registry, createStorage());
  assert.equal(graph.config.model.batchSize, 64);
  assert.equal(graph.name, 'nightly');
  assert.equal(graph.config.sink[0]!.uri, 'out/2026-11-24');
  assert.deepEqual(graph.config.post, [{ type: 'round', digits: 2 }]);
});

test('the committed schema and docs/stages.md stage reference are up to date (npm run schema)', async () => {
  const { publishedSchema } = await import('../../src/config/published-schema.js');
  const { stageReference } = await import('../../src/config/reference.js');
  const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../..');
  const committed = JSON.parse(fs.readFileSync(path.join(root, 'schemas/pipeline.schema.json'), 'utf8'));
  assert.deepEqual(committed, JSON.parse(JSON.stringify(publishedSchema(builtinStages))), 'schemas/pipeline.schema.json is stale: run npm run schema');
  const page = fs.readFileSync(path.join(root, 'docs/stages.md'), 'utf8');
  assert.ok(page.includes(stageReference(builtinStages)), 'the docs/stages.md stage reference is stale: run npm run schema');
});
