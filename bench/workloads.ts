/**
 * The benchmark's workloads: seeded random MLPs saved as tfjs LayersModels, JSONL inputs of
 * `{"id": <n>, "x": [..]}` rows, and the Sluice pipeline config for each. Everything is
 * generated under `bench/out/` (gitignored) on first use and reused afterwards, so repeated
 * bench runs time the same bytes and do not pay for generation.
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { createStorage } from '../src/storage/index.js';
import { storageSaveHandler } from '../src/model/io-handler.js';
import { mulberry32 } from './random.js';

/** The project root (this file runs from dist/bench/). */
export const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/**
 * Where every generated file goes: $BENCH_DATA, else bench/out (gitignored). A folder outside
 * the checkout lets several worktrees share one generated copy of the data.
 */
export const outRoot = path.resolve(process.env['BENCH_DATA'] ?? path.join(projectRoot, 'bench/out'));

/** One model shape; `units` lists the layer widths from the input to the output. */
export interface ModelSpec {
  name: string;
  units: number[];
}

/** The models: one where the matmuls dominate, a mid one, and one where I/O dominates. */
export const MODELS = {
  big: { name: 'mlp-64-2048-2048-10', units: [64, 2048, 2048, 10] },
  mid: { name: 'mlp-64-512-512-10', units: [64, 512, 512, 10] },
  tiny: { name: 'mlp-8-4', units: [8, 4] },
  /** The issue 21 table's I/O-bound model: one linear unit over 16 features. */
  linear: { name: 'linear-16-1', units: [16, 1] },
  /** MNIST-shaped, for the TFRecord read+decode comparison (bench/tfrecord.ts). */
  mnist: { name: 'mlp-784-128-10', units: [784, 128, 10] },
} satisfies Record<string, ModelSpec>;

/** A model plus one input file: what every contender of one table row runs over. */
export interface Dataset {
  model: ModelSpec;
  rows: number;
  /** Input width: the model's first entry in `units`. */
  dim: number;
  modelJson: string;
  dataFile: string;
  dataBytes: number;
  /** The Sluice pipeline over this data, written beside it. */
  pipeline: string;
  /** The pipeline's sink directory. */
  sluiceOut: string;
}

/**
 * Builds the MLP with seeded initializers (no training: the numbers only have to be
 * realistic, not useful) and saves it through Sluice's storage, like a user's model.
 */
async function saveModel(spec: ModelSpec, dir: string): Promise<void> {
  // Prod mode silences the cpu backend's "install tfjs-node" banner (not an option offline).
  tf.enableProdMode();
  await tf.setBackend('cpu');
  const [inDim, ...widths] = spec.units;
  const input = tfl.input({ shape: [inDim!], name: 'x' });
  let h: tfl.SymbolicTensor = input;
  widths.forEach((units, i) => {
    const last = i === widths.length - 1;
    h = tfl.layers.dense({
      units,
      // A single output unit is a regression (softmax over one unit would always be 1).
      activation: last ? (units === 1 ? 'linear' : 'softmax') : 'relu',
      name: last ? 'y' : `dense${i + 1}`,
      kernelInitializer: tfl.initializers.glorotUniform({ seed: 100 + i }),
      biasInitializer: tfl.initializers.randomUniform({ minval: -0.05, maxval: 0.05, seed: 200 + i }),
    }).apply(h) as tfl.SymbolicTensor;
  });
  const model = tfl.model({ inputs: input, outputs: h, name: spec.name });
  await model.save(storageSaveHandler(createStorage(), dir));
  model.dispose();
}

/** Writes `rows` JSONL rows of `dim` floats in [-1, 1] rounded to 4 digits, atomically. */
async function writeRows(file: string, rows: number, dim: number, seed: number): Promise<void> {
  const rand = mulberry32(seed);
  const tmp = `${file}.tmp`;
  const out = fs.createWriteStream(tmp);
  const x = new Array<number>(dim);
  let chunk = '';
  for (let id = 0; id < rows; id++) {
    for (let j = 0; j < dim; j++) x[j] = Math.round((rand() * 2 - 1) * 1e4) / 1e4;
    chunk += JSON.stringify({ id, x }) + '\n';
    // Write in ~1 MB pieces and honour backpressure, so generating 1M rows stays small.
    if (chunk.length > 1 << 20 || id === rows - 1) {
      if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', () => r()));
      chunk = '';
    }
  }
  await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
  await fsp.rename(tmp, file);
}

/**
 * The pipeline Sluice runs over a dataset. URIs are relative to the config's directory, as a
 * user would write them; workers are set per run with `--set execution.workers=N`.
 */
function pipelineConfig(name: string, dim: number, dataFile: string, rows: number): object {
  return {
    name: `bench-${name}-${rows}`,
    source: { type: 'jsonl', uri: path.basename(dataFile) },
    decode: { type: 'json', features: { x: { dtype: 'float32', shape: [dim] } } },
    key: { type: 'field', field: 'id' },
    model: { type: 'tfjs', uri: 'model/model.json', batchSize: 256 },
    sink: { type: 'jsonl', uri: `sluice-out-${rows}/predictions` },
    errors: { type: 'jsonl', uri: `sluice-out-${rows}/errors` },
  };
}

/** Returns the model.json of `spec` under the bench's data folder, generating it when missing. */
export async function ensureModel(spec: ModelSpec, log: (msg: string) => void): Promise<string> {
  const dir = path.join(outRoot, spec.name);
  const modelJson = path.join(dir, 'model/model.json');
  await fsp.mkdir(dir, { recursive: true });
  if (!fs.existsSync(modelJson)) {
    log(`generating model ${spec.name}`);
    await saveModel(spec, path.join(dir, 'model'));
  }
  return modelJson;
}

/**
 * Returns the dataset of `rows` rows for `spec`, generating the model, data and pipeline
 * files that are missing. Files are complete when present: each is written to a temporary
 * name and renamed, so an interrupted generation is redone, not reused half-written.
 */
export async function ensureDataset(spec: ModelSpec, rows: number, log: (msg: string) => void): Promise<Dataset> {
  const dir = path.join(outRoot, spec.name);
  const dim = spec.units[0]!;
  const dataFile = path.join(dir, `data-${rows}.jsonl`);
  const pipeline = path.join(dir, `pipeline-${rows}.json`);
  const modelJson = await ensureModel(spec, log);
  if (!fs.existsSync(dataFile)) {
    log(`generating ${rows} rows for ${spec.name}`);
    // Seed by size and width so each file is fixed but files of different sizes differ.
    await writeRows(dataFile, rows, dim, rows * 31 + dim);
  }
  // Rewritten only when it changed, so its mtime (and anything keyed on it) stays put.
  const config = JSON.stringify(pipelineConfig(spec.name, dim, dataFile, rows), null, 2) + '\n';
  if (!fs.existsSync(pipeline) || fs.readFileSync(pipeline, 'utf8') !== config) await fsp.writeFile(pipeline, config);
  const sluiceOut = path.join(dir, `sluice-out-${rows}`);
  return { model: spec, rows, dim, modelJson, dataFile, dataBytes: fs.statSync(dataFile).size, pipeline, sluiceOut };
}
