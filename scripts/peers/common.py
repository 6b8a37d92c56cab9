"""Shared by the peer scripts: arguments, the dataset files `inertia bench` exports, and the result line.

The dataset folder holds `header.json` and raw little-endian arrays: `<split>-images.f32`
(count x 784 float32 in [0, 1]) and `<split>-labels.i32` (count int32), for split train and test.
The model comes as a layer list (`model.json`) read from inertia's own tf.Sequential, so the
peers train exactly the architecture inertia trains.
"""
import argparse
import json
import os
import platform
import statistics
import sys

import numpy as np


def parse_args(description):
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--data", required=True, help="folder exported by inertia bench (header.json + raw arrays)")
    parser.add_argument("--model", required=True, help="model.json: input_shape and layer list")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--lr", type=float, default=0.05)
    parser.add_argument("--momentum", type=float, default=0.9)
    parser.add_argument("--epochs", type=int, default=1, help="timed epochs after one warm-up epoch")
    parser.add_argument("--threads", type=int, default=1, help="intra-op threads")
    parser.add_argument("--inter-op", type=int, default=1, help="inter-op threads")
    parser.add_argument("--seed", type=int, default=1)
    return parser.parse_args()


def load_split(folder, header, split):
    count = header[split]["count"]
    images = np.fromfile(os.path.join(folder, f"{split}-images.f32"), dtype="<f4")
    labels = np.fromfile(os.path.join(folder, f"{split}-labels.i32"), dtype="<i4")
    if images.size != count * 784 or labels.size != count:
        sys.exit(f"{folder}: {split} arrays hold {images.size} floats and {labels.size} labels, header says {count} samples")
    return images.reshape(count, 784), labels


def load_data(folder):
    with open(os.path.join(folder, "header.json"), encoding="utf-8") as file:
        header = json.load(file)
    return header, load_split(folder, header, "train"), load_split(folder, header, "test")


def load_model_spec(path):
    with open(path, encoding="utf-8") as file:
        return json.load(file)


def summarize(framework, versions, args, spec, header, train_count, test_count, threads,
              warmup_seconds, epoch_seconds, test_accuracy, parameters, extra=None):
    """Prints the one JSON result line the bench reads."""
    median = statistics.median(epoch_seconds)
    result = {
        "framework": framework,
        "versions": versions,
        "python": platform.python_version(),
        "model": spec.get("name", "model"),
        "dataset": header.get("dataset", "unknown"),
        "train_count": train_count,
        "test_count": test_count,
        "batch_size": args.batch_size,
        "learning_rate": args.lr,
        "momentum": args.momentum,
        "threads": threads,
        "parameters": parameters,
        "warmup_seconds": warmup_seconds,
        "epoch_seconds": epoch_seconds,
        "seconds_per_epoch": median,
        "samples_per_second": train_count / median,
        "test_accuracy": test_accuracy,
    }
    if extra:
        result.update(extra)
    print(json.dumps(result, sort_keys=True), flush=True)
