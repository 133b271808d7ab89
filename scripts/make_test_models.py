#!/usr/bin/python3
"""Make the tiny ONNX fixture models in test/fixtures/models/.

Each model is a few KB and made deterministically (fixed seeds), either by a real
exporter (torch.onnx.export, as a user's model would be) or by hand with the onnx
helper API (to pin down encodings exporters produce: raw_data vs typed float_data,
Gemm attributes, Reshape special values, symbolic batch dims, old opsets).

Besides the .onnx files it writes expected.json: for each model the input and output
names and shapes, one deterministic sample input and the float output computed by
torch (exported models) or NumPy (hand-made models), so importers and the reference
executor can be checked against it.

Run with the Debian interpreter (python3-torch, python3-onnx, python3-numpy):
  /usr/bin/python3 scripts/make_test_models.py
See test/fixtures/models/README.md for what each model tests.
"""

import json
import os

import numpy as np
import onnx
import torch
import torch.nn as nn
from onnx import TensorProto, helper, numpy_helper

SEED = 1234
REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
OUT_DIR = os.path.join(REPO_ROOT, "test", "fixtures", "models")

torch.manual_seed(SEED)
torch.set_num_threads(1)
torch.use_deterministic_algorithms(True)

expected = {}


def sample(shape, seed):
    """Deterministic sample input, values in [-1, 1] rounded to 4 decimals."""
    rng = np.random.default_rng(seed)
    return np.round(rng.uniform(-1.0, 1.0, size=shape), 4).astype(np.float32)


def record(name, model_path, inputs, outputs, note):
    """inputs/outputs: list of (name, shape-as-declared, value ndarray)."""
    expected[name] = {
        "file": os.path.basename(model_path),
        "note": note,
        "inputs": [{"name": n, "shape": s, "data": v.flatten().tolist(), "dataShape": list(v.shape)}
                   for n, s, v in inputs],
        "outputs": [{"name": n, "shape": s, "data": [round(float(x), 6) for x in v.flatten()],
                     "dataShape": list(v.shape)}
                    for n, s, v in outputs],
    }


def check(path):
    m = onnx.load(path)
    onnx.checker.check_model(m, full_check=True)
    print(f"{os.path.basename(path)}: {os.path.getsize(path)} bytes, opset "
          f"{[(o.domain or 'ai.onnx', o.version) for o in m.opset_import]}, "
          f"ops {[n.op_type for n in m.graph.node]}")
    return m


def torch_export(model, x, path, input_name, output_name):
    model.eval()
    torch.onnx.export(model, x, path, input_names=[input_name], output_names=[output_name],
                      opset_version=13, do_constant_folding=True, export_params=True)
    with torch.no_grad():
        return model(x).numpy()


def t(name, arr, raw=True):
    """Initializer tensor; raw=True stores raw_data, raw=False typed float_data/int64_data."""
    arr = np.asarray(arr)
    if raw:
        return numpy_helper.from_array(arr, name)
    dtype = {np.dtype(np.float32): TensorProto.FLOAT, np.dtype(np.int64): TensorProto.INT64}[arr.dtype]
    return helper.make_tensor(name, dtype, list(arr.shape), arr.flatten().tolist(), raw=False)


def save(model, path):
    onnx.save(model, path)
    return check(path)


# ---------------------------------------------------------------- (a) ----
def mlp_batch4():
    path = os.path.join(OUT_DIR, "mlp_batch4.onnx")
    torch.manual_seed(SEED + 1)
    model = nn.Sequential(nn.Flatten(), nn.Linear(12, 8), nn.ReLU(), nn.Linear(8, 3))
    x = torch.from_numpy(sample((4, 3, 2, 2), 11))
    y = torch_export(model, x, path, "input", "output")
    check(path)
    record("mlp_batch4", path, [("input", [4, 3, 2, 2], x.numpy())], [("output", [4, 3], y)],
           "torch.onnx.export, fixed batch 4: Flatten -> Gemm -> Relu -> Gemm")


# ---------------------------------------------------------------- (b) ----
def mlp_softmax():
    path = os.path.join(OUT_DIR, "mlp_softmax.onnx")
    torch.manual_seed(SEED + 2)
    model = nn.Sequential(nn.Linear(6, 8), nn.ReLU(), nn.Linear(8, 4), nn.Softmax(dim=-1))
    x = torch.from_numpy(sample((1, 6), 12))
    y = torch_export(model, x, path, "input", "probabilities")
    check(path)
    record("mlp_softmax", path, [("input", [1, 6], x.numpy())], [("probabilities", [1, 4], y)],
           "torch.onnx.export: Gemm -> Relu -> Gemm -> Softmax(axis=-1) as last node")


# ---------------------------------------------------------------- (c) ----
def gemm_transb_alpha():
    path = os.path.join(OUT_DIR, "gemm_transb_alpha.onnx")
    rng = np.random.default_rng(SEED + 3)
    B = np.round(rng.normal(0, 0.5, size=(3, 5)), 4).astype(np.float32)  # [N, K], transB=1
    C = np.round(rng.normal(0, 0.5, size=(3,)), 4).astype(np.float32)
    node = helper.make_node("Gemm", ["X", "B", "C"], ["Y"], name="gemm0",
                            alpha=0.5, beta=2.0, transB=1)
    graph = helper.make_graph(
        [node], "gemm_transb_alpha",
        [helper.make_tensor_value_info("X", TensorProto.FLOAT, [1, 5])],
        [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [1, 3])],
        initializer=[t("B", B, raw=True), t("C", C, raw=True)],
    )
    m = helper.make_model(graph, producer_name="zkinfer-fixtures",
                          opset_imports=[helper.make_opsetid("", 13)])
    save(m, path)
    x = sample((1, 5), 13)
    y = (np.float32(0.5) * (x @ B.T) + np.float32(2.0) * C).astype(np.float32)
    record("gemm_transb_alpha", path, [("X", [1, 5], x)], [("Y", [1, 3], y)],
           "onnx.helper: Gemm alpha=0.5 beta=2.0 transB=1, B [3,5] and C [3] as raw_data")


# ---------------------------------------------------------------- (d) ----
def matmul_add_reshape():
    path = os.path.join(OUT_DIR, "matmul_add_reshape.onnx")
    rng = np.random.default_rng(SEED + 4)
    W = np.round(rng.normal(0, 0.5, size=(6, 4)), 4).astype(np.float32)
    b = np.round(rng.normal(0, 0.5, size=(4,)), 4).astype(np.float32)
    nodes = [
        helper.make_node("Reshape", ["X", "shape"], ["flat"], name="reshape0"),
        helper.make_node("MatMul", ["flat", "W"], ["mm"], name="matmul0"),
        helper.make_node("Add", ["mm", "b"], ["biased"], name="add0"),
        helper.make_node("Relu", ["biased"], ["act"], name="relu0"),
        helper.make_node("Unsqueeze", ["act", "axes1"], ["unsq"], name="unsqueeze0"),
        helper.make_node("Squeeze", ["unsq", "axes1"], ["sq"], name="squeeze0"),
        helper.make_node("Identity", ["sq"], ["Y"], name="identity0"),
    ]
    graph = helper.make_graph(
        nodes, "matmul_add_reshape",
        [helper.make_tensor_value_info("X", TensorProto.FLOAT, [1, 2, 3])],
        [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [1, 4])],
        initializer=[
            t("shape", np.array([0, -1], dtype=np.int64), raw=False),  # int64_data
            t("W", W, raw=False),                                       # float_data
            t("b", b, raw=False),                                       # float_data
            t("axes1", np.array([1], dtype=np.int64), raw=False),      # Squeeze/Unsqueeze axes input (opset 13)
        ],
    )
    m = helper.make_model(graph, producer_name="zkinfer-fixtures",
                          opset_imports=[helper.make_opsetid("", 13)])
    save(m, path)
    x = sample((1, 2, 3), 14)
    y = np.maximum(x.reshape(1, -1) @ W + b, 0).astype(np.float32)
    record("matmul_add_reshape", path, [("X", [1, 2, 3], x)], [("Y", [1, 4], y)],
           "onnx.helper opset 13: Reshape(shape [0,-1]) -> MatMul (W float_data) -> Add -> Relu "
           "-> Unsqueeze(axes input [1]) -> Squeeze(axes input [1]) -> Identity")


# ---------------------------------------------------------------- (e) ----
def unsupported_op():
    path = os.path.join(OUT_DIR, "unsupported_op.onnx")
    rng = np.random.default_rng(SEED + 5)
    W = np.round(rng.normal(0, 0.5, size=(4, 2)), 4).astype(np.float32)
    nodes = [
        helper.make_node("Relu", ["X"], ["r"], name="relu0"),
        helper.make_node("Cos", ["r"], ["c"], name="weird_cos"),  # node index 1
        helper.make_node("MatMul", ["c", "W"], ["Y"], name="matmul0"),
    ]
    graph = helper.make_graph(
        nodes, "unsupported_op",
        [helper.make_tensor_value_info("X", TensorProto.FLOAT, [1, 4])],
        [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [1, 2])],
        initializer=[t("W", W)],
    )
    m = helper.make_model(graph, producer_name="zkinfer-fixtures",
                          opset_imports=[helper.make_opsetid("", 13)])
    save(m, path)
    x = sample((1, 4), 15)
    y = (np.cos(np.maximum(x, 0)) @ W).astype(np.float32)
    record("unsupported_op", path, [("X", [1, 4], x)], [("Y", [1, 2], y)],
           "onnx.helper: Relu -> Cos (name weird_cos, node index 1) -> MatMul; Cos is unsupported")


# ---------------------------------------------------------------- (f) ----
def keras_like_mlp():
    path = os.path.join(OUT_DIR, "keras_like_mlp.onnx")
    rng = np.random.default_rng(SEED + 6)
    W1 = np.round(rng.normal(0, 0.4, size=(8, 16)), 4).astype(np.float32)
    b1 = np.round(rng.normal(0, 0.1, size=(16,)), 4).astype(np.float32)
    W2 = np.round(rng.normal(0, 0.4, size=(16, 3)), 4).astype(np.float32)
    b2 = np.round(rng.normal(0, 0.1, size=(3,)), 4).astype(np.float32)
    p = "sequential/"
    nodes = [
        helper.make_node("MatMul", ["input_1", p + "dense/MatMul/ReadVariableOp:0"],
                         [p + "dense/MatMul:0"], name=p + "dense/MatMul"),
        helper.make_node("Add", [p + "dense/MatMul:0", p + "dense/BiasAdd/ReadVariableOp:0"],
                         [p + "dense/BiasAdd:0"], name=p + "dense/BiasAdd"),
        helper.make_node("Relu", [p + "dense/BiasAdd:0"], [p + "dense/Relu:0"], name=p + "dense/Relu"),
        helper.make_node("MatMul", [p + "dense/Relu:0", p + "dense_1/MatMul/ReadVariableOp:0"],
                         [p + "dense_1/MatMul:0"], name=p + "dense_1/MatMul"),
        helper.make_node("Add", [p + "dense_1/MatMul:0", p + "dense_1/BiasAdd/ReadVariableOp:0"],
                         ["dense_1"], name=p + "dense_1/BiasAdd"),
    ]
    graph = helper.make_graph(
        nodes, "tf2onnx",
        [helper.make_tensor_value_info("input_1", TensorProto.FLOAT, ["N", 8])],
        [helper.make_tensor_value_info("dense_1", TensorProto.FLOAT, ["N", 3])],
        initializer=[
            t(p + "dense/MatMul/ReadVariableOp:0", W1),
            t(p + "dense/BiasAdd/ReadVariableOp:0", b1),
            t(p + "dense_1/MatMul/ReadVariableOp:0", W2),
            t(p + "dense_1/BiasAdd/ReadVariableOp:0", b2),
        ],
    )
    m = helper.make_model(graph, producer_name="tf2onnx", producer_version="1.9.3",
                          opset_imports=[helper.make_opsetid("", 11),
                                         helper.make_opsetid("ai.onnx.ml", 2)])
    m.ir_version = 6  # what tf2onnx writes for opset 11
    save(m, path)
    x = sample((2, 8), 16)
    y = (np.maximum(x @ W1 + b1, 0) @ W2 + b2).astype(np.float32)
    record("keras_like_mlp", path, [("input_1", ["N", 8], x)], [("dense_1", ["N", 3], y)],
           "onnx.helper mimicking tf2onnx (Keras Dense layers): MatMul + Add + Relu, symbolic batch 'N', "
           "opset 11 (+ ai.onnx.ml 2 import), IR 6; sample uses batch 2")


def main():
    os.makedirs(OUT_DIR, exist_ok=True)
    mlp_batch4()
    mlp_softmax()
    gemm_transb_alpha()
    matmul_add_reshape()
    unsupported_op()
    keras_like_mlp()
    with open(os.path.join(OUT_DIR, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1)
        f.write("\n")
    print(f"wrote {len(expected)} models and expected.json to {OUT_DIR}")


if __name__ == "__main__":
    main()
