/**
 * The TensorFlow.js packages, loaded with `require`, never `import()`. They are CommonJS, and an
 * ES import of a CommonJS file makes Node scan its source for export names (cjs-module-lexer)
 * before running it: for tfjs-core, tfjs-layers and tfjs-backend-wasm that scan cost ~170 ms of
 * every thread's start-up, on the path to its first record (one thread, 3 runs each: `import()`
 * 259–281 ms and 369–415 CPU ms, `require` 96–104 ms and 99–106 CPU ms; docs/performance.md,
 * "Start-up"). Either way the instance is the same (Node's CommonJS cache), so a program that
 * imports tfjs-core itself shares Sluice's backend.
 *
 * Each loader runs on first use: the CLI's coordinator validates configs without loading tfjs.
 */
import { createRequire } from 'node:module';
import type * as TfjsCore from '@tensorflow/tfjs-core';
import type * as TfjsLayers from '@tensorflow/tfjs-layers';
import type * as TfjsConverter from '@tensorflow/tfjs-converter';
import type * as TfjsBackendWasm from '@tensorflow/tfjs-backend-wasm';

const require = createRequire(import.meta.url);

export const tfjsCore = (): typeof TfjsCore => require('@tensorflow/tfjs-core');
export const tfjsLayers = (): typeof TfjsLayers => require('@tensorflow/tfjs-layers');
export const tfjsConverter = (): typeof TfjsConverter => require('@tensorflow/tfjs-converter');
export const tfjsBackendWasm = (): typeof TfjsBackendWasm => require('@tensorflow/tfjs-backend-wasm');
/** Registers the cpu backend with tfjs-core. */
export const tfjsBackendCpu = (): unknown => require('@tensorflow/tfjs-backend-cpu');
/**
 * `@tensorflow/tfjs-node` (optional, installed by `npm run native`): loading it loads
 * TensorFlow's C library and registers the `tensorflow` backend.
 */
export const tfjsNode = (name: string): any => require(name);
