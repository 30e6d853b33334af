/** Checks of a Redis URL that need no Redis client (the CLI checks before importing ioredis). */

/**
 * Why `url` cannot be a Redis URL, or null: BullMQ/ioredis would otherwise throw a bare
 * "URI malformed" for a bad %-escape in the password (an "unexpected error", exit 1).
 *
 * @example
 * redisUrlProblem('redis://:p%zz@host:6379') // 'its user name or password holds a malformed %-escape (write % as %25)'
 */
export function redisUrlProblem(url: string): string | null {
  if (!/^rediss?:\/\//.test(url)) return 'must be a Redis URL (redis://host:6379 or rediss://…)';
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return 'is not a valid URL';
  }
  try {
    decodeURIComponent(u.username);
    decodeURIComponent(u.password);
  } catch {
    return 'its user name or password holds a malformed %-escape (write % as %25)';
  }
  return null;
}
