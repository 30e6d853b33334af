/**
 * The one bisection that keeps a failure to the record that causes it, for every stage: a batch
 * that fails is tried again in halves, recursively, down to single records, and only a record
 * that fails on its own gets a failure result. Used by `isolateRecords` (one-to-one stages) and
 * the model stage (batches).
 */

export interface Bisection<T, R> {
  /** Processes a batch; a throw means some item of it failed. */
  run(items: T[]): Promise<R[]>;
  /** The result for one item that failed alone (it may throw instead). */
  alone(item: T, err: unknown): R;
  /** An error that is no item's fault (out of memory): rethrown as it is, never split. */
  rethrow?(err: unknown): boolean;
  /** Told before each split (a failed batch about to be tried as two halves). */
  onSplit?(): void;
}

/**
 * `b.run(items)`, bisecting when it throws. Healthy batches pay nothing: one call. A batch where
 * every item fails costs 2n-1 calls — bounded, never a loop. Halves run one after the other, and
 * results keep the batch's order.
 *
 * @example
 * await bisect([1, 2, 3], { run: async (xs) => xs.map((x) => { if (x === 2) throw new Error('two'); return x; }), alone: () => 0 }) // [1, 0, 3]
 */
export async function bisect<T, R>(items: T[], b: Bisection<T, R>): Promise<R[]> {
  try {
    return await b.run(items);
  } catch (err) {
    return bisectFailed(items, err, b);
  }
}

/** What `bisect` does once `items` failed with `err` (for callers that made the first call themselves). */
export async function bisectFailed<T, R>(items: T[], err: unknown, b: Bisection<T, R>): Promise<R[]> {
  if (b.rethrow?.(err)) throw err;
  if (items.length === 1) return [b.alone(items[0]!, err)];
  const mid = Math.ceil(items.length / 2);
  b.onSplit?.();
  const left = await bisect(items.slice(0, mid), b);
  return left.concat(await bisect(items.slice(mid), b));
}
