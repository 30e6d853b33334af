import { createHash } from 'node:crypto';
import type { StageContext } from './stage.js';
import type { Json } from './types.js';
import { RecordError } from './failure.js';
import { describeError, shown } from './errors.js';

/** The `labels` option of `topk` and `argmax`: the labels inline, or the URI of a labels file. */
export type LabelsOption = string | string[];

/**
 * JSON Schema of a `labels` option, shared so that every stage taking labels says the same.
 * One union type (not `oneOf`) so that a wrong value gives one clear line
 * ("must be a string or array, got 5") rather than one line per branch; not `nullable`, so
 * `null` is reported too. Typed loosely: ajv's `JSONSchemaType` cannot express this union.
 */
export const labelsSchema = {
  type: ['string', 'array'],
  items: { type: 'string' },
  minItems: 1,
  minLength: 1,
  description:
    'Class labels: a list of strings, or the URI of a file holding one label per line or a JSON array of strings (relative to the config file). Class i is labels[i].',
} as const;

/**
 * Parses the text of a labels file: JSON when it starts with `[` or `{` (it must be an array of
 * strings; an object is reported rather than read as a one-label file), else one label per line. Only trailing blank lines are dropped: a blank line inside the file is a
 * label, because dropping it would shift every later class index.
 *
 * @example
 * parseLabels('cat\ndog\n', 'labels.txt') // ['cat', 'dog']
 * parseLabels('["cat", "dog"]', 'labels.json') // ['cat', 'dog']
 */
export function parseLabels(text: string, file: string): string[] {
  const body = text.replace(/^\uFEFF/, '');
  if (/^\s*[[{]/.test(body)) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch (err) {
      throw new Error(`labels file ${file}: expected a JSON array of strings, got invalid JSON (${describeError(err)})`);
    }
    if (!Array.isArray(parsed)) throw new Error(`labels file ${file}: expected a JSON array of strings, got ${shown(parsed)}`);
    const bad = parsed.findIndex((l) => typeof l !== 'string');
    if (bad >= 0) throw new Error(`labels file ${file}: expected a JSON array of strings, got ${shown(parsed[bad])} at index ${bad}`);
    if (parsed.length === 0) throw new Error(`labels file ${file}: expected at least one label, got an empty array`);
    return parsed as string[];
  }
  const lines = body.split(/\r?\n/);
  while (lines.length > 0 && lines[lines.length - 1]!.trim() === '') lines.pop();
  if (lines.length === 0) throw new Error(`labels file ${file}: expected one label per line or a JSON array of strings, got an empty file`);
  return lines;
}

/**
 * The labels of a stage: the inline list as is, or the file read through `ctx.storage` and
 * parsed; undefined when no labels are configured. Rejects with one line naming the file when
 * it cannot be read or parsed, which fails the stage's `create`.
 *
 * @example
 * const labels = await loadLabels(options.labels, ctx); // ['cat', 'dog'] or undefined
 */
export async function loadLabels(labels: LabelsOption | null | undefined, ctx: StageContext): Promise<string[] | undefined> {
  if (labels === undefined || labels === null) return undefined;
  if (Array.isArray(labels)) return labels;
  const file = ctx.resolve(labels);
  let bytes: Uint8Array;
  try {
    bytes = await ctx.storage.readAll(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException)?.code === 'ENOENT') throw new Error(`labels file ${file} does not exist`, { cause: err });
    throw new Error(`labels file ${file} cannot be read: ${describeError(err)}`, { cause: err });
  }
  return parseLabels(Buffer.from(bytes).toString('utf8'), file);
}

/**
 * The config problems of a `labels` option, for a stage's `check`: a labels file that does not
 * exist or does not parse, one line each, prefixed with the option's JSON path.
 *
 * @example
 * await checkLabels('labels.txt', ctx) // ['/post/0/labels: labels file /abs/labels.txt does not exist']
 * await checkLabels(['a', 'b'], ctx) // ['/post/0/labels: 2 labels for the 3 classes of the model\'s output "dense_2" (its last axis); …']
 */
export async function checkLabels(labels: LabelsOption | null | undefined, ctx: StageContext): Promise<string[]> {
  if (labels === undefined || labels === null) return [];
  let list: string[] | undefined;
  if (typeof labels === 'string') {
    const file = ctx.resolve(labels);
    if (!(await ctx.storage.exists(file))) return [`${ctx.path}/labels: labels file ${file} does not exist`];
    try {
      list = await loadLabels(labels, ctx);
    } catch (err) {
      return [`${ctx.path}/labels: ${describeError(err)}`];
    }
  } else list = labels;
  // Fewer labels than the model's classes would fail every record whose best class has none.
  const outputs = (await ctx.outputs?.()) ?? [];
  return outputs
    .filter((o) => o.classes !== null && o.classes > list!.length)
    .map((o) => `${ctx.path}/labels: ${list!.length} label${list!.length === 1 ? '' : 's'} for the ${o.classes} classes of the model's output "${o.name}" (its last axis); give one label per class`);
}

/**
 * Facts about a labels file for the config fingerprint: its URI and the sha256 of its bytes, so
 * that resuming a run after the labels changed is refused like a changed model. Inline labels
 * are part of the config already.
 *
 * @example
 * await describeLabels('labels.txt', ctx) // { labels: '/abs/labels.txt', labelsSha256: '9f86…' }
 */
export async function describeLabels(labels: LabelsOption | null | undefined, ctx: StageContext): Promise<Record<string, Json>> {
  if (typeof labels !== 'string') return {};
  const file = ctx.resolve(labels);
  const bytes = await ctx.storage.readAll(file);
  return { labels: file, labelsSha256: createHash('sha256').update(bytes).digest('hex') };
}

/**
 * The class named by `index`: its label when labels are given, else the index itself. An index
 * beyond the labels is a record error (code `labels`), so the record becomes a Failure.
 *
 * @example
 * classOf(['cat', 'dog'], 1) // 'dog'
 * classOf(undefined, 1) // 1
 */
export function classOf(labels: readonly string[] | undefined, index: number): string | number {
  if (!labels) return index;
  if (index >= labels.length) throw new RecordError('labels', `class index ${index} has no label (labels has ${labels.length} entries)`);
  return labels[index]!;
}
