/**
 * Files a model may read (issue 16, item 10), through the CLI: a weightsManifest path that
 * leaves the model's directory (relative, absolute, /proc, %-encoded) and a declared size the
 * shards do not hold are config errors from `validate` and `run` (exit 2), before any weight
 * byte is read.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { QUICKSTART_DIR, quickstartConfig } from '../helpers/online.js';
import { sluice } from '../helpers/cli.js';
import { weightPathProblem } from '../../src/model/weights.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-model-files-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A copy of the quickstart project whose model.json is edited by `edit`. */
function project(name: string, edit: (json: any) => void): { config: string; modelJson: string } {
  const root = path.join(dir, name);
  fs.cpSync(path.join(QUICKSTART_DIR, 'model'), path.join(root, 'model'), { recursive: true });
  fs.cpSync(path.join(QUICKSTART_DIR, 'data'), path.join(root, 'data'), { recursive: true });
  const modelJson = path.join(root, 'model/model.json');
  const json = JSON.parse(fs.readFileSync(modelJson, 'utf8'));
  edit(json);
  fs.writeFileSync(modelJson, JSON.stringify(json));
  const config = path.join(root, 'pipeline.json');
  fs.writeFileSync(config, JSON.stringify(quickstartConfig()));
  return { config, modelJson };
}

test('weightPathProblem accepts plain relative paths and refuses every way out', () => {
  for (const ok of ['weights.bin', 'group1-shard1of2.bin', 'shards/w.bin']) assert.equal(weightPathProblem(ok), null, ok);
  for (const bad of ['../../../../etc/passwd', '/proc/self/environ', '%2e%2e/%2e%2e/etc/passwd', '..%2fsecret', 'a/../../b', 'file:///etc/passwd', 's3://other/w.bin', 'C:\\w.bin', './w.bin', '', 'a//b', '%zz']) {
    assert.notEqual(weightPathProblem(bad), null, bad);
  }
});

for (const [name, p] of [['relative', '../../../../etc/passwd'], ['proc', '/proc/self/environ'], ['encoded', '%2e%2e/%2e%2e/%2e%2e/etc/passwd']] as const) {
  test(`a weightsManifest path ${p} is a config error from validate and run`, () => {
    const { config, modelJson } = project(name, (json) => (json.weightsManifest[0].paths = [p]));
    for (const cmd of ['validate', 'run']) {
      const r = sluice([cmd, config]);
      assert.equal(r.status, 2, `${cmd}: ${r.stderr}`);
      assert.match(r.stderr, new RegExp(`^sluice: /model/uri: model file ${modelJson.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: weightsManifest path ${JSON.stringify(p).replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} is refused: `, 'm'));
      assert.doesNotMatch(r.stderr, /root:|AWS_/);
    }
  });
}

test('a manifest declaring 10 GB of weights beside a small shard is refused by validate and run before reading', () => {
  const { config } = project('huge', (json) => (json.weightsManifest[0].weights[0].shape = [50_000, 50_000]));
  for (const cmd of ['validate', 'run']) {
    const started = Date.now();
    const r = sluice([cmd, config]);
    assert.equal(r.status, 2, `${cmd}: ${r.stderr}`);
    assert.match(r.stderr, /^sluice: \/model\/uri: model file .*model\.json: weightsManifest group 0 declares 10000\d+ bytes of weights but its files hold \d+ \(weights\.bin\)$/m);
    assert.ok(Date.now() - started < 20_000);
  }
});
