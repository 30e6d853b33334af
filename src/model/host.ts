/**
 * Starting the model host (docs/native.md, "Thread model"): on the tensorflow backend a pool's
 * worker threads do the record work (read, decode, key, write) on every core, and one more
 * thread owns the process's one TensorFlow runtime and runs their batches. One host per backend
 * serves every pool of the process (two tensorflow hosts would be two runtimes); each pool whose
 * layout puts its model in the host (threads.ts: tensorflow, or wasm and cpu with one worker)
 * holds it, names it in its threads' `workerData.modelHost`, and lets go of it when the pool
 * ends. The host stops when the last pool lets go.
 */
import { randomUUID } from 'node:crypto';
import { BroadcastChannel, Worker } from 'node:worker_threads';
import type { LoadedConfig } from '../config/load.js';
import { holdNativeAddon } from './native.js';
import { configLayout, modelBackend } from './threads.js';

export interface ModelHost {
  /** The host's channel name, for the pool's `workerData.modelHost`. */
  readonly name: string;
  /**
   * Replaces the host thread by a fresh one of the same name, after a model call hung in it
   * (the engine has ended the worker whose call it was). Other workers' calls cut off are
   * made again on the new host: they lose no records (host-client.ts).
   */
  restart(): Promise<void>;
  /** Lets go of the host (after the pool's threads are stopped); the last to let go stops it. */
  close(): Promise<void>;
}

interface Running {
  name: string;
  /** The backend the host thread runs its models on. */
  backend: string;
  thread: Worker;
  holders: number;
  closing: boolean;
  /** The host's channel, as the main thread hears it: says `gone` when the host dies. */
  notify: BroadcastChannel;
  /** Tells the workers that the host died. */
  gone: (why: string) => void;
  /** A restart under way (see restart). */
  restarting: Promise<void> | null;
}

/** The process's host thread of each backend. */
const running = new Map<string, Running>();

/** A host thread serving the channel `name`, running models on `backend`. */
function spawn(name: string, backend: string): Worker {
  const thread = new Worker(new URL('./host-entry.cjs', import.meta.url), { workerData: { name, backend } });
  thread.unref();
  return thread;
}

/** How long a hung host thread gets to end before its replacement starts anyway. */
const TERMINATE_WAIT_MS = 2000;

function start(backend: string): Running {
  const name = `sluice-model-host-${process.pid}-${randomUUID()}`;
  const thread = spawn(name, backend);
  // After the host starts loading TensorFlow, not before: the two loads wait for each other
  // (the dynamic loader's lock) instead of one after the other, and the host cannot be stopped
  // in between, since stopping it is this thread's to do (see holdNativeAddon: ~0.4 s sooner).
  if (backend === 'tensorflow') holdNativeAddon();
  const host: Running = { name, backend, thread, holders: 0, closing: false, notify: new BroadcastChannel(name), gone: () => undefined, restarting: null };
  host.notify.unref();
  // When the host dies, every worker connected to it is told, and so is any that says hello
  // later (a thread replacing a dead one): their calls fail instead of waiting for ever.
  let reason: string | null = null;
  const gone = (why: string) => {
    if (host.closing || reason !== null) return;
    reason = why;
    if (running.get(host.backend) === host) running.delete(host.backend); // the next pool starts a new one
    host.notify.postMessage({ gone: reason });
  };
  host.notify.onmessage = (event) => {
    if (reason !== null && typeof ((event as MessageEvent).data as { hello?: unknown })?.hello === 'number') host.notify.postMessage({ gone: reason });
  };
  watch(host, thread, gone);
  return host;
}

/** Host threads ended on purpose (replaced after a hang): their exit is not the host dying. */
const retired = new WeakSet<Worker>();

/** Tells the workers when `thread` dies (not when it is replaced, or closed with its host). */
function watch(host: Running, thread: Worker, gone: (why: string) => void): void {
  thread.on('error', (err) => !retired.has(thread) && gone(err.message.split('\n')[0]!));
  thread.on('exit', (code) => !retired.has(thread) && gone(`exit code ${code}`));
  host.gone = gone;
}

/** Ends the host thread and starts a fresh one of the same name; restarts asked for meanwhile share it. */
function restart(host: Running): Promise<void> {
  if (host.closing) return Promise.resolve();
  host.restarting ??= (async () => {
    const old = host.thread;
    retired.add(old);
    // The old runtime goes before the new one starts (never two at once). A thread stuck in a
    // JavaScript loop ends at once; one stuck in a native call ends when the call returns, if
    // ever: its replacement does not wait for it longer than TERMINATE_WAIT_MS.
    await Promise.race([old.terminate(), new Promise((resolve) => setTimeout(resolve, TERMINATE_WAIT_MS).unref())]);
    if (host.closing) return;
    host.thread = spawn(host.name, host.backend);
    watch(host, host.thread, host.gone);
    // Calls in flight to the old thread are cut off and made again on the new one (host-client.ts).
    host.notify.postMessage({ restarted: true });
  })().finally(() => (host.restarting = null));
  return host.restarting;
}

/**
 * The model host for a pool of `workers` threads running `loaded`, or null when its layout runs
 * the model in each worker (threads.ts: wasm and cpu with more than one worker, or a model stage
 * of a user module). The host loads no model until a worker asks.
 *
 * @example
 * const host = modelHostFor(loaded, 1); // tensorflow, or one worker on wasm: the process's host thread
 * new Piscina({ …, workerData: { loaded, modelHost: host?.name } });
 */
export function modelHostFor(loaded: LoadedConfig, workers: number): ModelHost | null {
  const config = loaded.config as unknown as Record<string, unknown>;
  if (!configLayout(config, workers).host) return null;
  const backend = modelBackend(config);
  let host = running.get(backend);
  if (!host) running.set(backend, (host = start(backend)));
  host.holders++;
  let closed = false;
  return {
    name: host.name,
    restart: () => restart(host),
    async close() {
      if (closed) return;
      closed = true;
      if (--host.holders > 0) return;
      host.closing = true;
      if (running.get(backend) === host) running.delete(backend);
      host.notify.close();
      await host.thread.terminate();
    },
  };
}

/**
 * `pool`, whose `destroy()` also lets go of `host` once the pool's threads are stopped:
 * whoever ends the pool ends its hold on the host; a pool without a host is returned as it is.
 */
export function withHost<P extends { destroy(): Promise<void> }>(pool: P, host: ModelHost | null): P & HostedPool {
  if (!host) return pool;
  (pool as P & HostedPool).restartModelHost = () => host.restart();
  const destroy = pool.destroy.bind(pool);
  pool.destroy = async () => {
    try {
      await destroy();
    } finally {
      await host.close();
    }
  };
  return pool as P & HostedPool;
}

/** A pool whose model runs in the model host: a call that hung there needs the host restarted. */
export interface HostedPool {
  restartModelHost?(): Promise<void>;
}
