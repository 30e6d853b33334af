/**
 * The Redis side of distributed runs: connection options for BullMQ, URLs safe to print, and a
 * watch that notices Redis going away (BullMQ itself reconnects forever, silently).
 */
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { SluiceError, describeError } from '../core/errors.js';

/** The BullMQ queue every coordinator and worker of one Redis shares. */
export const QUEUE_NAME = 'sluice';

/**
 * A Redis URL with its password masked, for messages and summaries (never print credentials).
 *
 * @example
 * printableUrl('redis://:s3cret@redis:6379/0') // 'redis://:***@redis:6379/0'
 */
export function printableUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString().replace(/\/$/, '');
  } catch {
    return '<an invalid URL>';
  }
}

/**
 * Connection options for BullMQ's Queue, QueueEvents and Worker. `maxRetriesPerRequest: null`
 * makes commands wait across reconnects (BullMQ requires it for workers); how long an outage
 * may last is decided by `RedisWatch`, not by ioredis.
 */
export function bullConnection(url: string): { url: string; maxRetriesPerRequest: null; retryStrategy: (times: number) => number } {
  return { url, maxRetriesPerRequest: null, retryStrategy: (times) => Math.min(100 * times, 1000) };
}

/** The reason in an ioredis error, short: "connect ECONNREFUSED 127.0.0.1:6390". */
function reason(err: unknown): string {
  const e = err as { code?: string; message?: string };
  return e?.message ? describeError(err) : String(e?.code ?? err);
}

/**
 * Pings Redis on its own connection every second and says when it has been unreachable for
 * longer than `timeoutMs`. Commands never wait on it (no offline queue), so a ping fails at
 * once while Redis is down.
 */
export class RedisWatch {
  private readonly client: Redis;
  private lastOk = Date.now();
  private lastError = 'no answer';
  private timer: NodeJS.Timeout | undefined;

  private constructor(private readonly url: string) {
    this.client = new Redis(url, {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      connectTimeout: 2000,
      retryStrategy: () => 500,
    });
    this.client.on('error', (err) => {
      this.lastError = reason(err);
    });
  }

  /**
   * Connects, waiting up to `timeoutMs` for Redis to answer (it may still be starting, e.g. in
   * Kubernetes); rejects with one line naming the URL and the reason.
   */
  static async connect(url: string, timeoutMs: number): Promise<RedisWatch> {
    const watch = new RedisWatch(url);
    const deadline = Date.now() + timeoutMs;
    watch.client.connect().catch(() => undefined); // failures surface through ping below
    while (!(await watch.ping())) {
      if (Date.now() >= deadline) {
        watch.close();
        throw new SluiceError('RUN_FAILED', `cannot reach Redis at ${printableUrl(url)}: ${watch.lastError} (waited ${seconds(timeoutMs)})`);
      }
      // Wait for the connection to come up (or 200 ms, then ask again).
      await Promise.race([once(watch.client, 'ready').catch(() => undefined), sleep(200)]);
    }
    return watch;
  }

  /** True when Redis answered a PING within 2 s. */
  async ping(): Promise<boolean> {
    try {
      // Unref'd: a pending timer must not keep a finished process alive.
      const late = sleep(2000, undefined, { ref: false }).then(() => Promise.reject(new Error('no answer to PING within 2 s')));
      await Promise.race([this.client.ping(), late]);
      this.lastOk = Date.now();
      return true;
    } catch (err) {
      if (this.client.status === 'ready') this.lastError = reason(err);
      return false;
    }
  }

  /**
   * Calls `onLost` once (with a one-line reason) when Redis has not answered for `timeoutMs`;
   * calls `onDown` on the first failed ping of an outage, so callers can say they are waiting.
   */
  watch(timeoutMs: number, onLost: (why: string) => void, onDown?: (why: string) => void): void {
    let down = false;
    this.timer = setInterval(() => {
      void this.ping().then((ok) => {
        if (ok) {
          down = false;
          return;
        }
        if (!down) onDown?.(this.lastError);
        down = true;
        if (Date.now() - this.lastOk > timeoutMs && this.timer) {
          clearInterval(this.timer);
          this.timer = undefined;
          onLost(`lost the connection to Redis at ${printableUrl(this.url)}: ${this.lastError} (unreachable for more than ${seconds(timeoutMs)})`);
        }
      });
    }, 1000);
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.client.disconnect();
  }
}

/**
 * Waits for `work`, but at most `ms`: for closing connections to a Redis that may be gone. The
 * timer is ref'd (the process stays up while it waits) and cleared as soon as `work` settles.
 */
export async function within(work: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([work.catch(() => undefined), new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}

function seconds(ms: number): string {
  return `${+(ms / 1000).toFixed(1)} s`;
}
