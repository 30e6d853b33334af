"""Trains and exports the rating model of this example as two TensorFlow SavedModels.

The model is the one of the Cloud ML Engine "instance keys" tutorial (batch prediction with
keys): a user embedding and a movie embedding, multiplied element-wise, then dense layers that
give a rating. It is trained here for a few epochs on synthetic ratings (a fixed seed: a user
likes a movie when their hidden tastes agree), so the example needs no download. Then exported
twice with tf.saved_model.save:

  model/           signature serving_default: userId int32 [-1,1], movieId int32 [-1,1]
                   -> rating float32 [-1,1]. Sluice keeps the key (`key.field` + `forward`,
                   the tutorial's `forward_features` way).
  model-with-key/  the same weights; signature serving_default also takes `key` string [-1]
                   and gives it back as output `key` beside `rating`: the key goes through
                   the graph, as in the tutorial's second variant.

It also writes data/ratings.jsonl (the instances to predict) and the golden output
expected/predictions.jsonl and expected/predictions-key-in-graph.jsonl: Python TensorFlow's
own predictions for them, which the example's test compares Sluice with.

Run from this folder with Python TensorFlow (the project's reference venv works:
scripts/python-ref.sh):  ../../.python-ref/bin/python train_and_export.py
Made with TensorFlow 2.21.0 (tensorflow-cpu), Keras 3.
"""
import json
import os

import numpy as np
import tensorflow as tf

HERE = os.path.dirname(os.path.abspath(__file__))
USERS, MOVIES, DIM = 50, 40, 8

tf.keras.utils.set_random_seed(7)
rng = np.random.default_rng(7)


def ratings_model():
    user = tf.keras.Input(shape=(1,), dtype='int32', name='userId')
    movie = tf.keras.Input(shape=(1,), dtype='int32', name='movieId')
    u = tf.keras.layers.Flatten()(tf.keras.layers.Embedding(USERS, DIM, name='user_embedding')(user))
    m = tf.keras.layers.Flatten()(tf.keras.layers.Embedding(MOVIES, DIM, name='movie_embedding')(movie))
    x = tf.keras.layers.Multiply()([u, m])
    x = tf.keras.layers.Dense(16, activation='relu')(x)
    x = tf.keras.layers.Dense(8, activation='relu')(x)
    rating = tf.keras.layers.Dense(1, name='rating')(x)
    return tf.keras.Model([user, movie], rating)


def synthetic_ratings(n):
    tastes_u = rng.normal(size=(USERS, 3))
    tastes_m = rng.normal(size=(MOVIES, 3))
    users = rng.integers(0, USERS, size=n)
    movies = rng.integers(0, MOVIES, size=n)
    score = (tastes_u[users] * tastes_m[movies]).sum(axis=1)
    stars = np.clip(np.round(3 + score), 1, 5).astype(np.float32)
    return users.astype(np.int32)[:, None], movies.astype(np.int32)[:, None], stars[:, None]


class Serving(tf.Module):
    """The trained model's computation over plain tf.Variables holding its weights.

    Why not the Keras model itself: a SavedModel whose variables are Keras 3 variables loads in
    Python, but TensorFlow's C API loader (TF_LoadSessionFromSavedModel, what tfjs-node and so
    Sluice use) then fails every call with "Could not find variable rating/bias". The same
    weights in tf.Variables restore in both, and compute the same function.
    """

    def __init__(self, model):
        super().__init__()
        self.weights = [tf.Variable(w, trainable=False) for w in model.get_weights()]

    def model(self, inputs, training=False):
        user_emb, movie_emb, k1, b1, k2, b2, k3, b3 = self.weights
        userId, movieId = inputs
        x = tf.gather(user_emb, userId[:, 0]) * tf.gather(movie_emb, movieId[:, 0])
        x = tf.nn.relu(tf.matmul(x, k1) + b1)
        x = tf.nn.relu(tf.matmul(x, k2) + b2)
        return tf.matmul(x, k3) + b3

    @tf.function(input_signature=[tf.TensorSpec([None, 1], tf.int32, name='userId'), tf.TensorSpec([None, 1], tf.int32, name='movieId')])
    def serve(self, userId, movieId):
        return {'rating': self.model([userId, movieId], training=False)}

    @tf.function(input_signature=[
        tf.TensorSpec([None], tf.string, name='key'),
        tf.TensorSpec([None, 1], tf.int32, name='userId'),
        tf.TensorSpec([None, 1], tf.int32, name='movieId'),
    ])
    def serve_with_key(self, key, userId, movieId):
        return {'key': tf.identity(key), 'rating': self.model([userId, movieId], training=False)}


def main():
    model = ratings_model()
    model.compile(optimizer=tf.keras.optimizers.Adam(0.01), loss='mse')
    users, movies, stars = synthetic_ratings(4000)
    model.fit([users, movies], stars, epochs=8, batch_size=64, verbose=0)

    assert [w.shape for w in model.get_weights()] == [(USERS, DIM), (MOVIES, DIM), (DIM, 16), (16,), (16, 8), (8,), (8, 1), (1,)]
    serving = Serving(model)
    tf.saved_model.save(serving, os.path.join(HERE, 'model'), signatures={'serving_default': serving.serve})
    tf.saved_model.save(serving, os.path.join(HERE, 'model-with-key'), signatures={'serving_default': serving.serve_with_key})

    # The instances: 24 (user, movie) pairs with keys, as a batch prediction job would get them.
    u, m, _ = synthetic_ratings(24)
    instances = [{'key': f'rating-{i:03d}', 'userId': int(u[i, 0]), 'movieId': int(m[i, 0])} for i in range(len(u))]
    os.makedirs(os.path.join(HERE, 'data'), exist_ok=True)
    with open(os.path.join(HERE, 'data', 'ratings.jsonl'), 'w') as f:
        for inst in instances:
            f.write(json.dumps(inst) + '\n')

    # Golden output: the exported SavedModels, loaded back and called by Python TensorFlow.
    os.makedirs(os.path.join(HERE, 'expected'), exist_ok=True)
    plain = tf.saved_model.load(os.path.join(HERE, 'model')).signatures['serving_default']
    keyed = tf.saved_model.load(os.path.join(HERE, 'model-with-key')).signatures['serving_default']
    ids = {k: tf.constant([[inst[k]] for inst in instances], tf.int32) for k in ('userId', 'movieId')}
    ratings = plain(**ids)['rating'].numpy()
    with open(os.path.join(HERE, 'expected', 'predictions.jsonl'), 'w') as f:
        for inst, r in zip(instances, ratings):
            f.write(json.dumps({'key': inst['key'], 'prediction': [float(r[0])], 'userId': inst['userId'], 'movieId': inst['movieId']}) + '\n')
    out = keyed(key=tf.constant([inst['key'] for inst in instances]), **ids)
    with open(os.path.join(HERE, 'expected', 'predictions-key-in-graph.jsonl'), 'w') as f:
        for k, r in zip(out['key'].numpy(), out['rating'].numpy()):
            f.write(json.dumps({'key': k.decode(), 'rating': [float(r[0])]}) + '\n')


if __name__ == '__main__':
    main()
