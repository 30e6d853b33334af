/**
 * Staged outputs on S3: the commit is the completion of a multipart upload.
 *
 * Why this way: S3 has no rename, and CopyObject would write every byte twice. Instead a
 * partition's output is uploaded as the parts of a multipart upload *to its final key* while the
 * partition runs; an incomplete multipart upload is invisible (no GET or LIST shows it), and
 * CompleteMultipartUpload makes the whole object appear at once. The upload's id and its parts'
 * ETags are kept in a small record under `_temporary/` (`<staging>.s3-upload.json`), so the
 * coordinator can complete it later from another thread or process. A failed writer aborts its
 * upload; an abandoned one is aborted by `abortStaged` or when `_temporary/` is removed; a
 * crashed process leaves only an invisible incomplete upload (a bucket lifecycle rule
 * AbortIncompleteMultipartUpload reclaims its storage).
 */
import { Writable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  PutObjectCommand,
  UploadPartCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { isNotFound } from './errors.js';
import { parseObjectUri } from './object-store.js';
import { s3Error } from './s3-errors.js';

const MiB = 1024 * 1024;
/** Default part size: 8 MiB (S3's minimum is 5 MiB for every part but the last). */
export const DEFAULT_PART_SIZE = 8 * MiB;
const SUFFIX = '.s3-upload.json';

/** The key of the upload record of a staged output. */
export const stagingRecordKey = (stagingKey: string) => `${stagingKey}${SUFFIX}`;
/** True for the key of an upload record. */
export const isStagingRecord = (key: string) => key.endsWith(SUFFIX);

/** What completing a staged output needs: which upload, to which key, with which parts. */
interface UploadRecord {
  bucket: string;
  key: string;
  uploadId: string;
  parts: { PartNumber: number; ETag: string }[];
}

interface Target {
  bucket: string;
  key: string;
  uri: string;
}

/**
 * A Writable that uploads what it is given as the parts of a multipart upload to `target`,
 * `partSize` bytes each (memory: one part), and on finish uploads the last part (possibly empty:
 * an empty output is one empty part) and writes the upload record at `record`. It never completes
 * the upload: that is the commit. When destroyed with an error, it aborts the upload.
 */
export class S3StagedWriter extends Writable {
  private buffered: Buffer[] = [];
  private size = 0;
  private uploadId: string | undefined;
  private readonly parts: { PartNumber: number; ETag: string }[] = [];
  private recorded = false;
  /** The part upload in flight, if any: a destroy waits for it so that its upload can be aborted. */
  private pending: Promise<void> | undefined;

  constructor(
    private readonly client: S3Client,
    private readonly target: Target,
    private readonly record: { bucket: string; key: string },
    private readonly partSize = DEFAULT_PART_SIZE,
  ) {
    super({ highWaterMark: MiB });
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.buffered.push(chunk);
    this.size += chunk.length;
    if (this.size < this.partSize) return cb();
    // Backpressure: the next write waits until this part is uploaded.
    this.pending = this.flushPart();
    this.pending.then(() => cb(), cb);
  }

  override _final(cb: (err?: Error | null) => void): void {
    (async () => {
      await this.flushPart();
      if (this.parts.length === 0) await this.flushPart(true);
      const record: UploadRecord = { bucket: this.target.bucket, key: this.target.key, uploadId: this.uploadId!, parts: this.parts };
      try {
        await this.client.send(new PutObjectCommand({ Bucket: this.record.bucket, Key: this.record.key, Body: JSON.stringify(record), ContentType: 'application/json' }));
      } catch (err) {
        throw s3Error(err, `s3://${this.record.bucket}/${this.record.key}`);
      }
      this.recorded = true;
    })().then(() => cb(), cb);
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    // An abandoned attempt: nothing may ever complete this upload, so release its parts now (once
    // a part upload in flight, which may be the one that creates the upload, has settled).
    const abandon = async () => {
      await this.pending?.catch(() => undefined);
      if (this.uploadId && !this.recorded) await abortUpload(this.client, this.target.bucket, this.target.key, this.uploadId);
    };
    void abandon();
    this.buffered = [];
    cb(err);
  }

  /** Uploads the buffered bytes as the next part (when `force`, even an empty one). */
  private async flushPart(force = false): Promise<void> {
    if (this.size === 0 && !force) return;
    const body = Buffer.concat(this.buffered, this.size);
    this.buffered = [];
    this.size = 0;
    try {
      if (!this.uploadId) {
        const r = await this.client.send(new CreateMultipartUploadCommand({ Bucket: this.target.bucket, Key: this.target.key }));
        this.uploadId = r.UploadId!;
      }
      const PartNumber = this.parts.length + 1;
      const r = await this.client.send(
        new UploadPartCommand({ Bucket: this.target.bucket, Key: this.target.key, UploadId: this.uploadId, PartNumber, Body: body, ContentLength: body.length }),
      );
      this.parts.push({ PartNumber, ETag: r.ETag! });
    } catch (err) {
      throw s3Error(err, this.target.uri);
    }
  }
}

async function readRecord(client: S3Client, stagingUri: string): Promise<UploadRecord | undefined> {
  const at = parseObjectUri(stagingUri);
  try {
    const r = await client.send(new GetObjectCommand({ Bucket: at.bucket, Key: stagingRecordKey(at.key) }));
    return JSON.parse(await r.Body!.transformToString()) as UploadRecord;
  } catch (err) {
    const e = s3Error(err, stagingUri);
    if (isNotFound(e)) return undefined;
    throw e;
  }
}

async function deleteRecord(client: S3Client, stagingUri: string): Promise<void> {
  const at = parseObjectUri(stagingUri);
  try {
    await client.send(new DeleteObjectCommand({ Bucket: at.bucket, Key: stagingRecordKey(at.key) }));
  } catch (err) {
    throw s3Error(err, stagingUri);
  }
}

/** Best effort: a server without AbortMultipartUpload (s3rver) leaves an invisible upload behind. */
async function abortUpload(client: S3Client, bucket: string, key: string, uploadId: string): Promise<void> {
  try {
    await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId }));
  } catch {
    // Nothing visible depends on it: an incomplete upload is never listed or read.
  }
}

/**
 * The commit of a staged output: completes its multipart upload, so the object appears at
 * `final` whole and at once, then drops the record.
 */
export async function completeStagedUpload(client: S3Client, stagingUri: string, finalUri: string): Promise<void> {
  const record = await readRecord(client, stagingUri);
  if (!record) throw new Error(`${stagingUri}: no staged upload to commit (the attempt did not finish)`);
  const f = parseObjectUri(finalUri);
  if (record.bucket !== f.bucket || record.key !== f.key) {
    throw new Error(`${stagingUri}: the staged upload is for s3://${record.bucket}/${record.key}, not ${finalUri}`);
  }
  try {
    await client.send(
      new CompleteMultipartUploadCommand({ Bucket: record.bucket, Key: record.key, UploadId: record.uploadId, MultipartUpload: { Parts: record.parts } }),
    );
  } catch (err) {
    throw s3Error(err, finalUri);
  }
  await deleteRecord(client, stagingUri);
}

/** Abandons a staged output: aborts its upload (if it got that far) and drops its record. */
export async function abortStagedUpload(client: S3Client, stagingUri: string): Promise<void> {
  const record = await readRecord(client, stagingUri);
  if (!record) return;
  await abortUpload(client, record.bucket, record.key, record.uploadId);
  await deleteRecord(client, stagingUri);
}
