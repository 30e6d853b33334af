/**
 * The Kubernetes example stays in step with the code: the pipeline in its ConfigMap is a valid
 * config naming a coordinator, and the manifests call commands and options that exist.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { validateConfig } from '../../src/config/validate.js';
import { createRegistry } from '../../src/graph/registry.js';
import { builtinStages } from '../../stages/index.js';
import { ROOT, sluice } from '../helpers/cli.js';

const K8S = path.join(ROOT, 'examples/distributed/k8s');

/** The block scalar `pipeline.json: |` of the ConfigMap (indented 4 spaces), as text. */
function configMapPipeline(): string {
  const lines = fs.readFileSync(path.join(K8S, 'configmap.yaml'), 'utf8').split('\n');
  const start = lines.findIndex((l) => /^\s+pipeline\.json: \|$/.test(l));
  assert.ok(start >= 0, 'configmap.yaml holds pipeline.json');
  const body: string[] = [];
  for (const l of lines.slice(start + 1)) {
    if (l.trim() && !l.startsWith('    ')) break;
    body.push(l.slice(4));
  }
  return body.join('\n');
}

test('the ConfigMap pipeline is a valid config for a distributed run', () => {
  const config = JSON.parse(configMapPipeline().replace(/\$\{RUN_DATE\}/g, '2026-11-24'));
  const valid = validateConfig(config, createRegistry(builtinStages));
  assert.match(valid.execution.coordinator ?? '', /^redis:\/\/sluice-redis:6379$/);
});

test('every sluice command line in the manifests parses (its options exist)', () => {
  const workerHelp = sluice(['worker', '--help']).stdout;
  const runHelp = sluice(['run', '--help']).stdout;
  for (const file of fs.readdirSync(K8S)) {
    const text = fs.readFileSync(path.join(K8S, file), 'utf8');
    if (!text.includes('/sluice:')) continue; // Redis and storage: not our image
    for (const m of text.matchAll(/args: \[([^\]]*)\]/g)) {
      const args = JSON.parse(`[${m[1]}]`) as string[];
      const help = args[0] === 'worker' ? workerHelp : args[0] === 'run' ? runHelp : assert.fail(`${file}: unknown command ${args[0]}`);
      for (const flag of args.filter((a) => a.startsWith('--'))) assert.ok(help.includes(flag), `${file}: ${args[0]} has no option ${flag}`);
    }
  }
});
