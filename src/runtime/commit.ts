import { SluiceError } from '../core/errors.js';
import type { Counts, Json, Partition } from '../core/types.js';
import { joinUri, type Storage } from '../storage/index.js';
import type { PartitionResult } from './partition.js';
import { redact } from '../core/redact.js';

/** `_manifest/run.json`: which plan and config an output belongs to, and its partitions. */
export interface RunRecord {
  planFingerprint: string;
  configFingerprint: string;
  partitions: Partition[];
  createdAt: string;
}

/** `_manifest/p00007.json`: the commit point of partition 7, written after all its files. */
export interface ManifestEntry {
  id: number;
  source: string;
  start: number;
  end: number;
  counts: Counts;
  files: string[];
  /** The sinks' partition states (see `RowWriter.end`), by sink position; absent when none has one. */
  states?: (Json | null)[];
  committedAt: string;
  /** What the stages reported about this partition, by config path (see `StageReport`). */
  facts?: Record<string, Record<string, Json>>;
}

const pad = (n: number) => String(n).padStart(5, '0');

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
    /** Output directories; the first is the primary (manifest and the main `_SUCCESS`). */
    private readonly dirs: string[],
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
        const foreign = names.find((n) => n.startsWith('part-') || n === '_SUCCESS' || n === '_manifest');
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
    await this.storage.writeAtomic(joinUri(this.manifestDir, `p${pad(partition.id)}.json`), JSON.stringify(entry));
    return entry;
  }

  /** Removes what an abandoned attempt left under `_temporary/`. */
  async discard(result: Pick<PartitionResult, 'outputs'>): Promise<void> {
    await Promise.all(result.outputs.map((f) => this.storage.abortStaged(f.temp, f.final)));
  }

  /** Writes `_SUCCESS` (the run summary) into every output directory, the primary last. */
  async succeed(summary: unknown): Promise<void> {
    const text = redact(JSON.stringify(summary, null, 2)) + '\n';
    await this.removeTemporaries();
    for (const dir of [...this.dirs.slice(1), this.dirs[0]!]) await this.storage.writeAtomic(joinUri(dir, '_SUCCESS'), text);
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
        if (name.startsWith('part-') || name === '_SUCCESS' || name === '_manifest' || (name === '_temporary' && !keepTemporaries)) {
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
