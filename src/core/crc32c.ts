/**
 * CRC32C for TFRecord framing. `@node-rs/crc32` computes it with the CPU's CRC32C instruction
 * (SSE4.2 / ARMv8) through a prebuilt binary that npm installs for the platform: ~100× faster
 * than table-driven JavaScript, which made checksums half of TFRecord read time. Where no
 * prebuilt binary loads (an unusual platform), `@aws-crypto/crc32c` (pure JS) gives the same values.
 */
import { createRequire } from 'node:module';
import { crc32c as crc32cJs } from '@aws-crypto/crc32c';

type Crc = (data: Uint8Array) => number;

function loadNative(): Crc | null {
  try {
    const { crc32c } = createRequire(import.meta.url)('@node-rs/crc32') as { crc32c(input: Uint8Array, initial?: number): number };
    return (data) => crc32c(data);
  } catch {
    return null;
  }
}

/** The CRC32C (Castagnoli) of `data` as an unsigned 32-bit integer. */
export const crc32c: Crc = loadNative() ?? ((data) => crc32cJs(data) >>> 0);
