/** Reading a model's signature from its JSON alone: real GraphModels, and LayersModel topologies as tfjs and Keras save them. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { namesInput, readSignature } from '../../src/model/signature.js';
import { humanModel, projectFile } from './helpers.js';

const json = (file: string) => JSON.parse(fs.readFileSync(file, 'utf8'));

test('a GraphModel signature under userDefinedMetadata: inputs and outputs by key, tfjs dtypes, -1 for unknown dims', () => {
  assert.deepEqual(readSignature(json(humanModel('emotion'))), {
    format: 'graph-model',
    inputs: [{ name: 'input_1:0', tensor: 'input_1:0', dtype: 'float32', shape: [-1, 64, 64, 1] }],
    outputs: [{ name: 'Identity:0', shape: [-1, 7] }],
  });
  const facemesh = readSignature(json(humanModel('facemesh')));
  assert.deepEqual(facemesh.inputs, [{ name: 'input_1', tensor: 'input_1:0', dtype: 'float32', shape: [-1, 192, 192, 3] }]);
  assert.deepEqual(facemesh.outputs.map((o) => o.name), ['output_mesh', 'output_faceflag', 'output_contours']);
  // DT_UINT8 (and DT_INT64) inputs are fed as int32, as tfjs-converter maps them.
  assert.equal(readSignature(json(humanModel('handtrack'))).inputs[0]!.dtype, 'int32');
});

test('a GraphModel without a signature: Placeholder nodes are the inputs, leaf nodes the outputs', () => {
  const model = json(humanModel('emotion'));
  delete model.userDefinedMetadata;
  const sig = readSignature(model);
  assert.deepEqual(sig.inputs, [{ name: 'input_1', dtype: 'float32', shape: [-1, 64, 64, 1] }]);
  assert.deepEqual(sig.outputs, [{ name: 'Identity', shape: null }]);
});

test('input names match with or without the :0 suffix, by signature key or tensor name', () => {
  const input = { name: 'input_1', tensor: 'input_1:0', dtype: 'float32', shape: [-1, 4] };
  for (const name of ['input_1', 'input_1:0']) assert.ok(namesInput(input, name), name);
  assert.ok(namesInput({ name: 'x', tensor: 'serving_default_x:0', dtype: 'float32', shape: null }, 'serving_default_x'));
  assert.ok(!namesInput(input, 'input_2'));
  assert.ok(!namesInput(input, 'input_1:1'));
});

test('a functional LayersModel (the quickstart): input layers with their batch shapes, output layers', () => {
  assert.deepEqual(readSignature(json(projectFile('examples/quickstart/model/model.json'))), {
    format: 'layers-model',
    inputs: [{ name: 'measurements', dtype: 'float32', shape: [-1, 4] }],
    outputs: [{ name: 'species', shape: [-1, 3] }],
  });
});

const dense = (name: string, config: object = {}) => ({ class_name: 'Dense', config: { name, units: 2, ...config } });

test('Sequential topologies: the implicit input is named <first layer>_input; InputLayer, old Keras and Keras 3 forms', () => {
  const tfjsSaved = { format: 'layers-model', modelTopology: { class_name: 'Sequential', config: { name: 's', layers: [dense('probs', { batch_input_shape: [null, 4], dtype: 'float32' })] } } };
  assert.deepEqual(readSignature(tfjsSaved), {
    format: 'layers-model',
    inputs: [{ name: 'probs_input', dtype: 'float32', shape: [-1, 4] }],
    outputs: [{ name: 'probs', shape: [-1, 2] }],
  });
  // Keras 2 wraps the model in model_config and may store a Sequential's layers as the config itself.
  const keras = { modelTopology: { model_config: { class_name: 'Sequential', config: [dense('d1', { batch_input_shape: [null, 3, 2], dtype: 'int32' }), dense('d2')] } } };
  assert.deepEqual(readSignature(keras).inputs, [{ name: 'd1_input', dtype: 'int32', shape: [-1, 3, 2] }]);
  const withInputLayer = { modelTopology: { class_name: 'Sequential', config: { layers: [{ class_name: 'InputLayer', config: { name: 'pixels', batch_shape: [null, 28, 28], dtype: 'float32' } }, dense('out')] } } };
  assert.deepEqual(readSignature(withInputLayer).inputs, [{ name: 'pixels', dtype: 'float32', shape: [-1, 28, 28] }]);
});

test('a Keras 3 functional topology: a single input_layers triple and batch_shape', () => {
  const k3 = {
    format: 'layers-model',
    modelTopology: {
      class_name: 'Functional',
      config: {
        layers: [{ class_name: 'InputLayer', name: 'x', config: { name: 'x', batch_shape: [null, 8], dtype: 'float32' } }, dense('y')],
        input_layers: ['x', 0, 0],
        output_layers: [['y', 0, 0]],
      },
    },
  };
  assert.deepEqual(readSignature(k3).inputs, [{ name: 'x', dtype: 'float32', shape: [-1, 8] }]);
  assert.deepEqual(readSignature(k3).outputs, [{ name: 'y', shape: [-1, 2] }]);
});

test('a JSON that is neither model format says what was expected and found', () => {
  assert.throws(() => readSignature({ modelTopology: { foo: 1 } }), {
    message: 'expected a LayersModel or GraphModel JSON (format "layers-model" or "graph-model"), got format null and a topology with neither "node" nor "class_name"',
  });
  assert.throws(() => readSignature({ format: 'layers-model', modelTopology: { class_name: 'Sequential', config: { layers: [] } } }), {
    message: 'the Sequential model has no layers',
  });
});
