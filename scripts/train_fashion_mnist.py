#!/usr/bin/python3
"""Train the zkinfer Fashion-MNIST example model and export it to ONNX.

Model: Flatten -> Linear(784, 128) -> ReLU -> Linear(128, 10), a 784-128-10 MLP.
Preprocessing (the same transform the TypeScript side applies, see
src/data/fashion-mnist.ts): pixel / 255, giving float32 values in [0, 1]; no mean/std
normalisation, no augmentation.

Data: the Debian package `dataset-fashion-mnist` (IDX files, gzipped, under
/usr/share/datasets/fashion-mnist). Nothing is downloaded.

Outputs (relative to the repository root):
  examples/fashion-mnist/model.onnx         input `input` [1,1,28,28] -> `logits` [1,10], opset 13
  examples/fashion-mnist/input.json         test image 0 as {"input": [[[[28x28]]]], "label": n}
  examples/fashion-mnist/inputs.jsonl       test images 0..15, one {"id","label","input"} a line
  examples/fashion-mnist/calibration.jsonl  training images 0..255, same form (ids train-N)
  examples/fashion-mnist/provenance.json    name, authors, data sources, licence, test accuracy

Run with the Debian interpreter (python3-torch, python3-onnx, python3-numpy):
  /usr/bin/python3 scripts/train_fashion_mnist.py [--epochs 10] [--data-dir DIR]

Deterministic: fixed seeds, one thread, torch.use_deterministic_algorithms(True); the
same torch build gives the same weights, accuracy and ONNX bytes on every run.
"""

import argparse
import gzip
import json
import os
import random
import sys
import time

import numpy as np
import torch
import torch.nn as nn

SEED = 20240601
DEFAULT_DATA_DIR = "/usr/share/datasets/fashion-mnist"
REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
OUT_DIR = os.path.join(REPO_ROOT, "examples", "fashion-mnist")

CLASS_NAMES = [
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
]

FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}


# ---------------------------------------------------------------- data ----

def _open_idx(data_dir, stem):
    """Returns the bytes of an IDX file, gzipped (`stem.gz`) or not (`stem`)."""
    for name, opener in ((stem + ".gz", gzip.open), (stem, open)):
        path = os.path.join(data_dir, name)
        if os.path.exists(path):
            with opener(path, "rb") as f:
                return f.read()
    sys.exit(
        f"Fashion-MNIST file {stem}[.gz] not found in {data_dir}; "
        "install it with: apt-get install dataset-fashion-mnist"
    )


def parse_idx(buf):
    """Parses an IDX file (big-endian header: 0x00 0x00 type ndim, then ndim uint32 dims)."""
    if buf[0] != 0 or buf[1] != 0 or buf[2] != 0x08:
        raise ValueError("not an unsigned-byte IDX file")
    ndim = buf[3]
    dims = [int.from_bytes(buf[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    offset = 4 + 4 * ndim
    data = np.frombuffer(buf, dtype=np.uint8, offset=offset)
    if data.size != int(np.prod(dims)):
        raise ValueError(f"IDX size mismatch: header {dims}, {data.size} bytes")
    return data.reshape(dims)


def load_split(data_dir, split):
    img_stem, lbl_stem = FILES[split]
    images = parse_idx(_open_idx(data_dir, img_stem))  # [N, 28, 28] uint8
    labels = parse_idx(_open_idx(data_dir, lbl_stem))  # [N] uint8
    assert images.shape[0] == labels.shape[0] and images.shape[1:] == (28, 28)
    return images, labels


def preprocess(images_u8):
    """uint8 [N,28,28] -> float32 [N,1,28,28] in [0,1] (pixel / 255)."""
    return (images_u8.astype(np.float32) / np.float32(255.0))[:, None, :, :]


# --------------------------------------------------------------- model ----

class FashionMLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.flatten = nn.Flatten()
        self.fc1 = nn.Linear(784, 128)
        self.relu = nn.ReLU()
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        return self.fc2(self.relu(self.fc1(self.flatten(x))))


def set_determinism():
    random.seed(SEED)
    np.random.seed(SEED)
    torch.manual_seed(SEED)
    torch.set_num_threads(1)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:
        pass  # already set (can only be set once per process)
    torch.use_deterministic_algorithms(True)
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")


def evaluate(model, x, y, batch=1000):
    model.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, x.shape[0], batch):
            pred = model(x[i:i + batch]).argmax(dim=1)
            correct += int((pred == y[i:i + batch]).sum())
    return correct / x.shape[0]


# ------------------------------------------------------------- samples ----

def image_record(x_chw, **fields):
    """float32 [1,28,28] -> dict with the image as nested lists rounded to 4 decimals."""
    def num(v):
        r = round(float(v), 4)
        return int(r) if r == int(r) else r  # 0 and 1 written without ".0" to keep files small
    rows = [[num(v) for v in row] for row in x_chw[0]]
    return {**fields, "input": [[rows]]}  # [1,1,28,28]


def write_jsonl(path, records):
    with open(path, "w") as f:
        for r in records:
            f.write(json.dumps(r, separators=(",", ":")) + "\n")


# ---------------------------------------------------------------- main ----

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data-dir", default=os.environ.get("FASHION_MNIST_DIR", DEFAULT_DATA_DIR))
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--batch-size", type=int, default=128)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--out-dir", default=OUT_DIR)
    args = ap.parse_args()

    set_determinism()
    os.makedirs(args.out_dir, exist_ok=True)

    train_u8, train_y = load_split(args.data_dir, "train")
    test_u8, test_y = load_split(args.data_dir, "test")
    x_train = torch.from_numpy(preprocess(train_u8))
    y_train = torch.from_numpy(train_y.astype(np.int64))
    x_test = torch.from_numpy(preprocess(test_u8))
    y_test = torch.from_numpy(test_y.astype(np.int64))
    print(f"train {tuple(x_train.shape)}, test {tuple(x_test.shape)} from {args.data_dir}")

    model = FashionMLP()
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
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
            total += float(loss) * idx.shape[0]
        acc = evaluate(model, x_test, y_test)
        print(f"epoch {epoch + 1}/{args.epochs}: loss {total / n:.4f}, test acc {acc:.4f}, "
              f"{time.time() - t0:.1f}s")

    test_acc = evaluate(model, x_test, y_test)
    print(f"final test accuracy: {test_acc:.4f}")

    # ---- export
    model.eval()
    onnx_path = os.path.join(args.out_dir, "model.onnx")
    dummy = x_test[0:1]
    torch.onnx.export(
        model, dummy, onnx_path,
        input_names=["input"], output_names=["logits"],
        opset_version=13, do_constant_folding=True, export_params=True,
    )

    import onnx
    from onnx import numpy_helper

    m = onnx.load(onnx_path)
    onnx.checker.check_model(m, full_check=True)
    print("onnx ops:", [n.op_type for n in m.graph.node],
          "size:", os.path.getsize(onnx_path), "bytes")

    # Compare with torch: a NumPy evaluation of the exported graph (Flatten, Gemm, Relu).
    init = {t.name: numpy_helper.to_array(t) for t in m.graph.initializer}

    def run_onnx(x):
        env = {"input": x}
        for node in m.graph.node:
            ins = [env[i] if i in env else init[i] for i in node.input]
            attrs = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
            if node.op_type == "Flatten":
                ax = attrs.get("axis", 1)
                out = ins[0].reshape(int(np.prod(ins[0].shape[:ax])), -1)
            elif node.op_type == "Gemm":
                a, b = ins[0], ins[1]
                if attrs.get("transA", 0):
                    a = a.T
                if attrs.get("transB", 0):
                    b = b.T
                out = attrs.get("alpha", 1.0) * (a @ b)
                if len(ins) > 2:
                    out = out + attrs.get("beta", 1.0) * ins[2]
            elif node.op_type == "Relu":
                out = np.maximum(ins[0], 0)
            else:
                raise RuntimeError(f"unexpected op {node.op_type}")
            env[node.output[0]] = out.astype(np.float32)
        return env["logits"]

    with torch.no_grad():
        max_diff = 0.0
        for i in range(64):
            xt = x_test[i:i + 1]
            ref = model(xt).numpy()
            got = run_onnx(xt.numpy())
            max_diff = max(max_diff, float(np.abs(ref - got).max()))
    print(f"onnx vs torch max |diff| over 64 test images: {max_diff:.2e}")
    assert max_diff < 1e-4, max_diff

    # ---- sample data
    x_test_np = preprocess(test_u8)
    x_train_np = preprocess(train_u8)
    with open(os.path.join(args.out_dir, "input.json"), "w") as f:
        rec = image_record(x_test_np[0], id="test-0", label=int(test_y[0]))
        json.dump({"input": rec["input"], "label": rec["label"], "id": rec["id"]},
                  f, separators=(",", ":"))
        f.write("\n")
    write_jsonl(os.path.join(args.out_dir, "inputs.jsonl"),
                [image_record(x_test_np[i], id=f"test-{i}", label=int(test_y[i]))
                 for i in range(16)])
    write_jsonl(os.path.join(args.out_dir, "calibration.jsonl"),
                [image_record(x_train_np[i], id=f"train-{i}", label=int(train_y[i]))
                 for i in range(256)])

    # Agreement on the rounded sample inputs (what a user feeding input.json sees).
    with torch.no_grad():
        rounded = torch.tensor(np.round(x_test_np[:16], 4))
        preds_rounded = model(rounded).argmax(1).tolist()
        preds_exact = model(x_test[:16]).argmax(1).tolist()
    print("predictions on inputs.jsonl:", preds_rounded,
          "(exact inputs agree)" if preds_rounded == preds_exact else "(DIFFER from exact)")

    provenance = {
        "name": "fashion-mnist-mlp",
        "description": "784-128-10 ReLU MLP (Flatten, Linear(784,128), ReLU, Linear(128,10)) "
                       "classifying 28x28 Fashion-MNIST images; input pixel/255 in [0,1]",
        "authors": ["zkinfer example"],
        "dataSources": [
            {
                "name": "Fashion-MNIST",
                "citation": "Han Xiao, Kashif Rasul, Roland Vollgraf. Fashion-MNIST: a Novel Image "
                            "Dataset for Benchmarking Machine Learning Algorithms. "
                            "arXiv:1708.07747, 2017.",
                "url": "https://github.com/zalandoresearch/fashion-mnist",
                "debianPackage": "dataset-fashion-mnist",
                "path": DEFAULT_DATA_DIR,
                "license": "MIT",
            }
        ],
        "license": "MIT",
        "trainingScript": "scripts/train_fashion_mnist.py",
        "preprocessing": "pixel / 255 (float32, [0,1]), shape [1,1,28,28]",
        "classes": CLASS_NAMES,
        "training": {
            "epochs": args.epochs, "batchSize": args.batch_size, "optimizer": "Adam",
            "learningRate": args.lr, "seed": SEED, "torch": torch.__version__,
        },
        "testAccuracy": round(test_acc, 4),
    }
    with open(os.path.join(args.out_dir, "provenance.json"), "w") as f:
        json.dump(provenance, f, indent=2)
        f.write("\n")
    print(f"wrote {args.out_dir} in {time.time() - t0:.1f}s")


if __name__ == "__main__":
    main()
