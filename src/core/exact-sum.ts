/**
 * Exact, mergeable floating-point sums (Shewchuk's non-overlapping partials, as in Python's
 * `math.fsum`). A sum is kept as a short list of doubles whose exact real sum equals the exact
 * sum of every term added so far; `exactSumValue` rounds that once, correctly. So the value
 * depends only on the multiset of terms, not on their order nor on how they were split into
 * partitions and merged: merged partition sums equal a single pass bit for bit.
 *
 * Terms must be finite, and the running total must stay below ~1e308 (no overflow handling).
 *
 * @example
 * const s: number[] = [];
 * for (const x of [1e16, 1, -1e16]) addExact(s, x);
 * exactSumValue(s) // 1 (a plain loop gives 0)
 */

/** Adds the finite number `x` into `partials` (in place). */
export function addExact(partials: number[], x: number): void {
  let i = 0;
  for (let j = 0; j < partials.length; j++) {
    let y = partials[j]!;
    if (Math.abs(x) < Math.abs(y)) [x, y] = [y, x];
    // Two-sum: hi + lo is exactly x + y.
    const hi = x + y;
    const lo = y - (hi - x);
    if (lo !== 0) partials[i++] = lo;
    x = hi;
  }
  partials.length = i;
  partials.push(x);
}

/** Adds every partial of `b` into `a` (in place): `a` then holds the exact sum of both. */
export function mergeExact(a: number[], b: readonly number[]): void {
  for (const x of b) addExact(a, x);
}

/** The exact sum held by `partials`, correctly rounded to the nearest double (ties to even). */
export function exactSumValue(partials: readonly number[]): number {
  let n = partials.length;
  if (n === 0) return 0;
  let hi = partials[--n]!;
  let lo = 0;
  // Add from the largest partial down until the sum stops being exact.
  while (n > 0) {
    const x = hi;
    const y = partials[--n]!;
    hi = x + y;
    lo = y - (hi - x);
    if (lo !== 0) break;
  }
  // Round half-way cases correctly: when the rest has the same sign as `lo`, lo*2 decides.
  if (n > 0 && ((lo < 0 && partials[n - 1]! < 0) || (lo > 0 && partials[n - 1]! > 0))) {
    const y = lo * 2;
    const x = hi + y;
    if (y === x - hi) hi = x;
  }
  return hi;
}
