import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pipelineSchema } from '../../src/config/schema.js';
import { precompiledValidator } from '../../src/config/precompiled.js';
import { builtinStages } from '../../stages/index.js';

test('the build precompiles the validator for the built-in stages', () => {
  const validate = precompiledValidator(pipelineSchema(builtinStages));
  assert.ok(validate, 'dist/src/config/pipeline-validator.cjs is missing or stale: run npm run build');
  const config: any = { source: { type: 'jsonl', uri: 'a' }, decode: { type: 'json', features: { x: { dtype: 'float32', shape: [4] } } }, key: { type: 'position' }, model: { type: 'tfjs', uri: 'm.json' }, sink: { type: 'jsonl', uri: 'o' } };
  assert.equal(validate(config), true, JSON.stringify(validate.errors));
  assert.equal(config.model.batchSize, 256, 'defaults are applied by the precompiled validator too');
});

test('another registry (a plugin, a test) does not use the precompiled validator', () => {
  assert.equal(precompiledValidator(pipelineSchema(builtinStages.slice(1))), undefined);
});

test("the build's V8 code cache of the validator fits this Node, so no thread compiles the validator", async () => {
  const { loadPrecompiled } = await import('../../src/config/precompiled.js');
  const precompiled = loadPrecompiled();
  assert.ok(precompiled, 'dist/src/config/pipeline-validator.cjs is missing: run npm run build');
  assert.equal(precompiled.script.cachedDataRejected, false, 'dist/src/config/pipeline-validator.cache is missing or made by another Node: run npm run build');
  assert.equal(precompiled.validate, precompiledValidator(pipelineSchema(builtinStages)), 'the validator run from the cache is the one validation uses');
});
