/**
 * The pipeline schema as published for editors and other validators
 * (`schemas/pipeline.schema.json`), derived from the schema Sluice validates with:
 *
 * - no false `required`: an option with a default may be left out, so it is not required here
 *   (Sluice's own validation fills defaults first and stays exact);
 * - stage `type`s complete: each slot's `type` is an `anyOf` of the built-in names (an `enum`,
 *   which editors offer) and the pattern of a user module path; each built-in's options apply
 *   through `if`/`then` on its `type` instead of ajv's `discriminator` keyword, which plain JSON
 *   Schema tools do not know;
 * - `examples` for the options people write first.
 */
import type { StageMeta } from '../core/stage.js';
import type { StageKind } from '../core/types.js';
import { MODULE_TYPE_PATTERN, pipelineSchema } from './schema.js';

type Schema = Record<string, any>;

/** Examples shown by editors, by option name within a stage kind (and at the top level). */
const EXAMPLES: Record<string, Record<string, unknown[]>> = {
  source: { uri: ['data/*.jsonl', 'data/', 's3://bucket/input/part-*.csv'] },
  model: { uri: ['model/model.json', 'gs://bucket/models/v3/model.json'], batchSize: [256] },
  sink: { uri: ['out/predictions', 's3://bucket/predictions/2026-11-24'] },
  key: { field: ['id'], forward: [['id', 'label']] },
  decode: { features: [{ measurements: { dtype: 'float32', shape: [4] } }] },
};

/** Drops from `required` every property that has a default, everywhere in `schema`. */
function relaxRequired(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(relaxRequired);
  if (schema === null || typeof schema !== 'object') return schema;
  const out: Schema = {};
  for (const [k, v] of Object.entries(schema)) out[k] = k === 'default' || k === 'examples' || k === 'const' || k === 'enum' ? v : relaxRequired(v);
  if (Array.isArray(out.required) && out.properties) {
    out.required = out.required.filter((name: string) => out.properties[name]?.default === undefined);
    if (!out.required.length) delete out.required;
  }
  return out;
}

/** A stage slot for editors: `type` completes, each built-in's options apply by `if`/`then`. */
function editorSlot(slot: Schema, kind: string): Schema {
  const branches: Schema[] = slot.else?.oneOf ?? [];
  const names = branches.map((b) => b.properties.type.const as string);
  const examples = EXAMPLES[kind] ?? {};
  return {
    type: 'object',
    description: slot.description,
    properties: {
      type: {
        description: slot.properties.type.description,
        anyOf: [
          { enum: names, description: `A built-in ${kind} stage.` },
          { type: 'string', pattern: MODULE_TYPE_PATTERN, description: `A module exporting a ${kind} stage: ./my-${kind}.js, ../lib/x.js, /abs/x.js or file:…` },
        ],
      },
    },
    required: ['type'],
    allOf: branches.map((b) => ({
      if: { properties: { type: { const: b.properties.type.const } }, required: ['type'] },
      then: {
        ...b,
        properties: Object.fromEntries(
          Object.entries<Schema>(b.properties).map(([name, s]) => [name, examples[name] && s.examples === undefined ? { ...s, examples: examples[name] } : s]),
        ),
      },
    })),
  };
}

/** Replaces every stage slot (`if` on a module type, `else` a discriminated `oneOf`) with its editor form. */
function editorSlots(schema: unknown, kind = ''): unknown {
  if (Array.isArray(schema)) return schema.map((s) => editorSlots(s, kind));
  if (schema === null || typeof schema !== 'object') return schema;
  const s = schema as Schema;
  if (s.else?.discriminator && s.if?.properties?.type?.pattern === MODULE_TYPE_PATTERN) return editorSlot(s, kind);
  const out: Schema = {};
  for (const [k, v] of Object.entries(s)) out[k] = k === 'properties' ? Object.fromEntries(Object.entries<unknown>(v).map(([name, p]) => [name, editorSlots(p, slotKind(name) ?? kind)])) : editorSlots(v, kind);
  return out;
}

const KINDS: Record<string, StageKind> = { source: 'source', decode: 'decode', key: 'key', model: 'model', post: 'post', sink: 'sink', errors: 'sink' };
const slotKind = (name: string): string | undefined => KINDS[name];

/**
 * The schema written to `schemas/pipeline.schema.json` (see the module comment).
 *
 * @example
 * fs.writeFileSync('schemas/pipeline.schema.json', JSON.stringify(publishedSchema(builtinStages), null, 2));
 */
export function publishedSchema(defs: readonly StageMeta[]): Schema {
  return { $schema: 'http://json-schema.org/draft-07/schema#', ...(editorSlots(relaxRequired(pipelineSchema(defs))) as Schema) };
}
