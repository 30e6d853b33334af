/** Real images for the image tests: the demo photographs and PNGs of @vladmandic/face-api (MIT). */
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import pngjs from 'pngjs';
import type { RawRecord } from '../../src/core/types.js';

/** The package's `demo/` folder, found from its entry point (it exports no package.json). */
export function faceApiDemo(name = ''): string {
  let dir = path.dirname(createRequire(import.meta.url).resolve('@vladmandic/face-api'));
  while (!fs.existsSync(path.join(dir, 'demo', 'sample1.jpg'))) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error('@vladmandic/face-api: no demo/ folder above its entry point');
    dir = up;
  }
  return path.join(dir, 'demo', name);
}

/** A RawRecord holding the bytes of a file, as source `files` emits it. */
export function fileRecordOf(bytes: Uint8Array, name: string, index = 0): RawRecord {
  return { source: `photos/${name}`, index, offset: 0, raw: bytes, fields: { path: `photos/${name}`, name, size: bytes.byteLength } };
}

/**
 * A PNG written by pngjs from RGBA pixels (`colorType` 0 gray, 2 RGB, 4 gray+alpha, 6 RGBA;
 * `bitDepth` 8 or 16), so a test knows every pixel it should decode to.
 */
export function makePng(width: number, height: number, rgba: Uint8Array, options: { colorType?: 0 | 2 | 4 | 6; bitDepth?: 8 | 16 } = {}): Buffer {
  const png = new pngjs.PNG({ width, height });
  png.data = Buffer.from(rgba);
  return pngjs.PNG.sync.write(png, { colorType: options.colorType ?? 6, bitDepth: options.bitDepth ?? 8, inputHasAlpha: true } as any);
}

/** Deterministic RGBA pixels: every channel of every pixel different, alpha 255 unless `alpha`. */
export function patternRgba(width: number, height: number, alpha = false): Uint8Array {
  const out = new Uint8Array(width * height * 4);
  for (let i = 0; i < width * height; i++) {
    out[i * 4] = (i * 37 + 11) & 255;
    out[i * 4 + 1] = (i * 101 + 53) & 255;
    out[i * 4 + 2] = (i * 13 + 200) & 255;
    out[i * 4 + 3] = alpha ? (i * 7 + 128) & 255 : 255;
  }
  return out;
}
