/**
 * How many TensorFlow.js tensors are alive in this thread, for the tensor-leak guard, without the
 * engine importing tfjs: the model stage, which loads tfjs anyway, installs the meter when it is
 * created (`setTensorMeter(() => tf.memory().numTensors)`); until then there is nothing to meter.
 */

let meter: (() => number) | undefined;

/**
 * Installs the function that counts live tensors in this thread (the model stage does).
 *
 * @example
 * setTensorMeter(() => tf.memory().numTensors);
 */
export function setTensorMeter(fn: () => number): void {
  meter = fn;
}

/** Live tensors in this thread, or undefined when no tfjs stage has installed a meter. */
export function liveTensors(): number | undefined {
  return meter?.();
}

/**
 * Watches one stage for tensors it leaves behind: the count of live tensors before and after each
 * unit of its work (a chunk, a batch) should be equal. A stage that keeps tensors once (a lookup
 * table made on its first chunk) is not a leak; one that leaves some behind in `LEAKY_UNITS` units
 * grows without bound over millions of rows, and is reported once per thread.
 *
 * @example
 * const guard = new LeakGuard('/post/1 (post/my-step)');
 * const before = liveTensors(); work(); guard.observe(before, liveTensors());
 * guard.warning() // 'the stage /post/1 (post/my-step) leaves TensorFlow.js tensors behind: …' (once)
 */
export class LeakGuard {
  /** Units of work that left tensors behind before a warning is given. */
  static readonly LEAKY_UNITS = 3;
  private leaked = 0;
  private leakyUnits = 0;
  private units = 0;
  private first: number | undefined;
  private last: number | undefined;
  private warned = false;

  constructor(readonly stage: string) {}

  /** Records one unit of work with the live-tensor counts around it (undefined: not metered). */
  observe(before: number | undefined, after: number | undefined): void {
    if (before === undefined || after === undefined) return;
    this.units++;
    this.first ??= before;
    this.last = after;
    if (after > before) {
      this.leaked += after - before;
      this.leakyUnits++;
    }
  }

  /** Tensors this stage has left behind so far in this thread. */
  get leakedTensors(): number {
    return this.leaked;
  }

  /** The one-line warning, the first time the stage counts as leaking; afterwards undefined. */
  warning(): string | undefined {
    if (this.warned || this.leakyUnits < LeakGuard.LEAKY_UNITS) return undefined;
    this.warned = true;
    return (
      `the stage ${this.stage} leaves TensorFlow.js tensors behind: ${this.leaked} in ${this.leakyUnits} of ${this.units} ` +
      `chunks so far (live tensors ${this.first} → ${this.last}); it must dispose every tensor it makes (tf.tidy, tensor.dispose()), ` +
      `or this worker's memory grows until it fails`
    );
  }
}
