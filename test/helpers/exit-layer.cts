/**
 * A real TensorFlow.js custom layer that ends the thread running it for one input value, for
 * the model host tests: `process.exit()` in a worker thread stops that thread (exit code 7), as
 * a crash of the model host thread would. CommonJS and registered with `NODE_OPTIONS=--require`,
 * as hang-layer.cts (which says why), whose constructor and config it shares.
 *
 * `ExitOn({value})`: passes its input through, except that a batch holding `value` anywhere
 * ends the thread while the environment has EXIT_LAYER_ARMED=1 (a rerun unarmed predicts it).
 */
import * as tf from '@tensorflow/tfjs-core';
import HangOn = require('./hang-layer.cjs');

class ExitOn extends HangOn {
  static override className = 'ExitOn';

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0]! : inputs;
    if (process.env.EXIT_LAYER_ARMED === '1' && (x.dataSync() as Float32Array).includes(this.value)) process.exit(7);
    return tf.clone(x);
  }
}

tf.serialization.registerClass(ExitOn);

export = ExitOn;
