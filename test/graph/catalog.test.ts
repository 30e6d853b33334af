/**
 * The lazy catalogue of built-in stages (stages/catalog.ts) against the eager list
 * (stages/index.ts): same stages, same order, same metas, so validation, the schema and its
 * precompiled validator are the same whichever a thread uses; and `loadRegistry` loads the code
 * of exactly the stages a config names.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { builtinCatalog } from '../../stages/catalog.js';
import { builtinStages } from '../../stages/index.js';
import { pipelineSchema } from '../../src/config/schema.js';
import { precompiledValidator } from '../../src/config/precompiled.js';
import { loadRegistry } from '../../src/graph/plugins.js';
import { isDefinition } from '../../src/graph/registry.js';

test('the catalogue lists the built-ins in the same order with the same metas, and loads the same definitions', async () => {
  assert.deepEqual(builtinCatalog.map((s) => `${s.kind}/${s.type}`), builtinStages.map((s) => `${s.kind}/${s.type}`));
  for (const [i, entry] of builtinCatalog.entries()) {
    const def = builtinStages[i]!;
    const at = `${def.kind}/${def.type}`;
    assert.equal(entry.summary, def.summary, at);
    assert.equal(entry.optionsSchema, def.optionsSchema, at);
    assert.equal(Boolean(entry.aggregates), 'finish' in def && typeof def.finish === 'function', `${at}: aggregates is true exactly for a sink with finish`);
    assert.equal(await entry.load(), def, `${at}: load() gives the definition stages/index.ts holds`);
  }
  assert.deepEqual(pipelineSchema(builtinCatalog), pipelineSchema(builtinStages));
  assert.ok(precompiledValidator(pipelineSchema(builtinCatalog)), 'the precompiled validator fits the catalogue');
});

test('loadRegistry loads the stages a config names, the default key and errors sink included, and no other', async () => {
  const config = {
    source: { type: 'jsonl', uri: 'in.jsonl' },
    decode: { type: 'json', features: { x: { dtype: 'float32', shape: [1] } } },
    model: { type: 'tfjs', uri: 'model.json' },
    post: [{ type: 'round', digits: 2 }],
    sink: { type: 'csv', uri: 'out' },
  };
  const registry = await loadRegistry({ file: '/p/pipeline.json', baseDir: '/p', config }, builtinCatalog);
  const loaded = registry.stages.filter((s) => isDefinition(s)).map((s) => `${s.kind}/${s.type}`);
  assert.deepEqual(loaded, ['source/jsonl', 'decode/json', 'key/position', 'model/tfjs', 'post/round', 'sink/jsonl', 'sink/csv']);
  assert.equal(registry.get('post', 'round')?.type, 'round');
  assert.throws(() => registry.get('source', 'parquet'), /stage source\/parquet is not loaded: build the registry with loadRegistry/);
  // Every built-in still counts for validation: the schema (and "did you mean") know all of them.
  assert.equal(registry.stages.length, builtinCatalog.length);
  assert.deepEqual(registry.types('source'), builtinStages.filter((s) => s.kind === 'source').map((s) => s.type));
});
