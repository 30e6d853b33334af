/**
 * Found by `validate`, not by a failed run (issue 16, items 13–14): a sink at the root of the file
 * system; `select` naming an output the model lacks; argmax/topk labels fewer than its classes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { QUICKSTART_CONFIG } from '../helpers/online.js';
import { editedQuickstartModel } from '../helpers/model-copy.js';
import { sluice } from '../helpers/cli.js';

test('sink "/" (or errors "/") is a config error from validate, exit 2', () => {
  for (const slot of ['sink', 'errors']) {
    const r = sluice(['validate', QUICKSTART_CONFIG, '--set', `${slot}.uri=/`]);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, new RegExp(`^sluice: /${slot}(/0)?/uri: writes to /, the root of the file system; give the sink a directory of its own$`, 'm'));
  }
});

/** The quickstart's model.json with a second output `hidden_out` (a Dense of 16 units on `hidden`), beside its weights. */
function twoOutputModel(): string {
  return editedQuickstartModel((topology) => {
    const species = topology.config.layers.find((l: any) => l.name === 'species');
    topology.config.layers.push({ ...species, name: 'hidden_out', config: { ...species.config, name: 'hidden_out', units: 16 } });
    topology.config.output_layers.push(['hidden_out', 0, 0]);
  });
}

test('select naming an output the model does not have is a config error from validate (exit 2), naming the config path and the outputs', () => {
  const model = twoOutputModel();
  try {
    const post = (outputs: string[]) => `post=${JSON.stringify([{ type: 'select', outputs }, { type: 'argmax', labels: ['setosa', 'versicolor', 'virginica'] }])}`;
    const bad = sluice(['validate', QUICKSTART_CONFIG, '--set', `model.uri=${model}`, '--set', post(['species', 'probs'])]);
    assert.equal(bad.status, 2, bad.stderr);
    assert.match(bad.stderr, /^sluice: \/post\/0\/outputs\/1: the model has no output "probs" \(its outputs: "species", "hidden_out"\)$/m);
    const good = sluice(['validate', QUICKSTART_CONFIG, '--set', `model.uri=${model}`, '--set', post(['species'])]);
    assert.equal(good.status, 0, good.stderr);
    // Selecting the 16-wide output before argmax with 3 labels: the labels check follows select.
    const wide = sluice(['validate', QUICKSTART_CONFIG, '--set', `model.uri=${model}`, '--set', post(['hidden_out'])]);
    assert.equal(wide.status, 2, wide.stderr);
    assert.match(wide.stderr, /^sluice: \/post\/1\/labels: 3 labels for the 16 classes of the model's output "hidden_out" \(its last axis\); give one label per class$/m);
    const single = sluice(['validate', QUICKSTART_CONFIG, '--set', `post=${JSON.stringify([{ type: 'select', outputs: ['species'] }])}`]);
    assert.equal(single.status, 2, single.stderr);
    assert.match(single.stderr, /^sluice: \/post\/0\/outputs: the model has one output \("species"\): its predictions have no named outputs to select; remove this step$/m);
  } finally {
    fs.rmSync(path.dirname(model), { recursive: true, force: true });
  }
});

test('argmax/topk labels fewer than the model\'s classes are a config error from validate (exit 2); through softmax and round too', () => {
  for (const post of [
    [{ type: 'argmax', labels: ['setosa', 'versicolor'] }],
    [{ type: 'softmax' }, { type: 'round', digits: 2 }, { type: 'topk', k: 2, labels: ['setosa', 'versicolor'] }],
  ]) {
    const r = sluice(['validate', QUICKSTART_CONFIG, '--set', `post=${JSON.stringify(post)}`]);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, new RegExp(`^sluice: /post/${post.length - 1}/labels: 2 labels for the 3 classes of the model's output "species" \\(its last axis\\); give one label per class$`, 'm'));
  }
  const labels = path.join(os.tmpdir(), `sluice-labels-${process.pid}.txt`);
  fs.writeFileSync(labels, 'setosa\nversicolor\n');
  try {
    const r = sluice(['validate', QUICKSTART_CONFIG, '--set', `post=${JSON.stringify([{ type: 'argmax', labels }])}`]);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /^sluice: \/post\/0\/labels: 2 labels for the 3 classes/m);
  } finally {
    fs.rmSync(labels, { force: true });
  }
  assert.equal(sluice(['validate', QUICKSTART_CONFIG]).status, 0);
});
