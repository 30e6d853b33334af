/**
 * A worker thread's side of the model host (docs/native.md, "Thread model"): a LoadedModel
 * whose `predict` packs the batch's features into columns, sends them to the host thread and
 * splits the output values the host answers per record, as a local model does. Bisection, timeouts,
 * out-of-memory halving and Failures stay in the worker's model stage, as for a local model.
 *
 * Threads meet through BroadcastChannels, which any thread of the process can open by name,
 * so no pool has to hand a port to each of its threads: the worker opens its own channel
 * (`<host>/<threadId>`), says hello on the host's channel until the host answers on it, and
 * from then on that channel has exactly two ends. The host's channel also carries `gone` when
 * the host thread dies, which fails every call in flight instead of leaving it waiting.
 */
import { BroadcastChannel, threadId, workerData } from 'node:worker_threads';
import type { KeyedInstance } from '../core/types.js';
import type { Storage } from '../storage/types.js';
import { predictFrom, recordProblem, type OutputValues } from './batch.js';
import { setTensorMeter } from '../core/tensors.js';
import { fromWire, ModelHostGone, packColumns, shareable, STORAGE_READS, toWire, type ModelRequest, type StorageRead, type WireError } from './host-wire.js';
import type { LoadedModel } from './load.js';

/** The model host this thread's pool started (its channel name), or null. */
export function modelHostName(): string | null {
  const name = (workerData as { modelHost?: unknown } | null)?.modelHost;
  return typeof name === 'string' ? name : null;
}

/** What the host answers when a model is loaded there. */
export interface HostedLoad {
  handle: number;
  model: Omit<LoadedModel, 'concurrentBatches' | 'recordProblem' | 'predict' | 'outputs' | 'dispose'>;
  /** The host's live tensors after the load (see HostedPrediction). */
  tensors: number;
}

/** The host's answer to a batch: its outputs' values, and the tensors alive in the host after it (the models' own). */
export interface HostedPrediction {
  outputs: OutputValues[];
  tensors: number;
}

type Reply = { id: number; result?: unknown; error?: WireError };
type Incoming = Reply & { welcome?: boolean; read?: number; load?: number; method?: StorageRead; args?: unknown[] };

/** A call cut off because the host was restarted (after a call hung in it): made again, not failed. */
class HostRestarted extends Error {}

const HELLO_EVERY_MS = 20;

/**
 * This thread's connection to one host. `epoch` counts the host threads it has met: when the
 * main thread restarts a hung host (`restarted` on the host's channel), calls in flight are cut
 * off with HostRestarted and the connection says hello again to the new host thread.
 */
class Connection {
  epoch = 0;
  private ready!: Promise<void>;
  private readonly own: BroadcastChannel;
  private readonly shared: BroadcastChannel;
  private readonly pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  private readonly storages = new Map<number, Storage>();
  private nextId = 0;
  private gone: ModelHostGone | null = null;
  private welcome: (() => void) | null = null;
  private failed: ((e: Error) => void) | null = null;

  constructor(host: string) {
    this.own = new BroadcastChannel(`${host}/${threadId}`);
    this.shared = new BroadcastChannel(host);
    this.own.unref();
    this.shared.unref();
    this.shared.onmessage = (event) => this.fromMain((event as MessageEvent).data as { gone?: string; restarted?: boolean });
    this.own.onmessage = (event) => this.fromHost((event as MessageEvent).data as Incoming);
    this.greet();
  }

  /** Says hello on the host's channel until the host answers on this thread's. */
  private greet(): void {
    // A restart before the last hello was answered: its waiters go on to wait for this one (call()).
    this.welcome?.();
    const hello = setInterval(() => this.shared.postMessage({ hello: threadId }), HELLO_EVERY_MS);
    hello.unref();
    this.shared.postMessage({ hello: threadId });
    this.ready = new Promise<void>((resolve, reject) => {
      this.welcome = () => (clearInterval(hello), resolve());
      this.failed = (err) => (clearInterval(hello), reject(err));
    });
    this.ready.catch(() => undefined);
  }

  private cutOff(err: Error): void {
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }

  private fromMain(data: { gone?: string; restarted?: boolean }): void {
    if (typeof data?.gone === 'string') {
      this.gone = new ModelHostGone(data.gone);
      this.failed?.(this.gone);
      this.cutOff(this.gone);
    } else if (data?.restarted && !this.gone) {
      this.epoch++;
      this.cutOff(new HostRestarted('the model host was restarted'));
      this.greet();
    } // else: another thread's hello
  }

  private fromHost(data: Incoming): void {
    if (data.read !== undefined) {
      // The host reading a file of the model it loads for this thread, through this thread's storage.
      const storage = this.storages.get(data.load!);
      const method = data.method!;
      const answer = storage && STORAGE_READS.includes(method)
        ? (storage[method] as (...a: unknown[]) => Promise<unknown>)(...data.args!)
        : Promise.reject(new Error(`no model load ${data.load} in this thread reads ${method}`));
      answer.then(
        (result) => this.own.postMessage({ read: data.read, result: shareable(result) }),
        (err) => this.own.postMessage({ read: data.read, error: toWire(err) }),
      );
      return;
    }
    if (data.welcome) return this.welcome?.();
    const p = this.pending.get(data.id);
    if (!p) return;
    this.pending.delete(data.id);
    if (data.error) p.reject(fromWire(data.error));
    else p.resolve(data.result);
  }

  /**
   * Calls the host once it has answered hello; `storage` answers the host's reads while the call
   * runs (a load). A call that belongs to host thread `epoch` (a predict by a handle that host
   * gave) throws HostRestarted instead of reaching a newer one.
   */
  async call(op: string, payload: Record<string, unknown>, storage?: Storage, epoch?: number): Promise<unknown> {
    for (;;) {
      if (this.gone) throw this.gone;
      const greeting = this.epoch;
      await this.ready;
      if (greeting === this.epoch) break;
    }
    if (epoch !== undefined && epoch !== this.epoch) throw new HostRestarted('the model host was restarted');
    const id = this.nextId++;
    if (storage) this.storages.set(id, storage);
    try {
      return await new Promise((resolve, reject) => {
        this.pending.set(id, { resolve, reject });
        this.own.postMessage({ id, op, ...payload });
      });
    } finally {
      this.storages.delete(id);
    }
  }
}

const connections = new Map<string, Connection>();

/**
 * The model of `request`, loaded in the host thread `host` (its files read through `storage`,
 * this thread's); null when the host could not run it on its backend (it then loads in this
 * thread, as without a host). After a restart of the host the model is loaded again, and the
 * batches cut off are predicted again: a restart costs a worker no records and no attempts.
 */
export async function hostedModel(host: string, request: ModelRequest, storage: Storage): Promise<LoadedModel | null> {
  let connection = connections.get(host);
  if (!connection) connections.set(host, (connection = new Connection(host)));
  const c = connection;
  let current: { epoch: number; loaded: Promise<HostedLoad | null> } | null = null;
  /** The model as loaded in the current host thread (loaded there first if need be), with that thread's epoch. */
  const loadedNow = async () => {
    if (current?.epoch !== c.epoch) current = { epoch: c.epoch, loaded: c.call('load', { request }, storage, c.epoch) as Promise<HostedLoad | null> };
    const { epoch, loaded } = current;
    return { epoch, loaded: await loaded };
  };
  /**
   * `work`, made again after each restart of the host. Restarts are bounded by the engine (one
   * per attempt ended for a hang, and a hung call is retried at most maxAttempts times), and a
   * call cut off by one is never its records' fault.
   */
  const retrying = async <T>(work: () => Promise<T>): Promise<T> => {
    for (;;) {
      try {
        return await work();
      } catch (err) {
        if (!(err instanceof HostRestarted)) throw err;
      }
    }
  };
  const first = (await retrying(loadedNow)).loaded;
  if (!first) return null;
  const { model } = first;
  // The tensors the model holds live in the host: this thread's leak checks and `liveTensors`
  // fact read the host's count, as of its last answer (core/tensors.ts).
  let hostTensors = first.tensors;
  setTensorMeter(() => hostTensors);
  let released = false;
  const outputs = (records: KeyedInstance[]) =>
    retrying(async () => {
      const { epoch, loaded } = await loadedNow();
      if (!loaded) throw new Error('the restarted model host could not load the model on its backend');
      const answer = (await c.call('predict', { handle: loaded.handle, count: records.length, columns: packColumns(model.bindings, records) }, undefined, epoch)) as HostedPrediction;
      hostTensors = answer.tensors;
      return answer.outputs;
    });
  return {
    ...model,
    concurrentBatches: 2,
    recordProblem: (record) => recordProblem(model.bindings, record),
    outputs,
    predict: predictFrom(outputs, model.outputNames),
    dispose() {
      if (released) return;
      released = true;
      void current?.loaded.then((l) => l && c.call('release', { handle: l.handle })).catch(() => undefined);
    },
  };
}
