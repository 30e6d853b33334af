/**
 * The chain's shape, written once: each stage slot of a pipeline config (its key), the kind of
 * stage it holds, and how many (its arity). Validation, the plugin loader, the graph builder and
 * planning walk a config through `slotEntries`, so none restates the chain.
 */
import type { StageKind } from './types.js';

/** `one`: exactly one stage; `list`: zero or more; `one-or-list`: one, or a list of them. */
export type Arity = 'one' | 'list' | 'one-or-list';

export interface Slot {
  key: 'source' | 'decode' | 'key' | 'model' | 'post' | 'sink' | 'errors';
  kind: StageKind;
  arity: Arity;
}

/** The slots in chain order (`key` and `errors` get defaults when left out; see config/validate.ts). */
export const SLOTS: readonly Slot[] = [
  { key: 'source', kind: 'source', arity: 'one' },
  { key: 'decode', kind: 'decode', arity: 'one' },
  { key: 'key', kind: 'key', arity: 'one' },
  { key: 'model', kind: 'model', arity: 'one' },
  { key: 'post', kind: 'post', arity: 'list' },
  { key: 'sink', kind: 'sink', arity: 'one-or-list' },
  { key: 'errors', kind: 'sink', arity: 'one' },
];

/** One stage config found in a slot: where it is (JSON path), which slot and kind, its value. */
export interface SlotEntry {
  path: string;
  slot: Slot;
  kind: StageKind;
  value: unknown;
}

/**
 * Every stage config of `config` (raw or validated) in chain order, with its JSON path: `/post/1`,
 * `/sink` for a single sink and `/sink/0` for a list. Absent slots give nothing.
 *
 * @example
 * slotEntries({ source: {…}, post: [{…}], sink: {…} }).map((e) => e.path) // ['/source', '/post/0', '/sink']
 */
export function slotEntries(config: Record<string, unknown>): SlotEntry[] {
  const out: SlotEntry[] = [];
  for (const slot of SLOTS) {
    const value = config[slot.key];
    if (value === undefined) continue;
    if (Array.isArray(value) && slot.arity !== 'one') value.forEach((v, i) => out.push({ path: `/${slot.key}/${i}`, slot, kind: slot.kind, value: v }));
    else out.push({ path: `/${slot.key}`, slot, kind: slot.kind, value });
  }
  return out;
}
