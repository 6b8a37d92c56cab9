"""Keras 3 on TensorFlow: the same model, data, batch size, SGD with momentum and threads as inertia.

Trains with `model.fit` (Keras's default compiled step), one warm-up epoch (tracing included)
timed separately, then --epochs timed epochs; prints one JSON line (see common.py).
"""
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from common import load_data, load_model_spec, parse_args, summarize  # noqa: E402

args = parse_args(__doc__)

import tensorflow as tf  # noqa: E402

tf.config.threading.set_intra_op_parallelism_threads(args.threads)
tf.config.threading.set_inter_op_parallelism_threads(args.inter_op)
import keras  # noqa: E402

keras.utils.set_random_seed(args.seed)


def build(spec):
    layers = [keras.Input(shape=tuple(spec["input_shape"]))]
    for layer in spec["layers"]:
        kind = layer["type"]
        if kind == "dense":
            layers.append(keras.layers.Dense(layer["units"], activation=layer["activation"]))
        elif kind == "conv2d":
            layers.append(keras.layers.Conv2D(layer["filters"], tuple(layer["kernel_size"]), strides=tuple(layer["strides"]),
                                              padding=layer["padding"], activation=layer["activation"]))
        elif kind == "max_pooling2d":
            layers.append(keras.layers.MaxPooling2D(tuple(layer["pool_size"]), strides=tuple(layer["strides"]), padding=layer["padding"]))
        elif kind == "flatten":
            layers.append(keras.layers.Flatten())
        elif kind == "reshape":
            layers.append(keras.layers.Reshape(tuple(layer["target_shape"])))
        elif kind == "dropout":
            layers.append(keras.layers.Dropout(layer["rate"]))
        elif kind == "batch_normalization":
            layers.append(keras.layers.BatchNormalization(momentum=layer["momentum"], epsilon=layer["epsilon"]))
        else:
            raise SystemExit(f"keras_train.py: layer type {kind!r} is not supported; add it here")
    return keras.Sequential(layers)


header, (train_x, train_y), (test_x, test_y) = load_data(args.data)
spec = load_model_spec(args.model)
shape = (-1, *spec["input_shape"])
train_x, test_x = train_x.reshape(shape), test_x.reshape(shape)

model = build(spec)
model.compile(
    optimizer=keras.optimizers.SGD(learning_rate=args.lr, momentum=args.momentum),
    loss=keras.losses.SparseCategoricalCrossentropy(from_logits=spec.get("from_logits", True)),
    metrics=["accuracy"],
)

def epoch():
    start = time.perf_counter()
    model.fit(train_x, train_y, batch_size=args.batch_size, epochs=1, shuffle=True, verbose=0)
    return time.perf_counter() - start


warmup = epoch()
seconds = [epoch() for _ in range(args.epochs)]
_, accuracy = model.evaluate(test_x, test_y, batch_size=1000, verbose=0)

summarize(
    "keras", {"keras": keras.__version__, "tensorflow": tf.__version__, "keras_backend": keras.backend.backend()},
    args, spec, header, len(train_y), len(test_y),
    {"intra_op": tf.config.threading.get_intra_op_parallelism_threads(),
     "inter_op": tf.config.threading.get_inter_op_parallelism_threads()},
    warmup, seconds, float(accuracy), int(model.count_params()),
    {"jit_compile": bool(model.jit_compile), "onednn": os.environ.get("TF_ENABLE_ONEDNN_OPTS", "default")},
)
