// Runs after tsc: makes the compiled CLI executable (tsc keeps the shebang, not the mode bit),
// precompiles the pipeline validator with ajv's standalone code (and V8's code cache of it), so
// neither the CLI nor each worker thread pays ~75 ms compiling the schema at start-up, and
// lists tfjs-layers' classes.
import fs from 'node:fs';
import standaloneModule from 'ajv/dist/standalone/index.js';

const standaloneCode = standaloneModule.default ?? standaloneModule;
const dist = new URL('../dist/', import.meta.url);
const cli = new URL('src/cli/main.js', dist);
if (fs.existsSync(cli)) fs.chmodSync(cli, 0o755);

const { createAjv } = await import(new URL('src/config/ajv.js', dist).href);
const { pipelineSchema } = await import(new URL('src/config/schema.js', dist).href);
const { PRECOMPILED_FILE, CODE_CACHE_FILE, loadPrecompiled, schemaHash } = await import(new URL('src/config/precompiled.js', dist).href);
const { builtinStages } = await import(new URL('stages/index.js', dist).href);
const schema = pipelineSchema(builtinStages);
const ajv = createAjv({ source: true });
const code = standaloneCode(ajv, ajv.compile(schema));
fs.writeFileSync(new URL(`src/config/${PRECOMPILED_FILE}`, dist), `${code}\nmodule.exports.hash = ${JSON.stringify(schemaHash(schema))};\n`);
// V8's code cache of the validator after one call, which compiles it (it is one function).
const precompiled = loadPrecompiled();
precompiled.validate({ source: { type: 'jsonl', uri: 'in' }, decode: { type: 'json', features: {} }, model: { type: 'tfjs', uri: 'model.json' }, sink: { type: 'jsonl', uri: 'out' } });
fs.writeFileSync(new URL(`src/config/${CODE_CACHE_FILE}`, dist), precompiled.script.createCachedData());

// The classes tfjs-layers registers, for its version: the model check (src/model/layer-classes.ts)
// then knows a model made only of them without importing TensorFlow.js in the CLI process.
const { serialization } = await import('@tensorflow/tfjs-core');
await import('@tensorflow/tfjs-layers');
const { LAYER_CLASSES_FILE } = await import(new URL('src/model/layer-classes.js', dist).href);
const layersVersion = JSON.parse(fs.readFileSync(new URL('../node_modules/@tensorflow/tfjs-layers/package.json', import.meta.url), 'utf8')).version;
const classes = Object.keys(serialization.SerializationMap.getMap().classNameMap).sort();
fs.writeFileSync(new URL(`src/model/${LAYER_CLASSES_FILE}`, dist), `${JSON.stringify({ version: layersVersion, classes })}\n`);
