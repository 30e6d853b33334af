/**
 * Editor autocompletion: every example config names the generated schema by `"$schema"`, the
 * path resolves to it, and the config is valid against it as an editor would check it (the file
 * itself, not the in-memory schema; user stages are accepted by path there and checked against
 * their own schemas at run time).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from '../helpers/cli.js';
import { createAjv, formatErrors } from '../../src/config/ajv.js';

const schemaFile = path.join(ROOT, 'schemas/pipeline.schema.json');

test('every example config names the generated schema with "$schema" and is valid against it', () => {
  const { $schema: _draft, ...schema } = JSON.parse(fs.readFileSync(schemaFile, 'utf8'));
  assert.equal(schema.$id, 'https://sluice.dev/schemas/pipeline.schema.json');
  const validate = createAjv().compile(schema);
  const examples = fs.readdirSync(path.join(ROOT, 'examples')).filter((n) => fs.existsSync(path.join(ROOT, 'examples', n, 'pipeline.json')));
  assert.ok(examples.length >= 3);
  for (const name of examples) {
    const file = path.join(ROOT, 'examples', name, 'pipeline.json');
    const config = JSON.parse(fs.readFileSync(file, 'utf8'));
    assert.equal(path.resolve(path.dirname(file), config.$schema), schemaFile, `${name}: "$schema" must point at schemas/pipeline.schema.json`);
    assert.ok(validate(config), `${name}: ${formatErrors(validate.errors, config).join('; ')}`);
  }
});
