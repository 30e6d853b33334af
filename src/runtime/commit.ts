import { SluiceError } from '../core/errors.js';
import type { Json, Partition } from '../core/types.js';
import { joinUri, type Storage } from '../storage/index.js';
import { isPartFile, type PartitionResult } from './partition.js';
import { describeHolder, leaseUri, readLease } from './lease.js';
import { NO_SINK_COMMITS, type SinkCommits } from './sink-commits.js';
import { manifestEntryName, manifestEntryUri, type ManifestEntry, type RunRecord } from './manifest.js';
import { redact } from '../core/redact.js';

export { manifestEntryName, manifestEntryUri, partitionWhere, runKeyOf, type ManifestEntry, type RunRecord } from './manifest.js';

/**
 * What the committer asks before every commit and before `_SUCCESS`: does this run still own
 * the output? A run holds an `OutputLease` (lease.ts); a distributed worker commits under its
 * coordinator's lease (`coordinatorLease`).
 */
export interface Ownership {
  /** Throws a SluiceError when the output is no longer this run's. */
  check(): Promise<void>;
}

/** The ownership of a distributed worker: the output's lease must be held by a run of `runKey`. */
export function coordinatorLease(storage: Storage, primaryOutput: string, runKey: string): Ownership {
  return {
    async check() {
      const lease = await readLease(storage, leaseUri(primaryOutput));
      if (lease?.runKey === runKey) return;
      throw new SluiceError(
        'LEASE_LOST',
        lease
          ? `${primaryOutput} is now held by ${describeHolder(lease)}, not by this job's coordinator`
          : `${primaryOutput} is held by no run (its coordinator ended or the output was removed)`,
      );
    },
  };
}

/**
 * The commit protocol over every output directory of a run. Attempts stage their files under
 * `_temporary/` (`Storage.stage`); a partition is committed by making its files visible under
 * their `part-…` names (`Storage.commitStaged`: a rename, or an object store's own atomic step)
 * and then writing its manifest entry (the commit point) in the primary sink's `_manifest/`.
 * `_SUCCESS` is written last. A rerun over the same output resumes; another plan or config is
 * refused unless `overwrite`.
 */
export class OutputCommitter {
  private readonly manifestDir: string;

  constructor(
    private readonly storage: Storage,
    /** Output directories; the first is the primary (manifest, lease and the main `_SUCCESS`). */
    private readonly dirs: string[],
    /** Checked before every commit and before `_SUCCESS`. */
    private readonly owner: Ownership,
    /** The sinks' `commit`/`abort` hooks (sink-commits.ts). */
    private readonly sinks: SinkCommits = NO_SINK_COMMITS,
  ) {
    this.manifestDir = joinUri(dirs[0]!, '_manifest');
  }

  /**
   * Makes the output ready for this run and returns the run record to use (the stored one
   * when resuming, so the same cut points are reused) and the committed entries.
   */
  async prepare(
    fresh: RunRecord,
    overwrite: boolean,
    /**
     * Distributed runs (src/distributed/): workers on other machines may be writing attempts
     * under `_temporary/` right now (a coordinator restart), so leave them alone.
     */
    options: { keepTemporaries?: boolean } = {},
  ): Promise<{ record: RunRecord; committed: Map<number, ManifestEntry> }> {
    const keep = options.keepTemporaries ?? false;
    const stored = await this.readJson<RunRecord>(joinUri(this.manifestDir, 'run.json'));
    if (overwrite) {
      await this.clear(keep);
    } else if (stored && (await this.readManifest()).size === 0 && !(await this.succeeded())) {
      // A run that failed before committing anything must not block a rerun, even a changed one.
      await this.clear(keep);
    } else if (stored) {
      if (stored.planFingerprint !== fresh.planFingerprint || stored.configFingerprint !== fresh.configFingerprint) {
        const what = stored.planFingerprint !== fresh.planFingerprint ? 'the input files changed' : 'the config or model changed';
        throw new SluiceError(
          'OUTPUT_CONFLICT',
          `${this.dirs[0]} holds the output of another run (${what} since it was written); rerun with --overwrite to replace it`,
        );
      }
      if (!keep) await this.removeTemporaries();
      return { record: stored, committed: await this.readManifest() };
    } else {
      for (const dir of this.dirs) {
        const names = await this.storage.children(dir);
        const foreign = names.find((n) => isPartFile(n) || n === '_SUCCESS' || n === '_manifest');
        if (foreign) {
          throw new SluiceError('OUTPUT_CONFLICT', `${dir} already holds output (${foreign}) that this run did not write; rerun with --overwrite to replace it`);
        }
      }
      if (!keep) await this.removeTemporaries();
    }
    await this.storage.writeAtomic(joinUri(this.manifestDir, 'run.json'), JSON.stringify(fresh, null, 2));
    return { record: fresh, committed: new Map() };
  }

  /** Commits one partition: makes its staged files visible under their `part-` names, then writes its manifest entry. */
  async commit(partition: Partition, result: PartitionResult): Promise<ManifestEntry> {
    await this.owner.check();
    for (const f of result.outputs) await this.storage.commitStaged(f.temp, f.final);
    const entry: ManifestEntry = {
      id: partition.id,
      source: partition.source,
      start: partition.start,
      end: partition.end,
      counts: result.counts,
      files: result.outputs.map((f) => f.final),
      ...(result.states.some((s) => s !== null) && { states: result.states }),
      committedAt: new Date().toISOString(),
      ...(result.facts && Object.keys(result.facts).length ? { facts: result.facts } : {}),
    };
    if (!this.sinks.any) {
      await this.storage.writeAtomic(manifestEntryUri(this.dirs[0]!, partition.id), JSON.stringify(entry));
      return entry;
    }
    await this.storage.writeAtomic(manifestEntryUri(this.dirs[0]!, partition.id), JSON.stringify({ ...entry, published: false }));
    return this.publish(partition, entry);
  }

  /** Runs the sinks' `commit` hooks of a committed entry, then records that they ran. */
  private async publish(partition: Partition, entry: ManifestEntry): Promise<ManifestEntry> {
    await this.sinks.commit(partition, entry.states ?? []);
    const { published: _, ...done } = entry;
    await this.storage.writeAtomic(manifestEntryUri(this.dirs[0]!, partition.id), JSON.stringify(done));
    return done;
  }

  /**
   * Publishes the committed partitions whose sink `commit` hooks did not all run (an earlier run
   * stopped in between); updates `committed` in place. Call after `prepare`.
   */
  async publishPending(partitions: Partition[], committed: Map<number, ManifestEntry>): Promise<void> {
    for (const [id, entry] of committed) {
      if (entry.published !== false) continue;
      await this.owner.check();
      const partition = partitions.find((p) => p.id === id);
      if (partition) committed.set(id, await this.publish(partition, entry));
    }
  }

  /** The committed entry of a partition, or undefined. */
  entry(partitionId: number): Promise<ManifestEntry | undefined> {
    return this.readJson<ManifestEntry>(manifestEntryUri(this.dirs[0]!, partitionId));
  }

  /** The run record (`_manifest/run.json`), or undefined. */
  runRecord(): Promise<RunRecord | undefined> {
    return this.readJson<RunRecord>(joinUri(this.manifestDir, 'run.json'));
  }

  /** Ids of the partitions of `partitions` that have no manifest entry (storage is the truth, not messages). */
  async missing(partitions: Partition[]): Promise<Partition[]> {
    const present = new Set(await this.storage.children(this.manifestDir));
    return partitions.filter((p) => !present.has(manifestEntryName(p.id)));
  }

  /** Drops an attempt that ended but will not be committed: the sinks' `abort`, then what it left under `_temporary/`. */
  async discard(partition: Partition, result: Pick<PartitionResult, 'outputs' | 'states'>): Promise<void> {
    await this.sinks.abort(partition, result.states);
    await Promise.all(result.outputs.map((f) => this.storage.abortStaged(f.temp, f.final)));
  }

  /** Writes `_SUCCESS` (the run summary) into every output directory, the primary last. */
  async succeed(summary: unknown): Promise<void> {
    const text = redact(JSON.stringify(summary, null, 2)) + '\n';
    await this.owner.check();
    await this.removeTemporaries();
    const written: string[] = [];
    try {
      for (const dir of [...this.dirs.slice(1), this.dirs[0]!]) {
        const uri = joinUri(dir, '_SUCCESS');
        await this.storage.writeAtomic(uri, text);
        written.push(uri);
      }
    } catch (err) {
      // The run failed at its last step (a full disk): no output may claim success.
      await Promise.all(written.map((uri) => this.storage.remove(uri).catch(() => undefined)));
      throw err;
    }
  }

  /** True when `_SUCCESS` exists in the primary directory. */
  succeeded(): Promise<boolean> {
    return this.storage.exists(joinUri(this.dirs[0]!, '_SUCCESS'));
  }

  private async readManifest(): Promise<Map<number, ManifestEntry>> {
    const out = new Map<number, ManifestEntry>();
    for (const name of await this.storage.children(this.manifestDir)) {
      if (!/^p\d+\.json$/.test(name)) continue;
      const entry = await this.readJson<ManifestEntry>(joinUri(this.manifestDir, name));
      if (entry) out.set(entry.id, entry);
    }
    return out;
  }

  private async clear(keepTemporaries = false): Promise<void> {
    for (const dir of this.dirs) {
      for (const name of await this.storage.children(dir)) {
        if (isPartFile(name) || name === '_SUCCESS' || name === '_manifest' || (name === '_temporary' && !keepTemporaries)) {
          await this.storage.remove(joinUri(dir, name), { recursive: true });
        }
      }
    }
  }

  /** Removes every attempt's leftovers under `_temporary/` (a stopped run leaves nothing behind). */
  async removeTemporaries(): Promise<void> {
    await Promise.all(this.dirs.map((d) => this.storage.remove(joinUri(d, '_temporary'), { recursive: true })));
  }

  private async readJson<T>(uri: string): Promise<T | undefined> {
    if (!(await this.storage.exists(uri))) return undefined;
    return JSON.parse(Buffer.from(await this.storage.readAll(uri)).toString('utf8')) as T;
  }
}
