import { createRequire } from 'node:module';
import type { Ajv, ErrorObject } from 'ajv';
import { shown } from '../core/errors.js';
import { didYouMean } from './suggest.js';

// Loaded on first use: with the build's precompiled validator, neither the CLI nor a worker
// thread needs ajv itself (~45 ms of start-up).
const require = createRequire(import.meta.url);

/**
 * The one ajv setup: every error at once, defaults filled in, strict schemas, no type coercion
 * (a string "256" for an integer is an error the user should see, not a silent fix).
 */
export function createAjv(options: { source?: boolean } = {}): Ajv {
  const { Ajv } = require('ajv') as typeof import('ajv');
  const formats = require('ajv-formats');
  // ajv-formats is CommonJS; its default export may arrive as the module object.
  const addFormats = (formats.default ?? formats) as (ajv: Ajv) => Ajv;
  const ajv = new Ajv({
    allErrors: true,
    verbose: true,
    useDefaults: true,
    strict: true,
    allowUnionTypes: true,
    discriminator: true,
    // Kept only when the build precompiles the pipeline validator (scripts/post-build.mjs).
    code: { source: options.source ?? false },
  });
  addFormats(ajv);
  return ajv;
}

/** JSON type name of a value as a message would say it. */
function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

/** Reads the value at a JSON pointer in `root`, for the "got …" part of a message. */
export function valueAt(root: unknown, pointer: string): unknown {
  if (pointer === '') return root;
  let cur: any = root;
  for (const raw of pointer.split('/').slice(1)) {
    const part = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = cur[part];
  }
  return cur;
}

/**
 * One human line per ajv error, each naming its JSON path, what was expected and what was
 * found; duplicates and the noise of `if/then` wrappers are dropped.
 *
 * @example
 * formatErrors(errors, config) // ['/model/batchSize: must be an integer >= 1, got "256"']
 */
export function formatErrors(errors: ErrorObject[] | null | undefined, root: unknown, prefix = ''): string[] {
  if (!errors) return [];
  const lines: string[] = [];
  // Merge "type integer" and "minimum 1" on the same path into one line.
  const byPath = new Map<string, ErrorObject[]>();
  for (const e of errors) {
    if (e.keyword === 'if' || e.keyword === 'allOf') continue;
    const list = byPath.get(e.instancePath) ?? [];
    list.push(e);
    byPath.set(e.instancePath, list);
  }
  for (const [instancePath, list] of byPath) {
    const at = `${prefix}${instancePath}`;
    const value = valueAt(root, instancePath);
    const typeErr = list.find((e) => e.keyword === 'type');
    const bounds = list
      .map((e) => {
        const p = e.params as any;
        if (e.keyword === 'minimum') return `>= ${p.limit}`;
        if (e.keyword === 'maximum') return `<= ${p.limit}`;
        if (e.keyword === 'exclusiveMinimum') return `> ${p.limit}`;
        if (e.keyword === 'exclusiveMaximum') return `< ${p.limit}`;
        return null;
      })
      .filter(Boolean);
    if (typeErr) {
      const want = String((typeErr.params as any).type).split(',').join(' or ');
      // Report the bounds too, from the schema, so one line says everything that is expected.
      const schema = typeErr.parentSchema as any;
      const b = [...bounds];
      if (schema && typeof schema === 'object') {
        if (schema.minimum !== undefined && !b.includes(`>= ${schema.minimum}`)) b.push(`>= ${schema.minimum}`);
        if (schema.maximum !== undefined && !b.includes(`<= ${schema.maximum}`)) b.push(`<= ${schema.maximum}`);
      }
      const article = /^[aeiou]/.test(want) ? 'an' : 'a';
      lines.push(`${at}: must be ${article} ${want}${b.length ? ' ' + b.join(' and ') : ''}, got ${shown(value)}`);
      continue;
    }
    if (bounds.length) {
      lines.push(`${at}: must be ${bounds.join(' and ')}, got ${shown(value)}`);
    }
    for (const e of list) {
      const p = e.params as any;
      switch (e.keyword) {
        case 'type':
        case 'minimum':
        case 'maximum':
        case 'exclusiveMinimum':
        case 'exclusiveMaximum':
          break;
        case 'additionalProperties': {
          const allowed = Object.keys((e.parentSchema as any)?.properties ?? {}).filter((k) => !k.startsWith('$'));
          lines.push(`${at}/${p.additionalProperty}: unknown key (${allowed.length ? `allowed: ${allowed.join(', ')}` : 'this takes no options'})${didYouMean(p.additionalProperty, allowed)}`);
          break;
        }
        case 'required':
          lines.push(`${at}/${p.missingProperty}: required, missing`);
          break;
        case 'enum':
          lines.push(`${at}: must be one of ${p.allowedValues.map((v: unknown) => shown(v)).join(', ')}, got ${shown(value)}${didYouMean(value, p.allowedValues.filter((v: unknown) => typeof v === 'string'))}`);
          break;
        case 'const':
          lines.push(`${at}: must be ${shown(p.allowedValue)}, got ${shown(value)}`);
          break;
        case 'minItems':
          lines.push(`${at}: must have at least ${p.limit} item${p.limit === 1 ? '' : 's'}, got ${Array.isArray(value) ? value.length : typeName(value)}`);
          break;
        case 'maxItems':
          lines.push(`${at}: must have at most ${p.limit} items, got ${Array.isArray(value) ? value.length : typeName(value)}`);
          break;
        case 'minLength':
          lines.push(`${at}: must not be empty`);
          break;
        case 'pattern':
          lines.push(`${at}: must match ${p.pattern}, got ${shown(value)}`);
          break;
        case 'discriminator':
          if (p.error === 'mapping') {
            const options = (e.parentSchema as any)?.oneOf?.map((s: any) => s.properties?.type?.const).filter(Boolean) ?? [];
            lines.push(`${at}/type: unknown type ${shown(value && (value as any).type)} (known: ${options.join(', ')})${didYouMean(value && (value as any).type, options)}`);
          } else {
            lines.push(`${at}/type: required, missing`);
          }
          break;
        case 'oneOf':
        case 'anyOf':
          lines.push(`${at}: ${e.message ?? 'is invalid'}, got ${shown(value)}`);
          break;
        default:
          lines.push(`${at}: ${e.message ?? 'is invalid'}${value === undefined ? '' : `, got ${shown(value)}`}`);
      }
    }
  }
  return [...new Set(lines)];
}
