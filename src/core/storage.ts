import type { Readable, Writable } from 'node:stream';

/** One listed object: its URI, size and a version stamp (mtime or etag) for fingerprints. */
export interface FileInfo {
  uri: string;
  size: number;
  mtimeMs: number;
  etag?: string;
}

/**
 * The one interface every URI scheme implements: local paths and `file://` (local.ts),
 * `s3://` (s3.ts) and `gs://` (gcs.ts). Models, sources, sinks and commits all go through it.
 */
export interface StorageBackend {
  /** URI schemes served, e.g. `['file']`. */
  schemes: string[];
  /**
   * A file, a directory's files (not recursive, skipping `_*` and `.*`), or a glob (picomatch
   * semantics, `**` allowed, names starting with `_` or `.` skipped); sorted by URI.
   */
  list(pattern: string): Promise<FileInfo[]>;
  /** Size and version of one object; rejects with code ENOENT when it does not exist. */
  stat(uri: string): Promise<FileInfo>;
  exists(uri: string): Promise<boolean>;
  /** Bytes [start, end) of an object as a stream (whole object when omitted). */
  read(uri: string, range?: { start: number; end: number }): Readable;
  readAll(uri: string): Promise<Uint8Array>;
  /** A stream that writes the object; the object is complete when the stream finishes (not atomic). */
  createWriteStream(uri: string): Writable;
  /** Writes an object whole, atomically: a reader sees the old object or the new one, never a part. */
  writeAtomic(uri: string, data: string | Uint8Array): Promise<void>;
  /**
   * Writes an object whole only when nothing exists at `uri`, in one atomic step: true when this
   * call created it, false when an object was already there (and is left as it is). Two callers
   * racing on one URI: exactly one gets true. Local: a hard link of a finished temporary file
   * (link(2) fails on an existing name); S3: a PUT with `If-None-Match: *`; GCS: an upload with
   * `ifGenerationMatch: 0`. Output leases are built on it (src/runtime/lease.ts).
   */
  createExclusive(uri: string, data: string | Uint8Array): Promise<boolean>;
  /**
   * Opens an output that becomes visible at `final` only when `commitStaged(staging, final)` runs:
   * the first half of the commit protocol. `staging` (a URI under `_temporary/`, never a `part-`
   * name) is where the backend keeps what the commit needs, so the commit may run in another
   * thread (or process) than the write. The backend decides how: local files are written at
   * `staging` and renamed; S3 uploads the parts of a multipart upload to `final` and completes it
   * at commit; GCS uploads the bytes to `staging` and copies them to `final` in one request at
   * commit. Destroying the stream abandons the output.
   */
  stage(staging: string, final: string): Writable;
  /** Makes a finished staged output visible at `final` in one step, and drops its staging state. */
  commitStaged(staging: string, final: string): Promise<void>;
  /** Drops a staged output (finished or not): nothing becomes visible at `final`. Missing is not an error. */
  abortStaged(staging: string, final: string): Promise<void>;
  /**
   * Removes an object, or also everything under a prefix when `recursive` (including the state
   * of staged outputs kept there). Missing is not an error.
   */
  remove(uri: string, options?: { recursive?: boolean }): Promise<void>;
  /** Names directly under a directory/prefix (files and folders), sorted; [] when absent. */
  children(uri: string): Promise<string[]>;
}

/** What stages and the runtime see: the backends behind one object, dispatched by scheme. */
export type Storage = StorageBackend;

/**
 * The pipeline config's optional `storage` section: settings of the object-store clients. Every
 * field is optional; unset ones come from the standard environment (AWS_REGION,
 * AWS_ENDPOINT_URL, AWS_PROFILE …, STORAGE_EMULATOR_HOST, GOOGLE_APPLICATION_CREDENTIALS …).
 * Credentials are never set here: they come from each SDK's own credential chain.
 */
export interface StorageSettings {
  s3?: S3Settings;
  gcs?: GcsSettings;
}

export interface S3Settings {
  /** Endpoint of an S3-compatible server, e.g. `http://127.0.0.1:9000`. */
  endpoint?: string;
  /** Path-style addressing (`http://host/bucket/key`), which most S3-compatible servers need. */
  forcePathStyle?: boolean;
  region?: string;
  /** Attempts per request (SDK standard retry: exponential backoff with jitter on throttling and 5xx). */
  maxAttempts?: number;
  /** `WHEN_REQUIRED` for servers that do not understand the SDK's default request checksums. */
  requestChecksumCalculation?: 'WHEN_SUPPORTED' | 'WHEN_REQUIRED';
  /** Size of each part of a multipart upload, in bytes (at least 5 MiB). */
  partSize?: number;
}

export interface GcsSettings {
  /** API endpoint, e.g. an emulator at `http://127.0.0.1:9199`. */
  apiEndpoint?: string;
  projectId?: string;
  /** Attempts per request (the client's retries with exponential backoff on 408/429/5xx). */
  maxAttempts?: number;
}
