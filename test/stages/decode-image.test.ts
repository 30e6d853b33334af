/**
 * decode/image on real photographs and PNGs: pixels against decodes made without jpeg-js or
 * pngjs (libjpeg-turbo; a Python PNG reader), resizing against tf.image.resizeBilinear and
 * grayscale against tf.image.rgbToGrayscale on the raw decode, normalisation against tf ops,
 * and every kind of bad input as a Failure naming its record.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import jpeg from 'jpeg-js';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import imageStage, { imageDecoder } from '../../stages/decode/image/index.js';
import { headerSize, sniffFormat } from '../../stages/decode/image/formats.js';
import { placement } from '../../stages/decode/image/pixels.js';
import type { Failure, Instance, RawRecord } from '../../src/core/types.js';
import { checkFeatures } from '../../src/model/features.js';
import { readSignature } from '../../src/model/signature.js';
import { runStage, testContext, withDefaults } from '../helpers/run-stage.js';
import { faceApiDemo, fileRecordOf, makePng, patternRgba } from '../helpers/images.js';
import { IMAGE_REFERENCE } from '../helpers/image-reference.js';
import { humanModel } from '../model/helpers.js';
import type { ImageDecodeOptions } from '../../stages/decode/image/schema.js';

const isFailure = (r: unknown): r is Failure => (r as Failure).failed === true;
const photo = (name: string) => new Uint8Array(fs.readFileSync(faceApiDemo(name)));

/** Decodes one record with options (schema defaults applied), returning the Instance or Failure. */
function decodeOne(options: Partial<ImageDecodeOptions> & { size: [number, number] }, record: RawRecord): Instance | Failure {
  return imageDecoder(withDefaults<ImageDecodeOptions>(imageStage, options))(record);
}

function pixelsOf(r: Instance | Failure, feature = 'image'): Float32Array {
  assert.ok(!isFailure(r), isFailure(r) ? r.error : '');
  return (r as Instance).features[feature] as Float32Array;
}

/** Largest absolute difference between two arrays of the same length. */
function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length, 'lengths differ');
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/**
 * jpeg-js' RGBA as a float [h, w, 3] tensor: the raw decode the tf routes start from, cropped
 * to a box first when given (copied here: tf.slice on the cpu backend takes seconds on a photo).
 */
function rawRgbTensor(bytes: Uint8Array, box?: { top: number; left: number; height: number; width: number }): { t: tf.Tensor3D; width: number; height: number } {
  const img = jpeg.decode(bytes, { useTArray: true });
  const b = box ?? { top: 0, left: 0, height: img.height, width: img.width };
  const rgb = new Float32Array(b.width * b.height * 3);
  for (let y = 0; y < b.height; y++) {
    for (let x = 0; x < b.width; x++) for (let c = 0; c < 3; c++) rgb[(y * b.width + x) * 3 + c] = img.data[((b.top + y) * img.width + b.left + x) * 4 + c]!;
  }
  return { t: tf.tensor3d(rgb, [b.height, b.width, 3]), width: img.width, height: img.height };
}

before(async () => {
  await tf.setBackend('cpu');
});

for (const name of ['sample1.jpg', 'sample6.jpg', 'facemesh.png', 'screenshot-webcam.png']) {
  test(`${name} decodes like an independent decoder (size, pixels, 4×4 grid of means)`, () => {
    const ref = IMAGE_REFERENCE[name]!;
    const bytes = photo(name);
    assert.deepEqual(headerSize(bytes, sniffFormat(bytes)), { width: ref.width, height: ref.height });
    // At its own size, stretch samples every pixel exactly (half-pixel centres land on pixels).
    const px = pixelsOf(decodeOne({ size: [ref.height, ref.width] }, fileRecordOf(bytes, name)));
    assert.equal(px.length, ref.width * ref.height * 3);
    // JPEG decoders may differ by a level or two (IDCT and chroma upsampling); PNG is lossless.
    const lossy = name.endsWith('.jpg');
    for (const [x, y, rgb] of ref.pixels) {
      const got = [...px.subarray((y * ref.width + x) * 3, (y * ref.width + x) * 3 + 3)];
      assert.ok(maxDiff(got, rgb) <= (lossy ? 3 : 0), `${name} (${x},${y}): got ${got}, reference ${rgb}`);
    }
    let cell = 0;
    for (let gy = 0; gy < 4; gy++) {
      for (let gx = 0; gx < 4; gx++) {
        const [y0, y1, x0, x1] = [Math.floor((gy * ref.height) / 4), Math.floor(((gy + 1) * ref.height) / 4), Math.floor((gx * ref.width) / 4), Math.floor(((gx + 1) * ref.width) / 4)];
        const sum = [0, 0, 0];
        for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) for (let c = 0; c < 3; c++) sum[c] += px[(y * ref.width + x) * 3 + c]!;
        const mean = sum.map((s) => s / ((y1 - y0) * (x1 - x0)));
        assert.ok(maxDiff(mean, ref.grid[cell]!) <= (lossy ? 1 : 0.06), `${name} cell ${cell}: got ${mean.map((m) => m.toFixed(1))}, reference ${ref.grid[cell]}`);
        cell++;
      }
    }
  });
}

test('PNGs written by pngjs (RGBA, RGB, gray) decode to exactly their pixels; alpha is kept for channels 4 and dropped for 3', () => {
  const [w, h] = [7, 5];
  const rgba = patternRgba(w, h, true);
  const px4 = pixelsOf(decodeOne({ size: [h, w], channels: 4 }, fileRecordOf(makePng(w, h, rgba), 'a.png')));
  assert.deepEqual([...px4], [...rgba]);
  const opaque = patternRgba(w, h);
  const px3 = pixelsOf(decodeOne({ size: [h, w], channels: 3 }, fileRecordOf(makePng(w, h, opaque, { colorType: 2 }), 'b.png')));
  assert.deepEqual([...px3], [...opaque].filter((_, i) => i % 4 !== 3));
  const gray = new Uint8Array(w * h * 4).map((_, i) => (i % 4 === 3 ? 255 : (Math.floor(i / 4) * 29) & 255));
  const px1 = pixelsOf(decodeOne({ size: [h, w], channels: 1 }, fileRecordOf(makePng(w, h, gray, { colorType: 0 }), 'c.png')));
  // Luma of r = g = b = v is v × (0.2989 + 0.587 + 0.114) = v × 0.9999.
  assert.ok(maxDiff(px1, [...gray].filter((_, i) => i % 4 === 0).map((v) => v * 0.9999)) < 1e-3);
});

test('resize (stretch, crop, pad; down and up) matches tf.image.resizeBilinear with half-pixel centres on the raw decode', () => {
  const bytes = photo('sample2.jpg'); // 1920×1367
  const { t, width, height } = rawRgbTensor(bytes);
  // The centred square (1367×1367 from column (1920 − 1367) / 2 = 276) and a 100:60 crop (820 wide from column 550).
  const square = rawRgbTensor(bytes, { top: 0, left: 276, height: 1367, width: 1367 }).t;
  const tall = rawRgbTensor(bytes, { top: 0, left: 550, height: 1367, width: 820 }).t;
  try {
    const resize = (x: tf.Tensor3D, h: number, w: number) => tf.image.resizeBilinear(x, [h, w], false, true);
    const cases: { size: [number, number]; fit: 'stretch' | 'crop' | 'pad'; want: () => tf.Tensor }[] = [
      { size: [64, 64], fit: 'stretch', want: () => resize(t, 64, 64) },
      { size: [48, 80], fit: 'stretch', want: () => resize(t, 48, 80) },
      { size: [64, 64], fit: 'crop', want: () => resize(square, 64, 64) },
      { size: [100, 60], fit: 'crop', want: () => resize(tall, 100, 60) },
      {
        size: [64, 64],
        fit: 'pad',
        // 1920×1367 fits as 64×46 (round(1367 × 64 / 1920) = 46), centred: 9 rows above, 9 below.
        want: () => tf.pad(resize(t, 46, 64), [[9, 9], [0, 0], [0, 0]]),
      },
    ];
    assert.deepEqual(placement(height, width, 100, 60, 'crop').source, { top: 0, left: 550, height: 1367, width: 820 });
    for (const c of cases) {
      const want = tf.tidy(() => c.want().dataSync());
      const got = pixelsOf(decodeOne({ size: c.size, fit: c.fit, channels: 3 }, fileRecordOf(bytes, 'sample2.jpg')));
      assert.equal(got.length, c.size[0] * c.size[1] * 3);
      assert.ok(maxDiff(got, want) < 1e-3, `${c.fit} ${c.size}: differs from tf by ${maxDiff(got, want)}`);
    }
  } finally {
    tf.dispose([t, square, tall]);
  }
  // Upscaling a small PNG (5×7 → 13×11): every output between its four source pixels.
  const rgba = patternRgba(7, 5);
  const got = pixelsOf(decodeOne({ size: [13, 11], channels: 3 }, fileRecordOf(makePng(7, 5, rgba), 'small.png')));
  const src = tf.tensor3d(Float32Array.from([...rgba].filter((_, i) => i % 4 !== 3)), [5, 7, 3]);
  const want = tf.tidy(() => tf.image.resizeBilinear(src, [13, 11], false, true).dataSync());
  src.dispose();
  assert.ok(maxDiff(got, want) < 1e-3, `upscale differs from tf by ${maxDiff(got, want)}`);
});

test('grayscale (channels 1) matches tf.image.rgbToGrayscale after the resize, on a real photo', () => {
  const bytes = photo('sample3.jpg');
  const { t } = rawRgbTensor(bytes);
  const want = tf.tidy(() => tf.image.rgbToGrayscale(tf.image.resizeBilinear(t, [32, 48], false, true)).dataSync());
  t.dispose();
  const got = pixelsOf(decodeOne({ size: [32, 48], channels: 1 }, fileRecordOf(bytes, 'sample3.jpg')));
  assert.equal(got.length, 32 * 48);
  assert.ok(maxDiff(got, want) < 1e-3, `differs from tf by ${maxDiff(got, want)}`);
});

test('scale, mean and std: (pixel × scale − mean[c]) / std[c], per channel or one for all', () => {
  const bytes = photo('screenshot-webcam.png'); // a real photo-like PNG, quicker to decode than a JPEG photo
  const plain = pixelsOf(decodeOne({ size: [16, 16], channels: 3 }, fileRecordOf(bytes, 's.jpg')));
  const cases: { options: Partial<ImageDecodeOptions>; mean: number[]; std: number[]; scale: number }[] = [
    { options: { scale: 1 / 255, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] }, scale: 1 / 255, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] },
    { options: { scale: 1 / 255, mean: 0.5, std: 0.5 }, scale: 1 / 255, mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] },
    { options: { mean: [127.5], std: [127.5] }, scale: 1, mean: [127.5, 127.5, 127.5], std: [127.5, 127.5, 127.5] },
    { options: { mean: [103.939, 116.779, 123.68] }, scale: 1, mean: [103.939, 116.779, 123.68], std: [1, 1, 1] },
  ];
  for (const c of cases) {
    const got = pixelsOf(decodeOne({ size: [16, 16], channels: 3, ...c.options }, fileRecordOf(bytes, 's.jpg')));
    const want = tf.tidy(() => tf.div(tf.sub(tf.mul(tf.tensor3d(plain, [16, 16, 3]), c.scale), tf.tensor1d(c.mean)), tf.tensor1d(c.std)).dataSync());
    assert.ok(maxDiff(got, want) < 1e-4, `${JSON.stringify(c.options)}: differs by ${maxDiff(got, want)}`);
  }
});

/** Bytes of a real JPEG and PNG, and variants of them that must fail. */
function badInputs(): { name: string; bytes: Uint8Array; code: string; error: RegExp; options?: Partial<ImageDecodeOptions> }[] {
  const jpg = photo('sample1.jpg');
  const png = photo('facemesh.png');
  const flipped = Uint8Array.from(png);
  flipped[png.length >> 1] ^= 0xff; // inside IDAT: its CRC no longer matches
  const huge = Uint8Array.from(makePng(2, 2, patternRgba(2, 2)));
  new DataView(huge.buffer).setUint32(16, 100000); // IHDR width 100000: 200,000 pixels
  return [
    { name: 'jpeg cut after the header', bytes: jpg.subarray(0, 2000), code: 'corrupt-image', error: /^corrupt JPEG: / },
    { name: 'jpeg cut in half', bytes: jpg.subarray(0, jpg.length >> 1), code: 'corrupt-image', error: /^corrupt JPEG: the data ends early \(truncated\?\)/ },
    { name: 'jpeg without its last bytes', bytes: jpg.subarray(0, jpg.length - 10), code: 'corrupt-image', error: /^corrupt JPEG: / },
    { name: 'png cut in half', bytes: png.subarray(0, png.length >> 1), code: 'corrupt-image', error: /^corrupt PNG: the data ends early \(truncated\?\)/ },
    { name: 'png with a flipped byte', bytes: flipped, code: 'corrupt-image', error: /^corrupt PNG: / },
    { name: 'png of only its signature', bytes: png.subarray(0, 8), code: 'corrupt-image', error: /^corrupt PNG: / },
    { name: 'gif', bytes: Buffer.from('GIF89a\x01\x00\x01\x00\x00\x00\x00;', 'latin1'), code: 'unsupported-format', error: /^unsupported image format GIF: expected a JPEG or PNG image, got bytes starting 47 49 46 38 39 61 01 00$/ },
    { name: 'webp', bytes: Buffer.from('RIFF\x24\x00\x00\x00WEBPVP8 ', 'latin1'), code: 'unsupported-format', error: /^unsupported image format WebP: / },
    { name: 'bmp', bytes: Buffer.from('BM\x3a\x00\x00\x00\x00\x00', 'latin1'), code: 'unsupported-format', error: /^unsupported image format BMP: / },
    { name: 'text', bytes: Buffer.from('hello, world'), code: 'unsupported-format', error: /^unsupported image format: expected a JPEG or PNG image, got bytes starting 68 65 6c 6c 6f 2c 20 77$/ },
    { name: 'empty file', bytes: new Uint8Array(0), code: 'unsupported-format', error: /^empty file: expected a JPEG or PNG image$/ },
    { name: 'png over maxPixels (header only, nothing decoded)', bytes: huge, code: 'too-large', error: /^PNG of 100000×2 = 200000 pixels is over maxPixels 100000$/, options: { maxPixels: 100000 } },
    { name: 'jpeg photo over maxPixels', bytes: jpg, code: 'too-large', error: /^JPEG of 1920×1280 = 2457600 pixels is over maxPixels 2000000$/, options: { maxPixels: 2000000 } },
  ];
}

test('corrupt, truncated, unsupported and too large images are Failures naming the record; the records around them decode', async () => {
  const good = photo('facemesh.png');
  const bad = badInputs();
  // Through the stream (default options), only the cases that fail whatever the options.
  const always = bad.filter((b) => !b.options);
  const records = [fileRecordOf(good, 'first.png', 0), ...always.map((b, i) => fileRecordOf(b.bytes, `${b.name}.bin`, i + 1)), fileRecordOf(good, 'last.png', always.length + 1)];
  for (const b of bad) {
    const out = decodeOne({ size: [8, 8], ...b.options }, fileRecordOf(b.bytes, 'x.bin'));
    assert.ok(isFailure(out), `${b.name}: decoded`);
    assert.equal(out.code, b.code, `${b.name}: ${out.error}`);
    assert.match(out.error, b.error, b.name);
    assert.equal(out.stage, 'decode');
    assert.equal(out.source, 'photos/x.bin');
    assert.deepEqual(out.fields, { path: 'photos/x.bin', name: 'x.bin', size: b.bytes.byteLength }, 'the fields stay, so the key stage can key the Failure');
  }
  // Through the stream, in chunks: one element out per record in, in order.
  const out = await runStage<Instance | Failure>(imageStage, { size: [8, 8] }, records, { chunkSize: 4 });
  assert.equal(out.length, records.length);
  assert.deepEqual(out.map((r) => r.source), records.map((r) => r.source));
  assert.deepEqual(out.map((r) => (isFailure(r) ? r.code : 'ok')), ['ok', ...always.map((b) => b.code), 'ok']);
});

test('a base64 field of a JSON record (plain, {"b64": …}, data: URL) decodes like the bytes; the other fields stay', () => {
  const png = makePng(3, 2, patternRgba(3, 2));
  const b64 = png.toString('base64');
  const want = pixelsOf(decodeOne({ size: [2, 3] }, fileRecordOf(png, 'p.png')));
  const values = [b64, { b64 }, `data:image/png;base64,${b64}`, b64.replace(/(.{10})/g, '$1\n')];
  values.forEach((v, i) => {
    const record: RawRecord = { source: 'in.jsonl', index: i, offset: i * 100, raw: JSON.stringify({ id: `r${i}`, img: v }) };
    const out = decodeOne({ size: [2, 3], field: 'img' }, record) as Instance;
    assert.deepEqual([...pixelsOf(out)], [...want], `value ${i}`);
    assert.equal(out.fields.id, `r${i}`);
  });
  // A source that parsed its rows (CSV, Parquet) hands over fields: no JSON text needed.
  const parsed = decodeOne({ size: [2, 3], field: 'img' }, { source: 'in.csv', index: 0, offset: 0, raw: 'r9,…', fields: { id: 'r9', img: b64 } });
  assert.deepEqual([...pixelsOf(parsed)], [...want]);
});

test('bad base64 fields and text records without "field" are Failures that keep their fields', () => {
  const rec = (obj: unknown): RawRecord => ({ source: 'in.jsonl', index: 3, offset: 40, raw: JSON.stringify(obj) });
  const cases: [RawRecord, Partial<ImageDecodeOptions>, string, string][] = [
    [rec({ id: 'a' }), { field: 'img' }, 'missing-feature', 'field "img": expected an image as a base64 string, got nothing (the field is missing)'],
    [rec({ id: 'b', img: 42 }), { field: 'img' }, 'not-base64', 'field "img": expected an image as a base64 string, got number'],
    [rec({ id: 'c', img: 'not base64!' }), { field: 'img' }, 'not-base64', 'field "img": not base64 (a character outside A-Z a-z 0-9 + / - _ =)'],
    [rec({ id: 'd', img: 'data:image/png,abc' }), { field: 'img' }, 'not-base64', 'field "img": a data: URL without ";base64,"'],
    [rec({ id: 'e', img: Buffer.from('GIF89a').toString('base64') }), { field: 'img' }, 'unsupported-format', 'unsupported image format GIF: expected a JPEG or PNG image, got bytes starting 47 49 46 38 39 61'],
  ];
  for (const [record, options, code, error] of cases) {
    const out = decodeOne({ size: [4, 4], ...options }, record) as Failure;
    assert.ok(isFailure(out));
    assert.deepEqual([out.code, out.error, out.index, out.offset, (out.fields as any).id], [code, error, 3, 40, JSON.parse(record.raw as string).id]);
  }
  const notJson = decodeOne({ size: [4, 4], field: 'img' }, { source: 'in.jsonl', index: 0, offset: 0, raw: '{oops' });
  assert.ok(isFailure(notJson) && notJson.code === 'bad-json');
  const text = decodeOne({ size: [4, 4] }, { source: 'in.jsonl', index: 0, offset: 0, raw: '{"img": "…"}' });
  assert.ok(isFailure(text));
  assert.equal(text.code, 'not-bytes');
  assert.match(text.error, /set "field" to the JSON field holding the image as base64$/);
});

test('the feature spec is float32 [h, w, c] and fits the emotion model; option problems are config lines', async () => {
  const options = withDefaults<ImageDecodeOptions>(imageStage, { feature: 'input_1', size: [64, 64], channels: 1 });
  const specs = imageStage.features!(options);
  assert.deepEqual(specs, { input_1: { dtype: 'float32', shape: [64, 64, 1] } });
  const emotion = readSignature(JSON.parse(fs.readFileSync(humanModel('emotion'), 'utf8')));
  assert.deepEqual(checkFeatures(emotion, specs), []);
  assert.deepEqual(checkFeatures(emotion, imageStage.features!({ ...options, channels: 3 })), [
    '/decode/features/input_1: shape [64,64,3] does not fit model input "input_1:0" of shape [-1,64,64,1] (per instance [64,64,1])',
  ]);
  const ctx = testContext({ path: '/decode' });
  assert.deepEqual(await imageStage.check!(withDefaults(imageStage, { size: [8, 8], channels: 3, mean: [1], std: [1, 2, 3] }), ctx), []);
  assert.deepEqual(await imageStage.check!(withDefaults(imageStage, { size: [8, 8], channels: 3, mean: [1, 2], std: [1, 2, 3, 4] }), ctx), [
    '/decode/mean: expected 1 value or 3 (one per channel, channels is 3), got 2',
    '/decode/std: expected 1 value or 3 (one per channel, channels is 3), got 4',
  ]);
  assert.throws(() => withDefaults(imageStage, { size: [8, 8], std: 0 }), /std/);
  assert.throws(() => withDefaults(imageStage, { size: [8, 8], channels: 2 }), /channels/);
  assert.throws(() => withDefaults(imageStage, { size: [8] }), /size/);
});

test('an Instance keeps at most 4 KB of the encoded image (error rows show no more)', () => {
  const bytes = photo('facemesh.png');
  const out = decodeOne({ size: [4, 4] }, fileRecordOf(bytes, 'a.png')) as Instance;
  assert.equal((out.raw as Uint8Array).byteLength, 4096);
  assert.deepEqual([...(out.raw as Uint8Array)], [...bytes.subarray(0, 4096)]);
});
