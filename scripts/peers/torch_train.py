"""PyTorch: the same model, data, batch size, SGD with momentum and threads as inertia.

A plain eager loop (zero_grad, forward, cross-entropy, backward, step) over a seeded shuffle,
one warm-up epoch timed separately, then --epochs timed epochs; prints one JSON line (see common.py).
Images are NCHW here and NHWC in TensorFlow: the same network up to a permutation of weights.
"""
import os
import time

from common import load_data, load_model_spec, parse_args, summarize

args = parse_args(__doc__)

import torch  # noqa: E402
from torch import nn  # noqa: E402

torch.set_num_threads(args.threads)
torch.set_num_interop_threads(args.inter_op)
torch.manual_seed(args.seed)

# The bench's oneDNN setting reaches the peers as TF_ENABLE_ONEDNN_OPTS (what TensorFlow, and so
# Keras, reads when it loads); PyTorch's own oneDNN kernels (mkldnn) follow the same switch.
ONEDNN = os.environ.get("TF_ENABLE_ONEDNN_OPTS")
if ONEDNN is not None and ONEDNN.strip() != "":
    torch.backends.mkldnn.enabled = ONEDNN.strip().lower() not in ("0", "false")

ACTIVATIONS = {"relu": nn.ReLU, "linear": None}


def activation(name):
    if name not in ACTIVATIONS:
        raise SystemExit(f"torch_train.py: activation {name!r} is not supported; add it here")
    return [ACTIVATIONS[name]()] if ACTIVATIONS[name] else []


def build(spec):
    """Builds the layer list, tracking the (channels, height, width) or (features,) shape."""
    input_shape = spec["input_shape"]
    shape = (input_shape[2], input_shape[0], input_shape[1]) if len(input_shape) == 3 else tuple(input_shape)
    modules = []
    for layer in spec["layers"]:
        kind = layer["type"]
        if kind == "dense":
            modules += [nn.Linear(shape[0], layer["units"]), *activation(layer["activation"])]
            shape = (layer["units"],)
        elif kind == "conv2d":
            if layer["padding"] == "same" and tuple(layer["strides"]) != (1, 1):
                raise SystemExit("torch_train.py: padding 'same' with strides other than 1 is not supported")
            conv = nn.Conv2d(shape[0], layer["filters"], tuple(layer["kernel_size"]), stride=tuple(layer["strides"]),
                             padding=layer["padding"])
            modules += [conv, *activation(layer["activation"])]
            shape = _conv_shape(conv, shape)
        elif kind == "max_pooling2d":
            if layer["padding"] != "valid":
                raise SystemExit("torch_train.py: only padding 'valid' is supported for max pooling")
            pool = nn.MaxPool2d(tuple(layer["pool_size"]), stride=tuple(layer["strides"]))
            modules.append(pool)
            shape = _conv_shape(pool, shape)
        elif kind == "flatten":
            modules.append(nn.Flatten())
            shape = (int(torch.tensor(shape).prod()),)
        elif kind == "reshape":
            target = layer["target_shape"]
            shape = (target[2], target[0], target[1]) if len(target) == 3 else tuple(target)
            modules.append(nn.Unflatten(1, shape))
        elif kind == "dropout":
            modules.append(nn.Dropout(layer["rate"]))
        else:
            raise SystemExit(f"torch_train.py: layer type {kind!r} is not supported; add it here")
    return nn.Sequential(*modules)


def _conv_shape(module, shape):
    with torch.no_grad():
        return tuple(module(torch.zeros(1, *shape)).shape[1:])


header, (train_x, train_y), (test_x, test_y) = load_data(args.data)
spec = load_model_spec(args.model)
input_shape = spec["input_shape"]
torch_shape = (-1, input_shape[2], input_shape[0], input_shape[1]) if len(input_shape) == 3 else (-1, *input_shape)
# NHWC -> NCHW for one channel is a plain reshape.
train_x = torch.from_numpy(train_x).reshape(torch_shape).contiguous()
test_x = torch.from_numpy(test_x).reshape(torch_shape).contiguous()
train_y = torch.from_numpy(train_y).long()
test_y = torch.from_numpy(test_y).long()

model = build(spec)
optimizer = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=args.momentum)
loss_fn = nn.CrossEntropyLoss()
generator = torch.Generator().manual_seed(args.seed)


def epoch():
    start = time.perf_counter()
    model.train()
    order = torch.randperm(len(train_y), generator=generator)
    for begin in range(0, len(order), args.batch_size):
        index = order[begin:begin + args.batch_size]
        optimizer.zero_grad(set_to_none=True)
        loss = loss_fn(model(train_x[index]), train_y[index])
        loss.backward()
        optimizer.step()
    return time.perf_counter() - start


def blas_info():
    config = torch.__config__.show()
    return config.split("BLAS_INFO=")[1].split(",")[0] if "BLAS_INFO=" in config else "unknown"


def accuracy():
    model.eval()
    correct = 0
    with torch.no_grad():
        for begin in range(0, len(test_y), 1000):
            logits = model(test_x[begin:begin + 1000])
            correct += int((logits.argmax(1) == test_y[begin:begin + 1000]).sum())
    return correct / len(test_y)


warmup = epoch()
seconds = [epoch() for _ in range(args.epochs)]
summarize(
    "pytorch", {"torch": torch.__version__, "blas": blas_info()},
    args, spec, header, len(train_y), len(test_y),
    {"intra_op": torch.get_num_threads(), "inter_op": torch.get_num_interop_threads()},
    warmup, seconds, accuracy(), sum(p.numel() for p in model.parameters()),
    {"onednn": "1" if torch.backends.mkldnn.enabled else "0"},
)
