#!/usr/bin/python3
"""Train the reduced Fashion-MNIST MLP used by the proof-system benchmark and export it to ONNX.

Model: Flatten -> Linear(196, 32) -> ReLU -> Linear(32, 10), a 196-32-10 MLP on Fashion-MNIST
downsampled to 14x14 (2x2 block means of pixel / 255). It stands in for the 784-128-10 example
where a PLONK-style setup of the full model would not fit this machine
(scripts/bench-proof-systems.ts derives its calibration and input from the example's files
with the same 2x2 means).

Data: the Debian package `dataset-fashion-mnist` (read by scripts/train_fashion_mnist.py's
loader). Nothing is downloaded.

Output: test/fixtures/models/mlp_196_32_10.onnx, input `input` [1,1,14,14] -> `logits` [1,10],
opset 13; prints the test accuracy.

Run with the Debian interpreter (python3-torch, python3-onnx):
  /usr/bin/python3 scripts/make_reduced_mlp.py [--epochs 3]

Deterministic: the example trainer's seeds and settings; the same torch build gives the same bytes.
"""

import argparse
import os
import sys

import numpy as np
import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(__file__))
from train_fashion_mnist import (  # noqa: E402
    DEFAULT_DATA_DIR, REPO_ROOT, SEED, evaluate, load_split, preprocess, set_determinism,
)

OUT = os.path.join(REPO_ROOT, "test", "fixtures", "models", "mlp_196_32_10.onnx")


def downsample(x):
    """float32 [N,1,28,28] -> [N,1,14,14], the mean of each 2x2 block."""
    return x.reshape(x.shape[0], 1, 14, 2, 14, 2).mean(axis=(3, 5)).astype(np.float32)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data-dir", default=os.environ.get("FASHION_MNIST_DIR", DEFAULT_DATA_DIR))
    ap.add_argument("--epochs", type=int, default=3)
    args = ap.parse_args()
    set_determinism()

    train_u8, train_y = load_split(args.data_dir, "train")
    test_u8, test_y = load_split(args.data_dir, "test")
    x_train = torch.from_numpy(downsample(preprocess(train_u8)))
    y_train = torch.from_numpy(train_y.astype(np.int64))
    x_test = torch.from_numpy(downsample(preprocess(test_u8)))
    y_test = torch.from_numpy(test_y.astype(np.int64))

    model = nn.Sequential(nn.Flatten(), nn.Linear(196, 32), nn.ReLU(), nn.Linear(32, 10))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    gen = torch.Generator().manual_seed(SEED)
    n = x_train.shape[0]
    for _ in range(args.epochs):
        model.train()
        perm = torch.randperm(n, generator=gen)
        for i in range(0, n, 128):
            idx = perm[i:i + 128]
            opt.zero_grad()
            loss_fn(model(x_train[idx]), y_train[idx]).backward()
            opt.step()
    print(f"test accuracy: {evaluate(model, x_test, y_test):.4f}")

    model.eval()
    torch.onnx.export(model, x_test[0:1], OUT, input_names=["input"], output_names=["logits"],
                      opset_version=13, do_constant_folding=True, export_params=True)
    import onnx
    onnx.checker.check_model(onnx.load(OUT), full_check=True)
    print(f"wrote {OUT} ({os.path.getsize(OUT)} bytes)")


if __name__ == "__main__":
    main()
