/**
 * `work`, or a rejection with `onTimeout()` when it has not settled within `ms`. The work itself
 * is not cancelled (a read that never completes cannot be); the caller stops waiting for it.
 *
 * @example
 * await withTimeout(readModelJson(storage, uri), 60_000, () => new Error('model did not load within 60000 ms'));
 */
export function withTimeout<T>(work: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), ms);
    // The limit alone must not keep a process alive that has nothing else left to do.
    timer.unref();
  });
  return Promise.race([work, limit]).finally(() => clearTimeout(timer));
}
