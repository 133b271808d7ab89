#!/usr/bin/python3
"""Train briefly and export small PyTorch models with a FIXED batch of 10, as users often do.

`torch.onnx.export` with a batch-10 example input and no `dynamic_axes` writes a graph whose
input is [10, ...] and whose reshapes hold the constant 10 (`x.view(x.size(0), -1)` is
folded to Reshape(shape=[10, -1])). zkinfer compiles such models with `--batch 1`; these
fixtures check that every place the original graph runs in onnxruntime copes with it.
The export keeps the BatchNormalization nodes (`training=TrainingMode.PRESERVE` on a model in
eval mode writes inference-mode BatchNormalization with its running statistics; torch's
default EVAL mode would fuse a Conv's BatchNorm into the Conv weights), so zkinfer's own
BatchNorm folding is exercised.

Data: Fashion-MNIST from the Debian package `dataset-fashion-mnist` (read with the IDX reader
of scripts/train_fashion_mnist.py), downsampled to 8x8 so that circuits stay small: the
central 24x24 pixels, averaged over 3x3 blocks, of pixel / 255 (values in [0, 1]), rounded to
4 decimals. Nothing is downloaded.

Models (input `input_0` [10,1,8,8] float32; opset 13), TRAINED BRIEFLY (Adam, 2 epochs over
the 60,000 training images, batches of 100, fixed seeds); their test accuracies on the 8x8
test split are printed and recorded in fixed_batch.json:
  fixed_mlp_b10.onnx          Flatten -> Linear(64,24) -> BatchNorm1d -> ReLU -> Linear(24,10)
  fixed_mlp_softmax_b10.onnx  the same, then Softmax(dim=1)
  fixed_cnn_b10.onnx          LeNet-style: Conv(1->2, 3x3) -> BatchNorm2d -> ReLU -> MaxPool(2)
                              -> Conv(2->4, 2x2) -> BatchNorm2d -> ReLU -> view(N, -1)
                              -> Linear(16,16) -> ReLU -> Linear(16,10)
  fixed_cnn_softmax_b10.onnx  the same, then Softmax(dim=1)

It also writes fixed_batch.json: `calibration`, the first 64 training images (8x8, nested as
[1,1,8,8] inputs); per model the input/output names, the sample batch (test images 0..9,
flat) with its labels and torch's output for it, and the test accuracy.

Run with the Debian interpreter (python3-torch 1.13, python3-onnx 1.12, python3-numpy):
  /usr/bin/python3 scripts/export_fixed_batch.py [--data-dir DIR]
Deterministic for a given torch build: fixed seeds, one thread,
torch.use_deterministic_algorithms(True).
"""

import argparse
import json
import os
import sys
import warnings

import numpy as np
import onnx
import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import train_fashion_mnist as fm  # noqa: E402  (IDX reader, determinism, evaluation)

SEED = 20251202
BATCH = 10
SIDE = 8
EPOCHS = 2
REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
OUT_DIR = os.path.join(REPO_ROOT, "test", "fixtures", "models")

# torch warns that constant folding in PRESERVE mode may alter the parameters of a model in
# training mode; these models are exported in eval mode.
warnings.filterwarnings("ignore", message="It is recommended that constant folding be turned off")


def downsample(images_u8):
    """uint8 [N,28,28] -> float32 [N,1,8,8]: central 24x24, 3x3 block means of pixel/255, 4 decimals."""
    x = images_u8[:, 2:26, 2:26].astype(np.float32) / np.float32(255.0)
    x = x.reshape(-1, SIDE, 3, SIDE, 3).mean(axis=(2, 4))
    return np.round(x, 4).astype(np.float32)[:, None, :, :]


class Mlp(nn.Module):
    def __init__(self, softmax):
        super().__init__()
        self.body = nn.Sequential(nn.Flatten(), nn.Linear(SIDE * SIDE, 24), nn.BatchNorm1d(24), nn.ReLU(), nn.Linear(24, 10))
        self.softmax = nn.Softmax(dim=1) if softmax else None

    def forward(self, x):
        y = self.body(x)
        return self.softmax(y) if self.softmax is not None and not self.training else y


class LeNetSmall(nn.Module):
    def __init__(self, softmax):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.ReLU(), nn.MaxPool2d(2),   # [2,6,6] -> [2,3,3]
            nn.Conv2d(2, 4, 2), nn.BatchNorm2d(4), nn.ReLU(),                    # [4,2,2]
        )
        self.classifier = nn.Sequential(nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 10))
        self.softmax = nn.Softmax(dim=1) if softmax else None

    def forward(self, x):
        x = self.features(x)
        x = x.view(x.size(0), -1)  # the common LeNet idiom; exported as Reshape(shape=[10, -1])
        y = self.classifier(x)
        return self.softmax(y) if self.softmax is not None and not self.training else y


def train(model, x, y, seed):
    """Adam on cross-entropy over the logits (the Softmax layer, if any, is skipped in training)."""
    gen = torch.Generator().manual_seed(seed)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    loss_fn = nn.CrossEntropyLoss()
    n = x.shape[0]
    for _ in range(EPOCHS):
        model.train()
        perm = torch.randperm(n, generator=gen)
        for i in range(0, n, 100):
            idx = perm[i:i + 100]
            opt.zero_grad()
            loss_fn(model(x[idx]), y[idx]).backward()
            opt.step()
    model.eval()


def export(name, make, seed, output_name, data):
    x_train, y_train, x_test, y_test = data
    torch.manual_seed(seed)
    model = make()  # constructed after seeding: the initialisation is reproducible
    train(model, x_train, y_train, seed + 1)
    accuracy = fm.evaluate(model, x_test, y_test)
    x = x_test[:BATCH]
    path = os.path.join(OUT_DIR, f"{name}.onnx")
    torch.onnx.export(model, x, path, input_names=["input_0"], output_names=[output_name],
                      opset_version=13, do_constant_folding=True, export_params=True,
                      training=torch.onnx.TrainingMode.PRESERVE)
    with torch.no_grad():
        out = model(x).numpy()
    m = onnx.load(path)
    onnx.checker.check_model(m, full_check=True)
    print(f"{name}.onnx: {os.path.getsize(path)} bytes, test accuracy {accuracy:.4f}, ops {[n.op_type for n in m.graph.node]}")
    return {
        "file": f"{name}.onnx",
        "testAccuracy": round(accuracy, 4),
        "input": {"name": "input_0", "shape": [BATCH, 1, SIDE, SIDE], "data": [round(float(v), 4) for v in x.numpy().flatten()],
                  "labels": [int(v) for v in y_test[:BATCH]]},
        "output": {"name": output_name, "shape": list(out.shape), "data": [round(float(v), 6) for v in out.flatten()]},
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data-dir", default=os.environ.get("FASHION_MNIST_DIR", fm.DEFAULT_DATA_DIR))
    args = ap.parse_args()
    fm.SEED = SEED
    fm.set_determinism()
    train_u8, train_y = fm.load_split(args.data_dir, "train")
    test_u8, test_y = fm.load_split(args.data_dir, "test")
    data = (torch.from_numpy(downsample(train_u8)), torch.from_numpy(train_y.astype(np.int64)),
            torch.from_numpy(downsample(test_u8)), torch.from_numpy(test_y.astype(np.int64)))
    os.makedirs(OUT_DIR, exist_ok=True)
    calibration = downsample(train_u8[:64])
    fixtures = {
        "calibration": [[[[[round(float(v), 4) for v in row] for row in img[0]]]] for img in calibration],
        "models": {
            "fixed_mlp_b10": export("fixed_mlp_b10", lambda: Mlp(False), SEED, "logits", data),
            "fixed_mlp_softmax_b10": export("fixed_mlp_softmax_b10", lambda: Mlp(True), SEED + 10, "probabilities", data),
            "fixed_cnn_b10": export("fixed_cnn_b10", lambda: LeNetSmall(False), SEED + 20, "logits", data),
            "fixed_cnn_softmax_b10": export("fixed_cnn_softmax_b10", lambda: LeNetSmall(True), SEED + 30, "probabilities", data),
        },
    }
    with open(os.path.join(OUT_DIR, "fixed_batch.json"), "w") as f:
        json.dump(fixtures, f, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {len(fixtures['models'])} models and fixed_batch.json to {OUT_DIR}")


if __name__ == "__main__":
    main()
