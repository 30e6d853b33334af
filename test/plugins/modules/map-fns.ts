// User functions for post/map tests.
import type { MapFunction } from '../../../src/index.js';

/** {class, score} → "class:score×args.scale" */
export const label: MapFunction = (p, { args }) => {
  const { class: c, score } = p as { class: string; score: number };
  return `${c}:${Math.round(score * Number(args.scale ?? 1))}`;
};

/** Async; rejects for keys ending in 7. */
export const slowly: MapFunction = async (p, { key }) => {
  await new Promise((r) => setTimeout(r, 1));
  if (String(key).endsWith('7')) throw new Error(`no luck for ${key}`);
  return p;
};

/** Returns nothing: a user bug that must become a Failure. */
export const forgetful = (() => undefined) as unknown as MapFunction;

export const notAFunction = 42;
