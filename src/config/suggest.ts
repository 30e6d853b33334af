import { distance } from 'fastest-levenshtein';

/**
 * The known word closest to a misspelt one, when it is close enough to be what was meant:
 * at most a third of the word's length in edits, and at least two (a swap of two letters is two
 * edits), so `modle` → `model`, `jsnol` → `jsonl`, `wsam` → `wasm`; a difference of case only
 * (`batchsize` → `batchSize`) always counts; a prefix of three letters or more too (`float` →
 * `float32`). Null when nothing is that close.
 *
 * @example
 * closestWord('modle', ['name', 'source', 'model']) // 'model'
 */
export function closestWord(word: string, known: readonly string[]): string | null {
  let best: string | null = null;
  let bestDistance = Infinity;
  const w = word.toLowerCase();
  const candidates = known.filter((k) => k !== word);
  for (const k of candidates) {
    const d = distance(w, k.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [k, d];
  }
  const limit = w.length <= 3 ? 1 : Math.max(2, Math.ceil(w.length / 3));
  if (best !== null && bestDistance <= limit) return best;
  // float → float32: a prefix of a known word is a likely abbreviation.
  return (w.length >= 3 && candidates.find((k) => k.toLowerCase().startsWith(w))) || null;
}

/** `; did you mean "model"?` or the empty string. */
export function didYouMean(word: unknown, known: readonly string[]): string {
  if (typeof word !== 'string') return '';
  const best = closestWord(word, known);
  return best ? `; did you mean ${JSON.stringify(best)}?` : '';
}
