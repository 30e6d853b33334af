/**
 * Image formats by their magic bytes, dimensions from the header (before any pixel is decoded,
 * for the `maxPixels` guard), and decoding to RGBA with pure-JS decoders: jpeg-js and pngjs.
 */
import jpeg from 'jpeg-js';
import pngjs from 'pngjs';
import { RecordError, describeError } from '../../../src/sdk.js';

/** A decoded image: `width × height` pixels of 4 bytes (R, G, B, A), row-major. */
export interface Rgba {
  width: number;
  height: number;
  data: Uint8Array;
}

export type ImageFormat = 'jpeg' | 'png';

const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

const startsWith = (b: Uint8Array, magic: number[], at = 0): boolean => magic.every((m, i) => b[at + i] === m);
const ascii = (b: Uint8Array, from: number, to: number): string => String.fromCharCode(...b.subarray(from, to));

/** Formats we can name but not decode, so the message says what the file is. */
function otherFormat(b: Uint8Array): string | null {
  if (ascii(b, 0, 4) === 'GIF8') return 'GIF';
  if (ascii(b, 0, 4) === 'RIFF' && ascii(b, 8, 12) === 'WEBP') return 'WebP';
  if (ascii(b, 0, 2) === 'BM') return 'BMP';
  if (startsWith(b, [0x49, 0x49, 0x2a, 0x00]) || startsWith(b, [0x4d, 0x4d, 0x00, 0x2a])) return 'TIFF';
  if (ascii(b, 4, 8) === 'ftyp') return `ISO media (${ascii(b, 8, 12).trim() || '?'}: HEIC/AVIF/MP4)`;
  if (ascii(b, 0, 5) === '<?xml' || ascii(b, 0, 4) === '<svg') return 'SVG/XML';
  return null;
}

/**
 * The format of encoded image bytes from their first bytes; a RecordError (code
 * `unsupported-format`) naming what the bytes look like otherwise.
 *
 * @example
 * sniffFormat(fs.readFileSync('a.jpg')) // 'jpeg'
 */
export function sniffFormat(bytes: Uint8Array): ImageFormat {
  if (bytes.length === 0) throw new RecordError('unsupported-format', 'empty file: expected a JPEG or PNG image');
  if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  if (startsWith(bytes, PNG_MAGIC)) return 'png';
  const head = [...bytes.subarray(0, 8)].map((x) => x.toString(16).padStart(2, '0')).join(' ');
  const other = otherFormat(bytes);
  throw new RecordError('unsupported-format', `unsupported image format${other ? ` ${other}` : ''}: expected a JPEG or PNG image, got bytes starting ${head}`);
}

/**
 * Width and height from the header (PNG: IHDR; JPEG: the first SOFn segment), or null when the
 * header is cut or malformed (the decoder then says why).
 *
 * @example
 * headerSize(bytes, 'jpeg') // { width: 1920, height: 1280 }
 */
export function headerSize(b: Uint8Array, format: ImageFormat): { width: number; height: number } | null {
  const u16 = (i: number) => (b[i]! << 8) | b[i + 1]!;
  const u32 = (i: number) => ((b[i]! << 24) | (b[i + 1]! << 16) | (b[i + 2]! << 8) | b[i + 3]!) >>> 0;
  if (format === 'png') {
    if (b.length < 24 || ascii(b, 12, 16) !== 'IHDR') return null;
    return { width: u32(16), height: u32(20) };
  }
  let i = 2;
  while (i + 9 < b.length) {
    if (b[i] !== 0xff) return null;
    const marker = b[i + 1]!;
    if (marker === 0xff) {
      i++; // fill byte
      continue;
    }
    // Markers without a length: TEM, RST0-7, SOI, EOI.
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd9)) {
      i += 2;
      continue;
    }
    // SOF0..SOF15 carry the frame size; C4 (DHT), C8 (JPG) and CC (DAC) share the range but do not.
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      return { height: u16(i + 5), width: u16(i + 7) };
    }
    if (marker === 0xda) return null; // scan data before any frame header
    i += 2 + u16(i + 2);
  }
  return null;
}

/** The decoders' wording for a file that ends early, in plain words. */
function plain(message: string): string {
  if (/read requests|marker was not found|unexpected end|end of (file|stream)/i.test(message)) return `the data ends early (truncated?): ${message}`;
  return message;
}

/**
 * Decodes JPEG or PNG bytes to RGBA. A header over `maxPixels` is refused before decoding
 * (code `too-large`); a corrupt or truncated file is code `corrupt-image`. EXIF orientation is
 * not applied (as tf.io.decode_jpeg); 16-bit PNG channels are rescaled to 8 bits.
 *
 * @example
 * const { width, height, data } = decodeRgba(fs.readFileSync('a.png'), 50_000_000);
 */
export function decodeRgba(bytes: Uint8Array, maxPixels: number): Rgba {
  const format = sniffFormat(bytes);
  const name = format === 'jpeg' ? 'JPEG' : 'PNG';
  const size = headerSize(bytes, format);
  if (size && size.width * size.height > maxPixels) {
    throw new RecordError(
      'too-large',
      `${name} of ${size.width}×${size.height} = ${size.width * size.height} pixels is over maxPixels ${maxPixels}`,
    );
  }
  if (size && (size.width === 0 || size.height === 0)) throw new RecordError('corrupt-image', `corrupt ${name}: its header says ${size.width}×${size.height} pixels`);
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let img: Rgba;
  try {
    if (format === 'jpeg') {
      // The decoder's own limits back up the header check (a header it reads differently).
      img = jpeg.decode(buf, {
        useTArray: true,
        formatAsRGBA: true,
        maxResolutionInMP: maxPixels / 1e6,
        maxMemoryUsageInMB: Math.max(512, Math.ceil((maxPixels * 12) / 2 ** 20)),
      });
    } else {
      const png = pngjs.PNG.sync.read(buf);
      img = { width: png.width, height: png.height, data: new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.byteLength) };
    }
  } catch (err) {
    const message = describeError(err);
    if (/maxResolutionInMP|maxMemoryUsageInMB/.test(message)) throw new RecordError('too-large', `${name} over maxPixels ${maxPixels}: ${message}`);
    throw new RecordError('corrupt-image', `corrupt ${name}: ${plain(message)}`);
  }
  if (img.width * img.height * 4 !== img.data.length || img.width === 0 || img.height === 0) {
    throw new RecordError('corrupt-image', `corrupt ${name}: decoded ${img.data.length} bytes for ${img.width}×${img.height} pixels`);
  }
  return img;
}
