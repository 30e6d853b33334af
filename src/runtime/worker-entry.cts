/**
 * The file piscina loads in each worker thread: CommonJS on purpose. Piscina `require()`s its
 * worker file first; on Node 20 that `require()` of an ES module graph (require(esm)) can abort
 * the whole process with "FATAL ERROR: v8::Module::IsGraphAsync … must be used on an
 * instantiated module" when the graph is still being loaded (seen about once in 100–150 runs
 * under load). Here the ES module is loaded by `import()` only, at thread start (so the eager
 * model load in worker.js still begins at once), and tasks wait for it.
 */
type WorkerModule = typeof import('./worker.js');

const loaded: Promise<WorkerModule> = import('./worker.js');

module.exports = async function runTask(task: Parameters<WorkerModule['default']>[0]): ReturnType<WorkerModule['default']> {
  return (await loaded).default(task);
};
