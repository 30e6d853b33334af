/**
 * A real TensorFlow.js custom layer that never returns for one input value, for the timeout
 * tests. CommonJS on purpose: users register custom layers in every worker thread with
 * `NODE_OPTIONS=--require ./my-layers.cjs` (Node runs `--require` modules in worker threads too,
 * and tfjs-layers is CommonJS, so the class lands in the same registry the worker loads models
 * with). The tests do the same with this file.
 *
 * `HangOn({value})`: passes its input through, except that a batch holding `value` anywhere
 * spins forever, as a wasm kernel caught in a loop would: only terminating the thread stops it.
 */
import * as tfl from '@tensorflow/tfjs-layers';
import * as tf from '@tensorflow/tfjs-core';

class HangOn extends tfl.layers.Layer {
  static className = 'HangOn';
  readonly value: number;

  constructor(config: { value: number; name?: string; inputShape?: number[] }) {
    super(config);
    this.value = config.value;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0]! : inputs;
    if ((x.dataSync() as Float32Array).includes(this.value)) {
      // eslint-disable-next-line no-constant-condition
      for (;;) {
        // never returns
      }
    }
    return tf.clone(x);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), value: this.value };
  }
}

tf.serialization.registerClass(HangOn);

export = HangOn;
