#!/usr/bin/python3
"""Train the clinical example: a small breast-cancer classifier, exported to ONNX.

Data: the Wisconsin diagnostic breast-cancer set (569 patients, 30 features computed from a
digitised fine-needle aspirate image; benign or malignant) as shipped with scikit-learn
(Debian python3-sklearn: `sklearn.datasets.load_breast_cancer`, no download).

Model: Linear(30, 16) -> ReLU -> Linear(16, 2), logits [malignant, benign] (scikit-learn's
target order: 0 = malignant, 1 = benign). Inputs are the 30 features standardised with the
training split's means and standard deviations (written to examples/clinic/scaler.json),
so every feature shares one fixed-point scale in the circuit.

Writes examples/clinic/: model.onnx (input `features` [1,30] -> `logits` [1,2], opset 13),
scaler.json, calibration.jsonl (the standardised training split), and patient-1..3.json
(three held-out patients, standardised, with their true diagnosis in the file name's
record, not in the input). Prints the test accuracy.

Run with the Debian interpreter (python3-sklearn, python3-torch, python3-onnx):
  /usr/bin/python3 scripts/train_clinic.py
Deterministic: fixed split and seeds.
"""

import json
import os

import numpy as np
import torch
import torch.nn as nn
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import train_test_split

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(REPO_ROOT, "examples", "clinic")
SEED = 7


def main():
    torch.manual_seed(SEED)
    np.random.seed(SEED)
    torch.use_deterministic_algorithms(True)
    data = load_breast_cancer()
    x_train, x_test, y_train, y_test = train_test_split(data.data, data.target, test_size=0.2, random_state=SEED, stratify=data.target)
    mean = x_train.mean(axis=0)
    std = x_train.std(axis=0)
    z_train = ((x_train - mean) / std).astype(np.float32)
    z_test = ((x_test - mean) / std).astype(np.float32)

    model = nn.Sequential(nn.Linear(30, 16), nn.ReLU(), nn.Linear(16, 2))
    opt = torch.optim.Adam(model.parameters(), lr=1e-2, weight_decay=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    xt = torch.from_numpy(z_train)
    yt = torch.from_numpy(y_train.astype(np.int64))
    for _ in range(200):
        opt.zero_grad()
        loss = loss_fn(model(xt), yt)
        loss.backward()
        opt.step()
    model.eval()
    with torch.no_grad():
        pred = model(torch.from_numpy(z_test)).argmax(dim=1).numpy()
    accuracy = float((pred == y_test).mean())
    print(f"test accuracy {accuracy:.4f} on {len(y_test)} held-out patients")

    os.makedirs(OUT, exist_ok=True)
    torch.onnx.export(model, torch.zeros(1, 30), os.path.join(OUT, "model.onnx"), input_names=["features"], output_names=["logits"], opset_version=13)
    with open(os.path.join(OUT, "scaler.json"), "w") as f:
        json.dump({"features": list(data.feature_names), "mean": [round(float(v), 6) for v in mean], "std": [round(float(v), 6) for v in std],
                   "classes": ["malignant", "benign"], "testAccuracy": accuracy}, f, indent=2)
        f.write("\n")
    with open(os.path.join(OUT, "calibration.jsonl"), "w") as f:
        for row in z_train:
            f.write(json.dumps({"input": [[round(float(v), 4) for v in row]]}) + "\n")
    # three held-out patients: the first two malignant and the first benign of the test split
    picks = [i for i in range(len(y_test)) if y_test[i] == 0][:2] + [i for i in range(len(y_test)) if y_test[i] == 1][:1]
    for k, i in enumerate(picks, start=1):
        with open(os.path.join(OUT, f"patient-{k}.json"), "w") as f:
            json.dump({"input": [[round(float(v), 4) for v in z_test[i]]]}, f)
            f.write("\n")
        print(f"patient-{k}.json: diagnosis {data.target_names[y_test[i]]}, model says {data.target_names[pred[i]]}")


if __name__ == "__main__":
    main()
