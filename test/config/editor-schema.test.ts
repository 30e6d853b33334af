/**
 * The published schema (`schemas/pipeline.schema.json`) as editors and other tools see it
 * (issue 18): VS Code's JSON language service shows no diagnostic on any example config and
 * completes every built-in stage `type` of every slot; plain ajv (no Sluice options) accepts
 * every example; an option with a default is not `required`; an errors sink must write rows.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import jsonLanguageService, { type JSONSchema } from 'vscode-json-languageservice';
import { ROOT } from '../helpers/cli.js';
import { builtinStages } from '../../stages/index.js';

const require = createRequire(import.meta.url);
// A CommonJS (UMD) package: its named exports come through the default import.
const { getLanguageService, TextDocument } = jsonLanguageService;
const SCHEMA_FILE = path.join(ROOT, 'schemas/pipeline.schema.json');
const schema = JSON.parse(fs.readFileSync(SCHEMA_FILE, 'utf8'));
const examples = fs
  .readdirSync(path.join(ROOT, 'examples'))
  .map((name) => path.join(ROOT, 'examples', name, 'pipeline.json'))
  .filter((f) => fs.existsSync(f));

/** The language service as VS Code runs it: each config's `"$schema"` path is loaded from disk. */
function languageService() {
  const ls = getLanguageService({
    schemaRequestService: async (uri: string) => fs.readFileSync(fileURLToPath(uri), 'utf8'),
    workspaceContext: { resolveRelativePath: (relative: string, resource: string) => new URL(relative, resource).href },
  });
  // Documents without "$schema" (the completion probes) get the schema by file name, as a user's settings would.
  ls.configure({ validate: true, allowComments: false, schemas: [{ uri: pathToFileURL(SCHEMA_FILE).href, fileMatch: ['pipeline.json'], schema: schema as JSONSchema }] });
  return ls;
}

test('VS Code JSON language service: zero diagnostics on every example config', async () => {
  assert.ok(examples.length >= 5);
  const ls = languageService();
  for (const file of examples) {
    const doc = TextDocument.create(pathToFileURL(file).href, 'json', 1, fs.readFileSync(file, 'utf8'));
    const diagnostics = await ls.doValidation(doc, ls.parseJSONDocument(doc));
    assert.deepEqual(diagnostics.map((d) => `${d.range.start.line + 1}: ${d.message}`), [], path.relative(ROOT, file));
  }
});

test('VS Code JSON language service: completes every built-in stage type in every slot', async () => {
  const ls = languageService();
  const slots: [string, string, (t: string) => string][] = [
    ['source', 'source', (t) => `{"source": {"type": ${t}}}`],
    ['decode', 'decode', (t) => `{"decode": {"type": ${t}}}`],
    ['key', 'key', (t) => `{"key": {"type": ${t}}}`],
    ['model', 'model', (t) => `{"model": {"type": ${t}}}`],
    ['post', 'post', (t) => `{"post": [{"type": ${t}}]}`],
    ['sink', 'sink', (t) => `{"sink": {"type": ${t}}}`],
    ['sink (a list)', 'sink', (t) => `{"sink": [{"type": ${t}}]}`],
    ['errors', 'sink', (t) => `{"errors": {"type": ${t}}}`],
  ];
  for (const [slot, kind, text] of slots) {
    const marker = '""';
    const content = text(marker);
    const offset = content.indexOf(marker) + 1;
    const doc = TextDocument.create('file:///p/pipeline.json', 'json', 1, content);
    const list = await ls.doComplete(doc, doc.positionAt(offset), ls.parseJSONDocument(doc));
    const offered = (list?.items ?? []).map((i) => i.label.replace(/^"|"$/g, '')).sort();
    let want = builtinStages.filter((d) => d.kind === kind);
    // An errors sink must write rows: a sink that only aggregates (metrics) is not offered there.
    if (slot === 'errors') want = want.filter((d) => !('finish' in d && d.finish));
    assert.deepEqual(offered, want.map((d) => d.type).sort(), `${slot}: ${content}`);
  }
  // Options of the chosen type complete too (the quickstart's model).
  const content = '{"model": {"type": "tfjs", "uri": "model/model.json", }}';
  const doc = TextDocument.create('file:///p/pipeline.json', 'json', 1, content);
  const list = await ls.doComplete(doc, doc.positionAt(content.indexOf(', }') + 2), ls.parseJSONDocument(doc));
  const labels = (list?.items ?? []).map((i) => i.label);
  for (const option of ['batchSize', 'backend']) assert.ok(labels.includes(option), `model options offered: ${labels.join(', ')}`);
});

test('plain ajv accepts every example against the published schema; an errors sink of type metrics is refused', () => {
  const Ajv = require('ajv');
  const ajv = new Ajv({ allErrors: true, strict: false });
  const validate = ajv.compile(schema);
  for (const file of examples) assert.ok(validate(JSON.parse(fs.readFileSync(file, 'utf8'))), `${path.relative(ROOT, file)}: ${ajv.errorsText(validate.errors)}`);
  const base = { source: { type: 'jsonl', uri: 'x' }, decode: { type: 'json', features: { x: { dtype: 'float32', shape: [1] } } }, model: { type: 'tfjs', uri: 'm' }, sink: { type: 'jsonl', uri: 'o' } };
  assert.equal(validate({ ...base, errors: { type: 'metrics', uri: 'x', label: 'y', task: 'binary' } }), false);
  assert.equal(validate({ ...base, post: [{ type: './my-post.js', anything: 1 }] }), true, 'a user module takes its own options');
});

test('no option that has a default is required in the published schema; the examples carry examples', () => {
  const offenders: string[] = [];
  let examplesSeen = 0;
  const walk = (s: any, at: string) => {
    if (Array.isArray(s)) return s.forEach((x, i) => walk(x, `${at}/${i}`));
    if (s === null || typeof s !== 'object') return;
    if (Array.isArray(s.examples)) examplesSeen++;
    for (const name of s.required ?? []) if (s.properties?.[name]?.default !== undefined) offenders.push(`${at}/${name}`);
    for (const [k, v] of Object.entries(s)) if (k !== 'default' && k !== 'examples') walk(v, `${at}/${k}`);
  };
  walk(schema, '');
  assert.deepEqual(offenders, []);
  assert.ok(examplesSeen >= 5, `examples for common options: ${examplesSeen}`);
});

test('validation stays exact: an errors sink of type metrics fails validate (exit 2)', async () => {
  const { sluice } = await import('../helpers/cli.js');
  const r = sluice(['validate', path.join(ROOT, 'examples/quickstart/pipeline.json'), '--set', 'errors={"type":"metrics","uri":"out/m","label":"species","task":"multiclass"}']);
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /^sluice: \/errors\/type: unknown type "metrics" \(known: jsonl, csv, tfrecord, parquet\)/m);
});
