/**
 * The file the model host thread starts from (model/host.ts): CommonJS on purpose. A worker
 * thread inherits the parent's `execArgv`, and with `--input-type` (a library user running
 * `node --input-type=module -e …`) Node refuses an ES module as a thread's entry; a CommonJS
 * entry that `import()`s the host (host-thread.ts) starts either way, as piscina's workers do
 * (runtime/worker-entry.cts).
 */
void import('./host-thread.js');
