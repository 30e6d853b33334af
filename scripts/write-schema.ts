/**
 * Regenerates what is derived from the stage definitions: `schemas/pipeline.schema.json`
 * (for `"$schema"` autocompletion in editors; see published-schema.ts) and the stage reference
 * in docs/stages.md.
 * `npm run schema`; a test fails when either is stale.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { publishedSchema } from '../src/config/published-schema.js';
import { REFERENCE_BEGIN, REFERENCE_END, stageReference } from '../src/config/reference.js';
import { builtinStages } from '../stages/index.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const schemaFile = path.join(root, 'schemas/pipeline.schema.json');
fs.mkdirSync(path.dirname(schemaFile), { recursive: true });
fs.writeFileSync(schemaFile, JSON.stringify(publishedSchema(builtinStages), null, 2) + '\n');

const page = path.join(root, 'docs/stages.md');
const text = fs.readFileSync(page, 'utf8');
const a = text.indexOf(REFERENCE_BEGIN);
const b = text.indexOf(REFERENCE_END);
if (a < 0 || b < 0) throw new Error('docs/stages.md lacks the stage-reference markers');
fs.writeFileSync(page, text.slice(0, a) + stageReference(builtinStages) + text.slice(b + REFERENCE_END.length));
console.log(`wrote ${path.relative(root, schemaFile)} and the stage reference in docs/stages.md`);
