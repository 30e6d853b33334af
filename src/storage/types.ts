/** The storage interface lives in the kernel (src/core/storage.ts), which every layer may import; the backends here implement it. */
export type { FileInfo, StorageBackend, Storage, StorageSettings, S3Settings, GcsSettings } from '../core/storage.js';
