/**
 * The file piscina loads in each online-prediction worker thread: CommonJS so that Node 20 never
 * `require()`s the ES module graph (see src/runtime/worker-entry.cts for the abort this avoids).
 */
type WorkerModule = typeof import('./worker.js');

const loaded: Promise<WorkerModule> = import('./worker.js');

module.exports = async function runBatch(task: Parameters<WorkerModule['default']>[0]): ReturnType<WorkerModule['default']> {
  return (await loaded).default(task);
};
