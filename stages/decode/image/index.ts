import { defineStage, mapRecords, RAW_LIMIT, RecordError, toFailure, describeError, type StageContext, type Failure, type Instance, type RawRecord } from '../../../src/sdk.js';
import { decodeRgba } from './formats.js';
import { normalise, placement, resizeRgba } from './pixels.js';
import { imageDecodeMeta, type ImageDecodeOptions } from './schema.js';

/** One entry per channel from a number or a list (the list's length is checked by `check`). */
function perChannel(v: number | number[], channels: number): number[] {
  return Array.isArray(v) ? (v.length === 1 ? Array(channels).fill(v[0]) : v) : Array(channels).fill(v);
}

/** The config problems that the schema cannot see: a mean or std list of the wrong length. */
function optionProblems(options: ImageDecodeOptions, path: string): string[] {
  const problems: string[] = [];
  for (const name of ['mean', 'std'] as const) {
    const v = options[name];
    if (Array.isArray(v) && v.length !== 1 && v.length !== options.channels) {
      problems.push(`${path}/${name}: expected 1 value or ${options.channels} (one per channel, channels is ${options.channels}), got ${v.length}`);
    }
  }
  return problems;
}

const BASE64 = /^[A-Za-z0-9+/\-_]*={0,2}$/;

/** The bytes of a base64 value: a string, a data: URL, or {"b64": <string>} (the Cloud ML convention). */
function base64Bytes(v: unknown, field: string): Uint8Array {
  let text = v;
  if (text !== null && typeof text === 'object' && !Array.isArray(text) && typeof (text as { b64?: unknown }).b64 === 'string') text = (text as { b64: string }).b64;
  if (typeof text !== 'string') {
    const got = v === undefined ? 'nothing (the field is missing)' : v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v;
    throw new RecordError(v === undefined ? 'missing-feature' : 'not-base64', `field "${field}": expected an image as a base64 string, got ${got}`);
  }
  let body = text;
  if (body.startsWith('data:')) {
    const comma = body.indexOf(',');
    if (comma < 0 || !body.slice(0, comma).endsWith(';base64')) throw new RecordError('not-base64', `field "${field}": a data: URL without ";base64,"`);
    body = body.slice(comma + 1);
  }
  body = body.replace(/\s+/g, '');
  // Buffer.from skips characters that are not base64: check first, so junk is not decoded as bytes.
  if (!BASE64.test(body)) throw new RecordError('not-base64', `field "${field}": not base64 (a character outside A-Z a-z 0-9 + / - _ =)`);
  const buf = Buffer.from(body, 'base64');
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

/** The record's fields: those the source parsed, else its text as a JSON object. */
function jsonFields(record: RawRecord): Record<string, unknown> {
  if (record.fields) return record.fields;
  const text = typeof record.raw === 'string' ? record.raw : Buffer.from(record.raw.buffer, record.raw.byteOffset, record.raw.byteLength).toString('utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new RecordError('bad-json', `invalid JSON: ${describeError(err)}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new RecordError('bad-json', 'expected a JSON object holding the image field');
  return parsed as Record<string, unknown>;
}

/**
 * What an Instance keeps of the encoded image: an error row shows at most its first 4 KB, so
 * a batch of photos need not hold every photo's bytes until the sink.
 */
function rawHead(raw: string | Uint8Array): string | Uint8Array {
  if (typeof raw === 'string') return raw.length > RAW_LIMIT ? raw.slice(0, RAW_LIMIT) : raw;
  return raw.byteLength > RAW_LIMIT ? raw.slice(0, RAW_LIMIT) : raw;
}

/**
 * The record decoder of an image stage: bytes (or a base64 field) → RGBA → fit and resize →
 * channels → scale and normalisation → one float32 feature of shape [height, width, channels].
 *
 * @example
 * const decode = imageDecoder({ feature: 'image', size: [64, 64], channels: 1, fit: 'crop', scale: 1 / 255, mean: 0, std: 1, maxPixels: 5e7 });
 * decode({ source: 'a.jpg', index: 0, offset: 0, raw: bytes, fields: { name: 'a.jpg' } }) // Instance with features.image: Float32Array(4096)
 */
export function imageDecoder(options: ImageDecodeOptions): (record: RawRecord) => Instance | Failure {
  const [outH, outW] = options.size;
  const mean = perChannel(options.mean, options.channels);
  const std = perChannel(options.std, options.channels);
  return (record) => {
    let fields: Record<string, unknown> = record.fields ?? {};
    try {
      let bytes: Uint8Array;
      if (options.field === undefined) {
        if (typeof record.raw === 'string') {
          throw new RecordError('not-bytes', 'expected the bytes of an image (e.g. from source "files"), got a text record; set "field" to the JSON field holding the image as base64');
        }
        bytes = record.raw;
      } else {
        fields = jsonFields(record);
        bytes = base64Bytes(fields[options.field], options.field);
      }
      const img = decodeRgba(bytes, options.maxPixels);
      const rgba = resizeRgba(img, placement(img.height, img.width, outH, outW, options.fit), outH, outW);
      const pixels = normalise(rgba, options.channels, options.scale, mean, std);
      return { source: record.source, index: record.index, offset: record.offset, raw: rawHead(record.raw), fields, features: { [options.feature]: pixels } };
    } catch (err) {
      // Keep the fields (when the record parsed), so the key stage still keys the Failure, e.g. by file name.
      return toFailure('decode', { ...record, fields }, err);
    }
  };
}

const examples: ImageDecodeOptions[] = [
  { feature: 'input_1', size: [64, 64], channels: 1, fit: 'crop', scale: 0.00392156862745098, mean: 0, std: 1, maxPixels: 50000000 },
  { feature: 'image', size: [224, 224], channels: 3, fit: 'stretch', scale: 0.00392156862745098, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], maxPixels: 50000000 },
  { feature: 'image', size: [28, 28], channels: 1, fit: 'pad', scale: 1, mean: 0, std: 255, field: 'png_b64', maxPixels: 1000000 },
];

/**
 * `decode/image`: JPEG or PNG images (sniffed by magic bytes, decoded by jpeg-js and pngjs) to a
 * float32 feature [height, width, channels], resized bilinearly, grayscale or colour, scaled
 * and normalised. The record is the image's bytes (source `files`) or, with `field`, a JSON
 * object whose field holds it as base64.
 *
 * @example
 * { "type": "image", "feature": "input_1", "size": [64, 64], "channels": 1, "fit": "crop", "scale": 0.00392156862745098 }
 */
export default defineStage<ImageDecodeOptions>()({
  ...imageDecodeMeta,
  examples,
  features: (options) => ({ [options.feature]: { dtype: 'float32', shape: [options.size[0], options.size[1], options.channels] } }),
  check: async (options, ctx: StageContext) => optionProblems(options, ctx.path),
  create(options) {
    return { transform: mapRecords<RawRecord, Instance>('decode', imageDecoder(options)) };
  },
});
