/**
 * A model with an unregistered custom layer (issue 16, item 12) is found by `validate` (exit 2
 * naming the model file and the layer class, from model.json alone), and `run` exits 2 the same
 * way before any worker tries to load it (it used to retry 3 times and exit 1 with a cut
 * message). Registered with NODE_OPTIONS=--require, as docs/runs.md says, the same model is valid.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { QUICKSTART_CONFIG } from '../helpers/online.js';
import { editedQuickstartModel } from '../helpers/model-copy.js';
import { sluice } from '../helpers/cli.js';
import { HANG_LAYER_ENV } from '../helpers/hang-model.js';

/** The quickstart model with a `HangOn` layer (the timeout tests' custom layer) between its two Dense layers. */
function customLayerModel(): string {
  return editedQuickstartModel((topology) => {
    const layers = topology.config.layers;
    const species = layers.find((l: any) => l.name === 'species');
    layers.splice(layers.indexOf(species), 0, { name: 'hang', class_name: 'HangOn', config: { name: 'hang', value: 666, trainable: true }, inbound_nodes: species.inbound_nodes });
    species.inbound_nodes = [[['hang', 0, 0, {}]]];
  });
}

test('an unregistered custom layer: validate and run exit 2 naming the model and the layer class; registered, the model is valid', () => {
  const model = customLayerModel();
  const out = path.join(path.dirname(model), 'out');
  try {
    const expected = new RegExp(`^sluice: /model/uri: model file ${model.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: layer class "HangOn" is not registered with TensorFlow.js \\(register custom layers with NODE_OPTIONS="--require ./my-layers.cjs", see docs/runs.md\\)$`, 'm');
    const validate = sluice(['validate', QUICKSTART_CONFIG, '--set', `model.uri=${model}`]);
    assert.equal(validate.status, 2, validate.stderr);
    assert.match(validate.stderr, expected);
    const run = sluice(['run', QUICKSTART_CONFIG, '--set', `model.uri=${model}`, '--set', `sink.uri=${out}/p`, '--set', `errors.uri=${out}/e`]);
    assert.equal(run.status, 2, run.stderr);
    assert.match(run.stderr, expected);
    assert.doesNotMatch(run.stderr, /retry|attempt/i);
    const registered = sluice(['validate', QUICKSTART_CONFIG, '--set', `model.uri=${model}`], { env: HANG_LAYER_ENV });
    assert.equal(registered.status, 0, registered.stderr);
  } finally {
    fs.rmSync(path.dirname(model), { recursive: true, force: true });
  }
});
