/**
 * Starts real local object-store servers for tests (see object-server-process.ts) on free
 * loopback ports, and makes buckets and pipeline settings for them.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { s3ClientConfig } from '../../src/storage/s3.js';
import type { GcsSettings, S3Settings } from '../../src/storage/types.js';

const SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), 'object-server-process.js');

/** Credentials s3rver accepts (its built-in account): test values, not secrets. */
export const S3RVER_ENV = { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', AWS_REGION: 'us-east-1' };

/** What the proxy in front of a server saw and did. */
export interface ProxyStats {
  requests: number;
  /** 503s injected. */
  faults: number;
  /** S3 AbortMultipartUpload requests (answered by the proxy: s3rver lacks them). */
  aborts: string[];
  /** GET requests by URL path. */
  gets: Record<string, number>;
}

export interface ObjectServer {
  kind: 's3' | 'gcs';
  endpoint: string;
  /** What the proxy in front did (requests, injected faults, S3 aborts, GETs by path). */
  stats(): Promise<ProxyStats>;
  stop(): Promise<void>;
}

/**
 * Starts a server (s3rver or the GCS emulator) in a child process, behind a fault-injecting proxy
 * when `faultEvery` > 0 (every n-th request answered 503).
 *
 * @example
 * const s3 = await startObjectServer('s3'); … await s3.stop();
 */
export async function startObjectServer(kind: 's3' | 'gcs', faultEvery = 0): Promise<ObjectServer> {
  const flags = kind === 's3' ? ['--openssl-legacy-provider'] : [];
  const child: ChildProcess = spawn(process.execPath, [...flags, SCRIPT, kind, String(faultEvery)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const line = await new Promise<string>((resolve, reject) => {
    const rl = createInterface({ input: child.stdout! });
    rl.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`${kind} server exited (${code}) before it was ready: ${stderr.slice(-500)}`)));
  });
  const { port } = JSON.parse(line) as { port: number };
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    kind,
    endpoint,
    async stats() {
      return (await (await fetch(`${endpoint}/__stats`)).json()) as ProxyStats;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill();
      }),
  };
}

/** The `storage.s3` settings for s3rver at `endpoint`. */
export function s3Settings(endpoint: string, extra: S3Settings = {}): S3Settings {
  return { endpoint, forcePathStyle: true, region: 'us-east-1', requestChecksumCalculation: 'WHEN_REQUIRED', ...extra };
}

/** The `storage.gcs` settings for the emulator at `endpoint`. */
export function gcsSettings(endpoint: string, extra: GcsSettings = {}): GcsSettings {
  return { apiEndpoint: endpoint, projectId: 'demo-sluice', ...extra };
}

/** Creates a bucket on s3rver (the GCS emulator creates buckets on first use). */
export async function createS3Bucket(endpoint: string, bucket: string): Promise<void> {
  const client = new S3Client({ ...s3ClientConfig(s3Settings(endpoint)), credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } });
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  client.destroy();
}
