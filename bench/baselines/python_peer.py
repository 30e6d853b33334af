"""The peer a user would pick instead of Sluice: a plain Python TensorFlow script.

Reads the benchmark's JSONL ({"id": n, "x": [...]}) line by line, calls the same Keras model
(the bench's tfjs LayersModel rebuilt in Keras from its model.json, weights read from its
weights.bin) on batches of 256, and writes one JSON row per record ({"id": n, "prediction":
[...]}). Run as a whole process by bench/run.ts, timed like Sluice, start-up included.

Usage: python python_peer.py <model.json> <data.jsonl> <out.jsonl>
Prints: {"rows": <n>, "loopSeconds": <s>}
"""
import json
import os
import sys
import time

os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '3')
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

BATCH = 256


def keras_model(model_json):
    """The MLP of a bench model.json: Dense layers in order, weights from its manifest."""
    with open(model_json) as f:
        spec = json.load(f)
    topology = spec['modelTopology']
    layers = topology.get('model_config', topology)['config']['layers']
    dense = [layer['config'] for layer in layers if layer['class_name'] == 'Dense']
    first = next(layer['config'] for layer in layers if layer['class_name'] == 'InputLayer')
    shape = first.get('batch_input_shape') or first.get('batchInputShape') or first.get('batch_shape')
    inputs = tf.keras.Input(shape=(shape[-1],))
    h = inputs
    for cfg in dense:
        h = tf.keras.layers.Dense(cfg['units'], activation=cfg['activation'])(h)
    model = tf.keras.Model(inputs, h)
    weights = []
    base = os.path.dirname(model_json)
    for group in spec['weightsManifest']:
        data = b''.join(open(os.path.join(base, p), 'rb').read() for p in group['paths'])
        offset = 0
        for w in group['weights']:
            n = int(np.prod(w['shape']))
            weights.append(np.frombuffer(data, dtype=np.float32, count=n, offset=offset).reshape(w['shape']))
            offset += 4 * n
    model.set_weights(weights)
    return model


def main():
    model_json, data, out_path = sys.argv[1:4]
    model = keras_model(model_json)
    start = time.perf_counter()
    rows = 0
    with open(data) as inp, open(out_path, 'w') as out:
        ids, xs = [], []

        def flush():
            y = model(np.asarray(xs, dtype=np.float32), training=False).numpy()
            out.write(''.join(json.dumps({'id': i, 'prediction': p.tolist()}) + '\n' for i, p in zip(ids, y)))
            ids.clear()
            xs.clear()

        for line in inp:
            if not line.strip():
                continue
            rec = json.loads(line)
            ids.append(rec['id'])
            xs.append(rec['x'])
            rows += 1
            if len(xs) == BATCH:
                flush()
        if xs:
            flush()
    print(json.dumps({'rows': rows, 'loopSeconds': time.perf_counter() - start}))


if __name__ == '__main__':
    main()
