/**
 * From decoded RGBA to the feature: fit (stretch, centre crop, pad) and bilinear resize,
 * channel selection (grayscale, RGB, RGBA), then scale and per-channel normalisation. Resizing
 * reads only the source pixels it needs, straight from the RGBA bytes, so a 1920×1280 photo
 * costs four reads per output pixel, not a float copy of the whole photo.
 */
import type { Rgba } from './formats.js';
import type { ImageFit } from './schema.js';

/** A region of the source image, in whole pixels. */
export interface Box {
  top: number;
  left: number;
  height: number;
  width: number;
}

/** Where the resized image goes in the output: the output is [outH, outW], the image fills `box`. */
export interface Placement {
  /** The part of the source that is resized. */
  source: Box;
  /** The part of the output it becomes (the rest is padding: pixel value 0). */
  target: Box;
}

/**
 * The source region and output region for a fit mode. `crop` keeps the largest centred region
 * of the output's aspect ratio (Keras' `crop_to_aspect_ratio`); `pad` resizes the whole image
 * to fit inside and centres it (tf.image.resize_with_pad); `stretch` maps whole onto whole.
 *
 * @example
 * placement(1280, 1920, 64, 64, 'crop') // source { top: 0, left: 320, height: 1280, width: 1280 }, target whole
 */
export function placement(height: number, width: number, outH: number, outW: number, fit: ImageFit): Placement {
  const whole = (h: number, w: number): Box => ({ top: 0, left: 0, height: h, width: w });
  if (fit === 'crop') {
    // Compare aspect ratios in integers: height/width vs outH/outW.
    let h = height;
    let w = width;
    if (height * outW > outH * width) h = Math.max(1, Math.min(height, Math.round((width * outH) / outW)));
    else w = Math.max(1, Math.min(width, Math.round((height * outW) / outH)));
    return { source: { top: Math.floor((height - h) / 2), left: Math.floor((width - w) / 2), height: h, width: w }, target: whole(outH, outW) };
  }
  if (fit === 'pad') {
    const s = Math.min(outH / height, outW / width);
    const h = Math.max(1, Math.min(outH, Math.round(height * s)));
    const w = Math.max(1, Math.min(outW, Math.round(width * s)));
    return { source: whole(height, width), target: { top: Math.floor((outH - h) / 2), left: Math.floor((outW - w) / 2), height: h, width: w } };
  }
  return { source: whole(height, width), target: whole(outH, outW) };
}

/**
 * Source sample positions for `n` outputs over `size` inputs starting at `start`, with
 * half-pixel centres (tf.image.resizeBilinear with halfPixelCenters, TF2's tf.image.resize):
 * x = (i + 0.5) · size / n − 0.5, clamped to the region; returns lower index, upper index and weight.
 */
function axis(n: number, size: number, start: number): { lo: Int32Array; hi: Int32Array; t: Float32Array } {
  const lo = new Int32Array(n);
  const hi = new Int32Array(n);
  const t = new Float32Array(n);
  const scale = size / n;
  for (let i = 0; i < n; i++) {
    const x = Math.max(0, (i + 0.5) * scale - 0.5);
    const x0 = Math.min(size - 1, Math.floor(x));
    lo[i] = start + x0;
    hi[i] = start + Math.min(size - 1, x0 + 1);
    t[i] = x - x0;
  }
  return { lo, hi, t };
}

/**
 * Resizes the `source` box of an RGBA image bilinearly into the `target` box of an [outH, outW,
 * 4] float image (values 0..255; outside the target stays 0).
 *
 * @example
 * const rgba = resizeRgba(img, placement(img.height, img.width, 64, 64, 'stretch'), 64, 64);
 */
export function resizeRgba(img: Rgba, p: Placement, outH: number, outW: number): Float32Array {
  const out = new Float32Array(outH * outW * 4);
  const ys = axis(p.target.height, p.source.height, p.source.top);
  const xs = axis(p.target.width, p.source.width, p.source.left);
  const src = img.data;
  const stride = img.width * 4;
  for (let r = 0; r < p.target.height; r++) {
    const top = ys.lo[r]! * stride;
    const bottom = ys.hi[r]! * stride;
    const ty = ys.t[r]!;
    let o = ((p.target.top + r) * outW + p.target.left) * 4;
    for (let c = 0; c < p.target.width; c++) {
      const left = xs.lo[c]! * 4;
      const right = xs.hi[c]! * 4;
      const tx = xs.t[c]!;
      for (let k = 0; k < 4; k++) {
        const a = src[top + left + k]!;
        const b = src[top + right + k]!;
        const upper = a + (b - a) * tx;
        const d = src[bottom + left + k]!;
        const e = src[bottom + right + k]!;
        const lower = d + (e - d) * tx;
        out[o++] = upper + (lower - upper) * ty;
      }
    }
  }
  return out;
}

/** Luma weights of tf.image.rgbToGrayscale (ITU-R BT.601). */
export const GRAY = [0.2989, 0.587, 0.114] as const;

/**
 * The feature from a resized [h, w, 4] float image: `channels` (1: luma, 3: RGB, 4: RGBA), each
 * value (v × scale − mean[c]) / std[c]; `mean` and `std` have one entry per channel.
 *
 * @example
 * normalise(rgba, 1, 1 / 255, [0], [1]) // grayscale in [0, 1]
 */
export function normalise(rgba: Float32Array, channels: 1 | 3 | 4, scale: number, mean: readonly number[], std: readonly number[]): Float32Array {
  const pixels = rgba.length / 4;
  const out = new Float32Array(pixels * channels);
  // (v·scale − m)/s = v·(scale/s) − m/s: one multiply-add per value.
  const mul = std.map((s) => scale / s);
  const add = mean.map((m, c) => -m / std[c]!);
  for (let i = 0, j = 0; i < rgba.length; i += 4) {
    if (channels === 1) {
      out[j++] = (GRAY[0] * rgba[i]! + GRAY[1] * rgba[i + 1]! + GRAY[2] * rgba[i + 2]!) * mul[0]! + add[0]!;
      continue;
    }
    for (let c = 0; c < channels; c++) out[j++] = rgba[i + c]! * mul[c]! + add[c]!;
  }
  return out;
}
