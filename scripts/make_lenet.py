#!/usr/bin/python3
"""Train the zkinfer LeNet-5 example (Fashion-MNIST) and export it to ONNX.

Model (LeNet-5 with ReLU and max pooling, on 28x28 input):
  Conv(1->6, 5x5, pad 2) -> ReLU -> MaxPool(2)        [6,28,28] -> [6,14,14]
  Conv(6->16, 5x5)        -> ReLU -> MaxPool(2)        [16,10,10] -> [16,5,5]
  Flatten -> Linear(400,120) -> ReLU -> Linear(120,84) -> ReLU -> Linear(84,10)
Preprocessing: pixel / 255, float32 in [0, 1] (the transform of src/data/fashion-mnist.ts).

Data: the Debian package `dataset-fashion-mnist` (/usr/share/datasets/fashion-mnist).
Nothing is downloaded. The IDX reader and sample writers are those of
scripts/train_fashion_mnist.py.

Outputs (relative to the repository root):
  examples/lenet/model.onnx         input `input` [1,1,28,28] -> `logits` [1,10], opset 13
  examples/lenet/input.json         test image 0 as {"input": [[[[28x28]]]], "label": n, "id"}
  examples/lenet/inputs.jsonl       test images 0..15
  examples/lenet/calibration.jsonl  training images 0..255 (ids train-N)
  examples/lenet/provenance.json    name, authors, data sources, licence, test accuracy

Run with the Debian interpreter (python3-torch, python3-onnx, python3-numpy):
  /usr/bin/python3 scripts/make_lenet.py [--epochs 6] [--threads 1]

Deterministic for a given torch build and thread count: fixed seeds,
torch.use_deterministic_algorithms(True).
"""

import argparse
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import train_fashion_mnist as fm  # noqa: E402  (IDX reader, preprocessing, sample writers)

SEED = 20240607
REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
OUT_DIR = os.path.join(REPO_ROOT, "examples", "lenet")


class LeNet5(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
        )
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Linear(400, 120), nn.ReLU(),
            nn.Linear(120, 84), nn.ReLU(),
            nn.Linear(84, 10),
        )

    def forward(self, x):
        return self.classifier(self.features(x))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data-dir", default=os.environ.get("FASHION_MNIST_DIR", fm.DEFAULT_DATA_DIR))
    ap.add_argument("--epochs", type=int, default=6)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--out-dir", default=OUT_DIR)
    args = ap.parse_args()

    fm.SEED = SEED
    fm.set_determinism()
    torch.set_num_threads(args.threads)
    os.makedirs(args.out_dir, exist_ok=True)

    train_u8, train_y = fm.load_split(args.data_dir, "train")
    test_u8, test_y = fm.load_split(args.data_dir, "test")
    x_train = torch.from_numpy(fm.preprocess(train_u8))
    y_train = torch.from_numpy(train_y.astype(np.int64))
    x_test = torch.from_numpy(fm.preprocess(test_u8))
    y_test = torch.from_numpy(test_y.astype(np.int64))
    print(f"train {tuple(x_train.shape)}, test {tuple(x_test.shape)} from {args.data_dir}")

    model = LeNet5()
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=args.epochs * ((x_train.shape[0] + args.batch_size - 1) // args.batch_size))
    loss_fn = nn.CrossEntropyLoss()
    gen = torch.Generator().manual_seed(SEED)

    t0 = time.time()
    n = x_train.shape[0]
    for epoch in range(args.epochs):
        model.train()
        perm = torch.randperm(n, generator=gen)
        total = 0.0
        for i in range(0, n, args.batch_size):
            idx = perm[i:i + args.batch_size]
            opt.zero_grad()
            loss = loss_fn(model(x_train[idx]), y_train[idx])
            loss.backward()
            opt.step()
            sched.step()
            total += float(loss) * idx.shape[0]
        acc = fm.evaluate(model, x_test, y_test)
        print(f"epoch {epoch + 1}/{args.epochs}: loss {total / n:.4f}, test acc {acc:.4f}, {time.time() - t0:.1f}s")
    train_seconds = time.time() - t0
    test_acc = fm.evaluate(model, x_test, y_test)
    print(f"final test accuracy: {test_acc:.4f}")

    # ---- export
    model.eval()
    onnx_path = os.path.join(args.out_dir, "model.onnx")
    torch.onnx.export(
        model, x_test[0:1], onnx_path,
        input_names=["input"], output_names=["logits"],
        opset_version=13, do_constant_folding=True, export_params=True,
    )
    import onnx
    m = onnx.load(onnx_path)
    onnx.checker.check_model(m, full_check=True)
    print("onnx ops:", [nd.op_type for nd in m.graph.node], "size:", os.path.getsize(onnx_path), "bytes")

    # ---- sample data
    x_test_np = fm.preprocess(test_u8)
    x_train_np = fm.preprocess(train_u8)
    with open(os.path.join(args.out_dir, "input.json"), "w") as f:
        rec = fm.image_record(x_test_np[0], id="test-0", label=int(test_y[0]))
        json.dump({"input": rec["input"], "label": rec["label"], "id": rec["id"]}, f, separators=(",", ":"))
        f.write("\n")
    fm.write_jsonl(os.path.join(args.out_dir, "inputs.jsonl"),
                   [fm.image_record(x_test_np[i], id=f"test-{i}", label=int(test_y[i])) for i in range(16)])
    fm.write_jsonl(os.path.join(args.out_dir, "calibration.jsonl"),
                   [fm.image_record(x_train_np[i], id=f"train-{i}", label=int(train_y[i])) for i in range(256)])

    provenance = {
        "name": "fashion-mnist-lenet5",
        "description": "LeNet-5 (Conv 6@5x5 pad 2, ReLU, MaxPool 2, Conv 16@5x5, ReLU, MaxPool 2, "
                       "Linear 400-120-84-10 with ReLU) classifying 28x28 Fashion-MNIST images; "
                       "input pixel/255 in [0,1]",
        "authors": ["zkinfer example"],
        "dataSources": [
            {
                "name": "Fashion-MNIST",
                "citation": "Han Xiao, Kashif Rasul, Roland Vollgraf. Fashion-MNIST: a Novel Image "
                            "Dataset for Benchmarking Machine Learning Algorithms. "
                            "arXiv:1708.07747, 2017.",
                "url": "https://github.com/zalandoresearch/fashion-mnist",
                "debianPackage": "dataset-fashion-mnist",
                "path": fm.DEFAULT_DATA_DIR,
                "license": "MIT",
            }
        ],
        "license": "MIT",
        "trainingScript": "scripts/make_lenet.py",
        "preprocessing": "pixel / 255 (float32, [0,1]), shape [1,1,28,28]",
        "classes": fm.CLASS_NAMES,
        "training": {
            "epochs": args.epochs, "batchSize": args.batch_size, "optimizer": "Adam",
            "learningRate": args.lr, "schedule": "cosine", "seed": SEED, "threads": args.threads,
            "torch": torch.__version__, "seconds": round(train_seconds, 1),
        },
        "testAccuracy": round(test_acc, 4),
    }
    with open(os.path.join(args.out_dir, "provenance.json"), "w") as f:
        json.dump(provenance, f, indent=2)
        f.write("\n")
    print(f"wrote {args.out_dir} in {time.time() - t0:.1f}s")


if __name__ == "__main__":
    main()
