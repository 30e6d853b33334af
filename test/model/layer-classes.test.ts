/**
 * The build's list of tfjs-layers' classes (scripts/post-build.mjs) is the registry tfjs-layers
 * fills when imported, so the model check that trusts it (src/model/layer-classes.ts) answers
 * as the registry would; a class outside it still goes to the registry itself.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { ROOT } from '../helpers/cli.js';
import { LAYER_CLASSES_FILE, unknownLayerClasses } from '../../src/model/layer-classes.js';

const require = createRequire(import.meta.url);

test('the build lists exactly the classes tfjs-layers registers, for the installed version', async () => {
  const list = JSON.parse(fs.readFileSync(path.join(ROOT, 'dist/src/model', LAYER_CLASSES_FILE), 'utf8'));
  assert.equal(list.version, require('@tensorflow/tfjs-layers/package.json').version, 'stale list: run npm run build');
  const { serialization } = await import('@tensorflow/tfjs-core');
  await import('@tensorflow/tfjs-layers');
  assert.deepEqual(list.classes, Object.keys(serialization.SerializationMap.getMap().classNameMap).sort());
});

test('a model of built-in layers has no unknown class; a custom one is named', async () => {
  const model = (layers: string[]) => ({ modelTopology: { model_config: { class_name: 'Sequential', config: { layers: layers.map((class_name) => ({ class_name, config: {} })) } } } });
  assert.deepEqual(await unknownLayerClasses(model(['Dense', 'Dropout', 'Dense'])), []);
  assert.deepEqual(await unknownLayerClasses(model(['Dense', 'MyAttention', 'Dense'])), ['MyAttention']);
});
