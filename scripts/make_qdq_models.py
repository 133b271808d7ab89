"""Int8 QDQ models quantized by hand, in the form onnxruntime's quantizer writes (QDQ format).

  lenet   examples/lenet/model-int8.onnx: the LeNet example (examples/lenet/model.onnx)
          quantized with int8 weights per output channel (symmetric, axis 0), int32 biases
          with scale = input scale · weight scale (axis 0), and symmetric int8 activations
          whose scales come from calibration (largest |value| / 127) on the first 10,000
          Fashion-MNIST training images (Debian's dataset-fashion-mnist).
  tiny    test/fixtures/models/qdq_tiny_cnn.onnx: a small CNN of the same form with fixed
          random weights, calibrated on fixed random inputs in [0, 1], for fast tests.

Both have the shape users export: QuantizeLinear on the float input, DequantizeLinear →
Conv/Gemm → Relu → QuantizeLinear chains, DequantizeLinear → MaxPool → QuantizeLinear and
DequantizeLinear → Flatten → QuantizeLinear with shared scales, and a final
DequantizeLinear → Softmax. The output is deterministic (byte-identical on re-runs).

Run with the Debian interpreter (python3-onnx 1.12, python3-numpy, python3-torch):
  /usr/bin/python3 scripts/make_qdq_models.py [lenet|tiny]...
"""

import gzip
import os
import sys

import numpy as np
import onnx
import torch
import torch.nn.functional as F
from onnx import TensorProto, helper, numpy_helper

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
FASHION_MNIST = os.environ.get("FASHION_MNIST_DIR", "/usr/share/datasets/fashion-mnist")
torch.set_num_threads(1)


def fashion_mnist_train(count):
    with gzip.open(os.path.join(FASHION_MNIST, "train-images-idx3-ubyte.gz"), "rb") as f:
        data = f.read()
    images = np.frombuffer(data, np.uint8, offset=16).reshape(-1, 1, 28, 28)[:count]
    return (images.astype(np.float32) / np.float32(255)).astype(np.float32)


def float_layers(model):
    """The float model as a list of (op, attrs, weight, bias) steps; supports the LeNet op set."""
    inits = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
    layers = []
    for n in model.graph.node:
        attrs = {a.name: helper.get_attribute_value(a) for a in n.attribute}
        if n.op_type in ("Conv", "Gemm"):
            w = inits[n.input[1]]
            if n.op_type == "Gemm" and not attrs.get("transB", 0):
                w = w.T
            layers.append((n.op_type, attrs, w.astype(np.float32), inits[n.input[2]].astype(np.float32)))
        elif n.op_type in ("Relu", "MaxPool", "Flatten"):
            layers.append((n.op_type, attrs, None, None))
        else:
            raise ValueError("unsupported op " + n.op_type)
    return layers


def run(layers, x, note=None):
    """Float forward pass; note(i, value) sees the output of every step."""
    t = torch.from_numpy(x)
    for i, (op, attrs, w, b) in enumerate(layers):
        if op == "Conv":
            p = attrs.get("pads", [0, 0, 0, 0])
            t = F.conv2d(t, torch.from_numpy(w), torch.from_numpy(b), padding=(p[0], p[1]))
        elif op == "Gemm":
            t = t @ torch.from_numpy(w).T + torch.from_numpy(b)
        elif op == "Relu":
            t = torch.relu(t)
        elif op == "MaxPool":
            t = F.max_pool2d(t, attrs["kernel_shape"], attrs["strides"])
        elif op == "Flatten":
            t = t.reshape(t.shape[0], -1)
        if note:
            note(i, t.numpy())
    return t.numpy()


def calibrate(layers, inputs):
    """Largest |value| of the input and of every step's output."""
    peak = {"input": float(np.abs(inputs).max())}
    for start in range(0, len(inputs), 1000):
        def note(i, v):
            peak[i] = max(peak.get(i, 0.0), float(np.abs(v).max()))
        run(layers, inputs[start:start + 1000], note)
    return peak


def act_scale(peak):
    return np.float32(peak / 127.0)


def quantize_model(layers, peak, in_shape, name):
    nodes, inits = [], []

    def const(n, v):
        inits.append(numpy_helper.from_array(np.asarray(v), n))
        return n

    def qdq(x, tag, scale):
        s = const(tag + "_scale", np.array(scale, np.float32))
        z = const(tag + "_zero_point", np.array(0, np.int8))
        nodes.append(helper.make_node("QuantizeLinear", [x, s, z], [tag + "_QuantizeLinear_Output"], name=tag + "_QuantizeLinear"))
        nodes.append(helper.make_node("DequantizeLinear", [tag + "_QuantizeLinear_Output", s, z], [tag + "_DequantizeLinear_Output"], name=tag + "_DequantizeLinear"))
        return tag + "_DequantizeLinear_Output"

    x = qdq("input", "input", act_scale(peak["input"]))
    scale = act_scale(peak["input"])
    for i, (op, attrs, w, b) in enumerate(layers):
        tag = "%s_%d" % (op.lower(), i)
        out = tag + "_out"
        if op in ("Conv", "Gemm"):
            red = tuple(range(1, w.ndim))
            ws = (np.abs(w).max(axis=red) / 127.0).astype(np.float32)
            ws[ws == 0] = np.float32(1)
            wq = np.clip(np.round(w / ws.reshape((-1,) + (1,) * (w.ndim - 1))), -127, 127).astype(np.int8)
            bs = (np.float32(scale) * ws).astype(np.float32)
            bq = np.round(b / bs).astype(np.int32)
            wz = const(tag + "_w_zero_point", np.zeros(ws.shape, np.int8))
            nodes.append(helper.make_node("DequantizeLinear", [const(tag + "_w_quantized", wq), const(tag + "_w_scale", ws), wz], [tag + "_w"], name=tag + "_w_DequantizeLinear", axis=0))
            bz = const(tag + "_b_zero_point", np.zeros(bs.shape, np.int32))
            nodes.append(helper.make_node("DequantizeLinear", [const(tag + "_b_quantized", bq), const(tag + "_b_scale", bs), bz], [tag + "_b"], name=tag + "_b_DequantizeLinear", axis=0))
            kw = dict(attrs)
            if op == "Gemm":
                kw = {"transB": 1}
            nodes.append(helper.make_node(op, [x, tag + "_w", tag + "_b"], [out], name=tag, **kw))
        else:
            nodes.append(helper.make_node(op, [x], [out], name=tag, **attrs))
        x = out
        # A QDQ pair after every step that is not followed by a Relu (Conv/Gemm → Relu → Q),
        # with the scale of the step's calibrated range; MaxPool and Flatten keep their input's.
        follows = layers[i + 1][0] if i + 1 < len(layers) else None
        if follows == "Relu":
            continue
        if op in ("MaxPool", "Flatten"):
            x = qdq(x, tag, scale)
        else:
            scale = act_scale(peak[i])
            x = qdq(x, tag, scale)
    nodes.append(helper.make_node("Softmax", [x], ["probabilities"], name="softmax", axis=1))
    out_dim = layers[[j for j, l in enumerate(layers) if l[0] == "Gemm"][-1]][2].shape[0]
    graph = helper.make_graph(nodes, name, [helper.make_tensor_value_info("input", TensorProto.FLOAT, in_shape)],
                              [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, [1, out_dim])], initializer=inits)
    m = helper.make_model(graph, producer_name="zkinfer scripts/make_qdq_models.py", producer_version="1", opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = 7
    onnx.checker.check_model(m, full_check=True)
    return m


def lenet():
    layers = float_layers(onnx.load(os.path.join(REPO_ROOT, "examples/lenet/model.onnx")))
    peak = calibrate(layers, fashion_mnist_train(10000))
    m = quantize_model(layers, peak, [1, 1, 28, 28], "lenet_int8_qdq")
    onnx.save(m, os.path.join(REPO_ROOT, "examples/lenet/model-int8.onnx"))


def tiny():
    rng = np.random.default_rng(13)
    layers = [
        ("Conv", {"kernel_shape": [3, 3], "pads": [1, 1, 1, 1]}, rng.normal(0, 0.4, [2, 1, 3, 3]).astype(np.float32), rng.normal(0, 0.1, [2]).astype(np.float32)),
        ("Relu", {}, None, None),
        ("MaxPool", {"kernel_shape": [2, 2], "strides": [2, 2]}, None, None),
        ("Conv", {"kernel_shape": [3, 3]}, rng.normal(0, 0.4, [3, 2, 3, 3]).astype(np.float32), rng.normal(0, 0.1, [3]).astype(np.float32)),
        ("Relu", {}, None, None),
        ("Flatten", {"axis": 1}, None, None),
        ("Gemm", {}, rng.normal(0, 0.4, [4, 12]).astype(np.float32), rng.normal(0, 0.1, [4]).astype(np.float32)),
    ]
    peak = calibrate(layers, rng.uniform(0, 1, [64, 1, 8, 8]).astype(np.float32))
    m = quantize_model(layers, peak, [1, 1, 8, 8], "tiny_int8_qdq")
    onnx.save(m, os.path.join(REPO_ROOT, "test/fixtures/models/qdq_tiny_cnn.onnx"))


if __name__ == "__main__":
    for which in sys.argv[1:] or ["lenet", "tiny"]:
        {"lenet": lenet, "tiny": tiny}[which]()
