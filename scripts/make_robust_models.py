#!/usr/bin/python3
"""Make small ONNX models in the styles real exporters write, to try zkinfer as a new user would.

Three families, each deterministic (fixed seeds, untrained weights):
  torch_*  torch.onnx.export with a FIXED batch (no dynamic axes) and a final Softmax or
           LogSoftmax: MLPs and small CNNs with BatchNormalization (kept: TrainingMode.PRESERVE),
           Dropout, Flatten, AvgPool, MaxPool, LeakyReLU, ReLU6.
  keras_*  graphs built by hand in tf2onnx's style (TensorFlow is not installable here): NHWC
           input `input_1:0` with a dynamic `unk__` batch dim, Transpose to NCHW around Conv,
           MatMul + Add instead of Gemm, Reshape with a constant shape holding -1, Identity,
           Squeeze/Unsqueeze, opsets 13-17.
  qdq_*    int8 QDQ models as onnxruntime's quantizer writes them (QuantizeLinear /
           DequantizeLinear around Conv, MatMul, Relu; uint8 activations, int8 weights with
           per-tensor or per-channel scales, int32 bias through DequantizeLinear).

For each model it writes <name>.onnx and <name>.input.json ({"input": ...} with the
model's declared batch, 1 where it is dynamic) into the output folder.

Run with the Debian interpreter (python3-torch 1.13, python3-onnx 1.12, python3-numpy):
  /usr/bin/python3 scripts/make_robust_models.py [OUT_DIR] [NAME...]
"""

import json
import os
import sys
import warnings

import numpy as np
import onnx
import torch
import torch.nn as nn
from onnx import TensorProto, helper, numpy_helper

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
torch.set_num_threads(1)
torch.use_deterministic_algorithms(True)
warnings.filterwarnings("ignore")

MODELS = {}


def model(fn):
    MODELS[fn.__name__] = fn
    return fn


def sample(shape, seed, lo=-1.0, hi=1.0):
    rng = np.random.default_rng(seed)
    return np.round(rng.uniform(lo, hi, size=shape), 4).astype(np.float32)


def write_input(out, name, x):
    with open(os.path.join(out, name + ".input.json"), "w") as f:
        json.dump({"input": x.tolist()}, f)


def torch_export(out, name, net, x, opset=13, dynamic=False, output_name="output"):
    torch.manual_seed(0)
    net.eval()
    # Give BatchNorm non-trivial running statistics.
    for m in net.modules():
        if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
            m.running_mean.uniform_(-0.2, 0.2)
            m.running_var.uniform_(0.5, 1.5)
            with torch.no_grad():
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.2, 0.2)
    path = os.path.join(out, name + ".onnx")
    kwargs = {}
    if dynamic:
        kwargs["dynamic_axes"] = {"input": {0: "batch"}, output_name: {0: "batch"}}
    torch.onnx.export(net, x, path, input_names=["input"], output_names=[output_name],
                      opset_version=opset, do_constant_folding=True,
                      training=torch.onnx.TrainingMode.PRESERVE, **kwargs)
    onnx.checker.check_model(onnx.load(path), full_check=True)
    write_input(out, name, x.numpy())


@model
def torch_mlp_bn_dropout_softmax(out):
    torch.manual_seed(1)
    net = nn.Sequential(nn.Flatten(), nn.Linear(12, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Dropout(0.3),
                        nn.Linear(8, 4), nn.Softmax(dim=1))
    torch_export(out, "torch_mlp_bn_dropout_softmax", net, torch.from_numpy(sample([4, 3, 2, 2], 1)))


@model
def torch_mlp_logsoftmax(out):
    torch.manual_seed(2)
    net = nn.Sequential(nn.Linear(6, 8), nn.LeakyReLU(0.1), nn.Linear(8, 5), nn.LogSoftmax(dim=-1))
    torch_export(out, "torch_mlp_logsoftmax", net, torch.from_numpy(sample([2, 6], 2)))


class SmallCnn(nn.Module):
    def __init__(self, pool):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 2, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(2)
        self.pool = pool
        self.drop = nn.Dropout(0.25)
        self.conv2 = nn.Conv2d(2, 3, 3, stride=2)
        self.bn2 = nn.BatchNorm2d(3)
        self.fc = nn.Linear(3, 4)

    def forward(self, x):
        x = self.pool(torch.relu(self.bn1(self.conv1(x))))
        x = self.drop(x)
        x = nn.functional.relu6(self.bn2(self.conv2(x)))
        x = torch.flatten(x, 1)
        return torch.softmax(self.fc(x), dim=1)


@model
def torch_cnn_avgpool_softmax(out):
    torch.manual_seed(3)
    torch_export(out, "torch_cnn_avgpool_softmax", SmallCnn(nn.AvgPool2d(2)),
                 torch.from_numpy(sample([2, 1, 6, 6], 3, 0.0, 1.0)))


@model
def torch_cnn_maxpool_opset17(out):
    torch.manual_seed(4)
    torch_export(out, "torch_cnn_maxpool_opset17", SmallCnn(nn.MaxPool2d(2)),
                 torch.from_numpy(sample([3, 1, 6, 6], 4, 0.0, 1.0)), opset=17)


class GapCnn(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3)
        self.bn = nn.BatchNorm2d(4)
        self.gap = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(4, 3)

    def forward(self, x):
        x = self.gap(torch.relu(self.bn(self.conv(x))))
        x = x.view(x.size(0), -1)
        return torch.log_softmax(self.fc(x), dim=1)


@model
def torch_cnn_gap_logsoftmax(out):
    torch.manual_seed(5)
    torch_export(out, "torch_cnn_gap_logsoftmax", GapCnn(), torch.from_numpy(sample([2, 1, 5, 5], 5, 0.0, 1.0)))


@model
def torch_cnn_dynamic_batch(out):
    torch.manual_seed(6)
    torch_export(out, "torch_cnn_dynamic_batch", GapCnn(), torch.from_numpy(sample([1, 1, 5, 5], 6, 0.0, 1.0)),
                 dynamic=True)


class Sig(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(5, 6)
        self.fc2 = nn.Linear(6, 3)

    def forward(self, x):
        return torch.softmax(self.fc2(torch.tanh(self.fc1(x)) * torch.sigmoid(self.fc1(x))), dim=-1)


@model
def torch_mlp_gated_softmax(out):
    torch.manual_seed(7)
    torch_export(out, "torch_mlp_gated_softmax", Sig(), torch.from_numpy(sample([1, 5], 7)))


# ---------- tf2onnx style ----------

def t(name, arr):
    return numpy_helper.from_array(np.asarray(arr), name)


def keras_model(nodes, inits, inp, outp, opset, name):
    graph = helper.make_graph(nodes, "tf2onnx", [inp], [outp], initializer=inits)
    m = helper.make_model(graph, producer_name="tf2onnx", producer_version="1.14.0 8f8d49",
                          opset_imports=[helper.make_opsetid("", opset),
                                         helper.make_opsetid("ai.onnx.ml", 2)])
    m.ir_version = 8
    onnx.checker.check_model(m, full_check=True)
    return m


@model
def keras_cnn_nhwc(out, opset=13, name="keras_cnn_nhwc"):
    rng = np.random.default_rng(10)
    w1 = rng.normal(0, 0.5, [3, 1, 3, 3]).astype(np.float32)
    b1 = rng.normal(0, 0.1, [3]).astype(np.float32)
    wd = rng.normal(0, 0.5, [12, 5]).astype(np.float32)
    bd = rng.normal(0, 0.1, [5]).astype(np.float32)
    inits = [t("sequential/conv2d/Conv2D/ReadVariableOp:0", w1),
             t("sequential/conv2d/BiasAdd/ReadVariableOp:0", b1),
             t("const_fold_opt__21", np.array([-1, 12], np.int64)),
             t("sequential/dense/MatMul/ReadVariableOp:0", wd),
             t("sequential/dense/BiasAdd/ReadVariableOp:0", bd)]
    nodes = [
        helper.make_node("Transpose", ["input_1:0"], ["sequential/conv2d/BiasAdd__6:0"], perm=[0, 3, 1, 2],
                         name="sequential/conv2d/BiasAdd__6"),
        helper.make_node("Conv", ["sequential/conv2d/BiasAdd__6:0", "sequential/conv2d/Conv2D/ReadVariableOp:0",
                                  "sequential/conv2d/BiasAdd/ReadVariableOp:0"],
                         ["sequential/conv2d/BiasAdd:0"], name="sequential/conv2d/BiasAdd",
                         dilations=[1, 1], strides=[1, 1], kernel_shape=[3, 3], group=1, pads=[0, 0, 0, 0]),
        helper.make_node("Relu", ["sequential/conv2d/BiasAdd:0"], ["sequential/conv2d/Relu:0"],
                         name="sequential/conv2d/Relu"),
        helper.make_node("MaxPool", ["sequential/conv2d/Relu:0"], ["sequential/max_pooling2d/MaxPool:0"],
                         name="sequential/max_pooling2d/MaxPool", kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Transpose", ["sequential/max_pooling2d/MaxPool:0"],
                         ["sequential/max_pooling2d/MaxPool__16:0"], perm=[0, 2, 3, 1],
                         name="sequential/max_pooling2d/MaxPool__16"),
        helper.make_node("Reshape", ["sequential/max_pooling2d/MaxPool__16:0", "const_fold_opt__21"],
                         ["sequential/flatten/Reshape:0"], name="sequential/flatten/Reshape"),
        helper.make_node("MatMul", ["sequential/flatten/Reshape:0", "sequential/dense/MatMul/ReadVariableOp:0"],
                         ["sequential/dense/MatMul:0"], name="sequential/dense/MatMul"),
        helper.make_node("Add", ["sequential/dense/MatMul:0", "sequential/dense/BiasAdd/ReadVariableOp:0"],
                         ["sequential/dense/BiasAdd:0"], name="sequential/dense/BiasAdd"),
        helper.make_node("Softmax", ["sequential/dense/BiasAdd:0"], ["sequential/dense/Softmax:0"],
                         name="sequential/dense/Softmax", axis=-1 if opset >= 13 else 1),
        helper.make_node("Identity", ["sequential/dense/Softmax:0"], ["dense"], name="Identity"),
    ]
    inp = helper.make_tensor_value_info("input_1:0", TensorProto.FLOAT, ["unk__27", 6, 6, 1])
    outp = helper.make_tensor_value_info("dense", TensorProto.FLOAT, ["unk__28", 5])
    m = keras_model(nodes, inits, inp, outp, opset, name)
    onnx.save(m, os.path.join(out, name + ".onnx"))
    write_input(out, name, sample([1, 6, 6, 1], 10, 0.0, 1.0))


@model
def keras_cnn_nhwc_opset17(out):
    keras_cnn_nhwc(out, 17, "keras_cnn_nhwc_opset17")


@model
def keras_mlp_squeeze(out, opset=15, name="keras_mlp_squeeze"):
    """Dense layers on a [N,1,6] input: Squeeze(axes input) -> MatMul+Add -> Relu -> Unsqueeze ->
    Reshape(-1, 8) -> MatMul+Add -> Softmax -> Identity; shape tensors as Constant nodes."""
    rng = np.random.default_rng(11)
    w1 = rng.normal(0, 0.5, [6, 8]).astype(np.float32)
    b1 = rng.normal(0, 0.1, [8]).astype(np.float32)
    w2 = rng.normal(0, 0.5, [8, 3]).astype(np.float32)
    b2 = rng.normal(0, 0.1, [3]).astype(np.float32)
    inits = [t("sequential/dense/MatMul/ReadVariableOp:0", w1), t("sequential/dense/BiasAdd/ReadVariableOp:0", b1),
             t("sequential/dense_1/MatMul/ReadVariableOp:0", w2),
             t("sequential/dense_1/BiasAdd/ReadVariableOp:0", b2)]
    nodes = [
        helper.make_node("Constant", [], ["const_axes__5"], value=t("const_axes__5", np.array([1], np.int64)),
                         name="const_axes__5"),
        helper.make_node("Squeeze", ["input_1:0", "const_axes__5"], ["sequential/reshape/Squeeze:0"],
                         name="sequential/reshape/Squeeze"),
        helper.make_node("MatMul", ["sequential/reshape/Squeeze:0", "sequential/dense/MatMul/ReadVariableOp:0"],
                         ["sequential/dense/MatMul:0"], name="sequential/dense/MatMul"),
        helper.make_node("Add", ["sequential/dense/MatMul:0", "sequential/dense/BiasAdd/ReadVariableOp:0"],
                         ["sequential/dense/BiasAdd:0"], name="sequential/dense/BiasAdd"),
        helper.make_node("Relu", ["sequential/dense/BiasAdd:0"], ["sequential/dense/Relu:0"],
                         name="sequential/dense/Relu"),
        helper.make_node("Identity", ["sequential/dense/Relu:0"], ["sequential/dropout/Identity:0"],
                         name="sequential/dropout/Identity"),
        helper.make_node("Unsqueeze", ["sequential/dropout/Identity:0", "const_axes__5"],
                         ["sequential/reshape_1/ExpandDims:0"], name="sequential/reshape_1/ExpandDims"),
        helper.make_node("Constant", [], ["const_fold_opt__9"],
                         value=t("const_fold_opt__9", np.array([-1, 8], np.int64)), name="const_fold_opt__9"),
        helper.make_node("Reshape", ["sequential/reshape_1/ExpandDims:0", "const_fold_opt__9"],
                         ["sequential/flatten/Reshape:0"], name="sequential/flatten/Reshape"),
        helper.make_node("MatMul", ["sequential/flatten/Reshape:0", "sequential/dense_1/MatMul/ReadVariableOp:0"],
                         ["sequential/dense_1/MatMul:0"], name="sequential/dense_1/MatMul"),
        helper.make_node("Add", ["sequential/dense_1/MatMul:0", "sequential/dense_1/BiasAdd/ReadVariableOp:0"],
                         ["sequential/dense_1/BiasAdd:0"], name="sequential/dense_1/BiasAdd"),
        helper.make_node("Softmax", ["sequential/dense_1/BiasAdd:0"], ["sequential/dense_1/Softmax:0"],
                         name="sequential/dense_1/Softmax", axis=-1),
        helper.make_node("Identity", ["sequential/dense_1/Softmax:0"], ["dense_1"], name="Identity"),
    ]
    inp = helper.make_tensor_value_info("input_1:0", TensorProto.FLOAT, ["unk__12", 1, 6])
    outp = helper.make_tensor_value_info("dense_1", TensorProto.FLOAT, ["unk__13", 3])
    m = keras_model(nodes, inits, inp, outp, opset, name)
    onnx.save(m, os.path.join(out, name + ".onnx"))
    write_input(out, name, sample([1, 1, 6], 11))


@model
def keras_bn_mul_add(out, opset=16, name="keras_bn_mul_add"):
    """Keras BatchNormalization as tf2onnx often writes it after optimisation: Mul + Add by constants,
    NHWC Conv with Transposes, Flatten as Reshape([-1, n]), Dense as MatMul + Add."""
    rng = np.random.default_rng(12)
    w1 = rng.normal(0, 0.5, [2, 1, 2, 2]).astype(np.float32)
    b1 = rng.normal(0, 0.1, [2]).astype(np.float32)
    sc = rng.uniform(0.5, 1.5, [2]).astype(np.float32)
    sh = rng.normal(0, 0.1, [2]).astype(np.float32)
    wd = rng.normal(0, 0.5, [32, 3]).astype(np.float32)
    bd = rng.normal(0, 0.1, [3]).astype(np.float32)
    inits = [t("conv_w", w1), t("conv_b", b1), t("bn_scale", sc), t("bn_shift", sh),
             t("new_shape__15", np.array([-1, 32], np.int64)), t("dense_w", wd), t("dense_b", bd)]
    nodes = [
        helper.make_node("Transpose", ["input_1:0"], ["t0"], perm=[0, 3, 1, 2], name="Transpose__7"),
        helper.make_node("Conv", ["t0", "conv_w", "conv_b"], ["c0"], name="model/conv2d/BiasAdd",
                         kernel_shape=[2, 2], strides=[1, 1], pads=[0, 0, 0, 0], dilations=[1, 1], group=1),
        helper.make_node("Transpose", ["c0"], ["t1"], perm=[0, 2, 3, 1], name="Transpose__9"),
        helper.make_node("Mul", ["t1", "bn_scale"], ["m0"], name="model/batch_normalization/FusedBatchNormV3__mul"),
        helper.make_node("Add", ["m0", "bn_shift"], ["a0"], name="model/batch_normalization/FusedBatchNormV3"),
        helper.make_node("Relu", ["a0"], ["r0"], name="model/re_lu/Relu"),
        helper.make_node("Reshape", ["r0", "new_shape__15"], ["f0"], name="model/flatten/Reshape"),
        helper.make_node("MatMul", ["f0", "dense_w"], ["d0"], name="model/dense/MatMul"),
        helper.make_node("Add", ["d0", "dense_b"], ["d1"], name="model/dense/BiasAdd"),
        helper.make_node("Softmax", ["d1"], ["dense"], name="model/dense/Softmax", axis=-1),
    ]
    inp = helper.make_tensor_value_info("input_1:0", TensorProto.FLOAT, ["unk__21", 5, 5, 1])
    outp = helper.make_tensor_value_info("dense", TensorProto.FLOAT, ["unk__22", 3])
    m = keras_model(nodes, inits, inp, outp, opset, name)
    onnx.save(m, os.path.join(out, name + ".onnx"))
    write_input(out, name, sample([1, 5, 5, 1], 12, 0.0, 1.0))


# ---------- QDQ (onnxruntime quantizer style) ----------

def qparams_u8(lo, hi):
    lo, hi = min(lo, 0.0), max(hi, 0.0)
    scale = np.float32((hi - lo) / 255.0)
    zp = np.uint8(round(-lo / scale))
    return scale, zp


def q_s8_sym(w, axis=None):
    if axis is None:
        scale = np.float32(np.abs(w).max() / 127.0)
        return np.clip(np.round(w / scale), -127, 127).astype(np.int8), scale
    red = tuple(i for i in range(w.ndim) if i != axis)
    scale = (np.abs(w).max(axis=red) / 127.0).astype(np.float32)
    shape = [1] * w.ndim
    shape[axis] = -1
    return np.clip(np.round(w / scale.reshape(shape)), -127, 127).astype(np.int8), scale


def qdq_pair(nodes, inits, x, name, scale, zp):
    inits += [t(name + "_scale", np.array(scale, np.float32)), t(name + "_zero_point", np.array(zp, np.uint8))]
    nodes.append(helper.make_node("QuantizeLinear", [x, name + "_scale", name + "_zero_point"],
                                  [name + "_QuantizeLinear_Output"], name=name + "_QuantizeLinear"))
    nodes.append(helper.make_node("DequantizeLinear", [name + "_QuantizeLinear_Output", name + "_scale",
                                                      name + "_zero_point"],
                                  [name + "_DequantizeLinear_Output"], name=name + "_DequantizeLinear"))
    return name + "_DequantizeLinear_Output"


def dq_weight(nodes, inits, name, w, per_channel_axis=None):
    q, scale = q_s8_sym(w, per_channel_axis)
    zp = np.zeros(np.shape(scale), np.int8)
    inits += [t(name + "_quantized", q), t(name + "_scale", np.asarray(scale, np.float32)),
              t(name + "_zero_point", zp)]
    kw = {} if per_channel_axis is None else {"axis": per_channel_axis}
    nodes.append(helper.make_node("DequantizeLinear", [name + "_quantized", name + "_scale", name + "_zero_point"],
                                  [name + "_DequantizeLinear_Output"], name=name + "_DequantizeLinear", **kw))
    return name + "_DequantizeLinear_Output", scale


def dq_bias(nodes, inits, name, b, in_scale, w_scale):
    bs = (np.float32(in_scale) * np.asarray(w_scale, np.float32)).astype(np.float32)
    bs = np.broadcast_to(bs, b.shape).astype(np.float32) if np.ndim(w_scale) else bs
    q = np.round(b / bs).astype(np.int32)
    inits += [t(name + "_quantized", q), t(name + "_quantized_scale", np.asarray(bs, np.float32)),
              t(name + "_quantized_zero_point", np.zeros(np.shape(bs), np.int32))]
    kw = {"axis": 0} if np.ndim(bs) else {}
    nodes.append(helper.make_node("DequantizeLinear", [name + "_quantized", name + "_quantized_scale",
                                                      name + "_quantized_zero_point"],
                                  [name + "_quantized_DequantizeLinear_Output"],
                                  name=name + "_quantized_DequantizeLinear", **kw))
    return name + "_quantized_DequantizeLinear_Output"


def qdq_conv_model(out, name, per_channel, opset=13):
    rng = np.random.default_rng(20)
    w = rng.normal(0, 0.5, [3, 1, 3, 3]).astype(np.float32)
    b = rng.normal(0, 0.1, [3]).astype(np.float32)
    wd = rng.normal(0, 0.5, [12, 4]).astype(np.float32)
    bd = rng.normal(0, 0.1, [4]).astype(np.float32)
    nodes, inits = [], []
    s_in, z_in = qparams_u8(0.0, 1.0)
    x = qdq_pair(nodes, inits, "input", "input", s_in, z_in)
    wq, ws = dq_weight(nodes, inits, "conv.weight", w, 0 if per_channel else None)
    bq = dq_bias(nodes, inits, "conv.bias", b, s_in, ws)
    nodes.append(helper.make_node("Conv", [x, wq, bq], ["conv_out"], name="Conv_0", kernel_shape=[3, 3]))
    s_c, z_c = qparams_u8(-2.0, 2.0)
    c = qdq_pair(nodes, inits, "conv_out", "conv_out", s_c, z_c)
    nodes.append(helper.make_node("Relu", [c], ["relu_out"], name="Relu_1"))
    s_r, z_r = qparams_u8(0.0, 2.0)
    r = qdq_pair(nodes, inits, "relu_out", "relu_out", s_r, z_r)
    nodes.append(helper.make_node("MaxPool", [r], ["pool_out"], name="MaxPool_2", kernel_shape=[2, 2],
                                  strides=[2, 2]))
    p = qdq_pair(nodes, inits, "pool_out", "pool_out", s_r, z_r)
    inits.append(t("shape_const", np.array([1, 12], np.int64)))
    nodes.append(helper.make_node("Reshape", [p, "shape_const"], ["flat"], name="Reshape_3"))
    f = qdq_pair(nodes, inits, "flat", "flat", s_r, z_r)
    wdq, wds = dq_weight(nodes, inits, "fc.weight", wd, 1 if per_channel else None)
    nodes.append(helper.make_node("MatMul", [f, wdq], ["mm_out"], name="MatMul_4"))
    s_m, z_m = qparams_u8(-4.0, 4.0)
    mm = qdq_pair(nodes, inits, "mm_out", "mm_out", s_m, z_m)
    inits.append(t("fc.bias", bd))
    nodes.append(helper.make_node("Add", [mm, "fc.bias"], ["logits"], name="Add_5"))
    nodes.append(helper.make_node("Softmax", ["logits"], ["output"], name="Softmax_6", axis=1))
    graph = helper.make_graph(nodes, "torch-jit-export",
                              [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 1, 6, 6])],
                              [helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, 4])],
                              initializer=inits)
    m = helper.make_model(graph, producer_name="onnx.quantize", producer_version="0.1.0",
                          opset_imports=[helper.make_opsetid("", opset), helper.make_opsetid("com.microsoft", 1)])
    m.ir_version = 7
    onnx.checker.check_model(m, full_check=True)
    onnx.save(m, os.path.join(out, name + ".onnx"))
    write_input(out, name, sample([1, 1, 6, 6], 20, 0.0, 1.0))


@model
def qdq_conv_per_tensor(out):
    qdq_conv_model(out, "qdq_conv_per_tensor", False)


@model
def qdq_conv_per_channel(out):
    qdq_conv_model(out, "qdq_conv_per_channel", True)


@model
def qdq_mlp_s8(out):
    """S8S8 QDQ MLP (activations int8 symmetric-ish, as quant_format=QDQ, activation_type=QInt8)."""
    rng = np.random.default_rng(21)
    w1 = rng.normal(0, 0.5, [6, 8]).astype(np.float32)
    b1 = rng.normal(0, 0.1, [8]).astype(np.float32)
    w2 = rng.normal(0, 0.5, [8, 3]).astype(np.float32)
    nodes, inits = [], []

    def pair(x, name, scale, zp):
        inits.extend([t(name + "_scale", np.array(scale, np.float32)), t(name + "_zero_point", np.array(zp, np.int8))])
        nodes.append(helper.make_node("QuantizeLinear", [x, name + "_scale", name + "_zero_point"], [name + "_q"],
                                      name=name + "_QuantizeLinear"))
        nodes.append(helper.make_node("DequantizeLinear", [name + "_q", name + "_scale", name + "_zero_point"],
                                      [name + "_dq"], name=name + "_DequantizeLinear"))
        return name + "_dq"

    x = pair("input", "input", 1.0 / 127, 0)
    w1q, w1s = dq_weight(nodes, inits, "fc1.weight", w1)
    nodes.append(helper.make_node("MatMul", [x, w1q], ["mm1"], name="MatMul_0"))
    m1 = pair("mm1", "mm1", 3.0 / 127, 0)
    b1q = dq_bias(nodes, inits, "fc1.bias", b1, 3.0 / 127, 1.0)
    nodes.append(helper.make_node("Add", [m1, b1q], ["add1"], name="Add_1"))
    a1 = pair("add1", "add1", 3.0 / 127, 0)
    nodes.append(helper.make_node("Relu", [a1], ["relu1"], name="Relu_2"))
    r1 = pair("relu1", "relu1", 3.0 / 127, -128)
    w2q, _ = dq_weight(nodes, inits, "fc2.weight", w2)
    nodes.append(helper.make_node("MatMul", [r1, w2q], ["output"], name="MatMul_3"))
    graph = helper.make_graph(nodes, "torch-jit-export",
                              [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 6])],
                              [helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, 3])],
                              initializer=inits)
    m = helper.make_model(graph, producer_name="onnx.quantize", producer_version="0.1.0",
                          opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = 7
    onnx.checker.check_model(m, full_check=True)
    onnx.save(m, os.path.join(out, "qdq_mlp_s8.onnx"))
    write_input(out, "qdq_mlp_s8", sample([1, 6], 21))


# ---------- round 2: less common but legitimate encodings ----------

def plain_model(out, name, nodes, inits, in_shape, out_name, out_shape, opset, x, producer="pytorch"):
    graph = helper.make_graph(nodes, "main", [helper.make_tensor_value_info("input", TensorProto.FLOAT, in_shape)],
                              [helper.make_tensor_value_info(out_name, TensorProto.FLOAT, out_shape)], initializer=inits)
    m = helper.make_model(graph, producer_name=producer, opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = 7
    onnx.checker.check_model(m, full_check=True)
    onnx.save(m, os.path.join(out, name + ".onnx"))
    write_input(out, name, x)


def dropout_model(out, name, opset):
    """Inference graphs that keep their Dropout node (older exporters, keras2onnx)."""
    rng = np.random.default_rng(30)
    inits = [t("W1", rng.normal(0, 0.5, [6, 8]).astype(np.float32)), t("W2", rng.normal(0, 0.5, [8, 3]).astype(np.float32))]
    if opset >= 12:
        inits.append(t("ratio", np.array(0.5, np.float32)))
        drop = helper.make_node("Dropout", ["h", "ratio"], ["d"], name="dropout")
    else:
        drop = helper.make_node("Dropout", ["h"], ["d", "mask"], name="dropout", ratio=0.5)
    nodes = [helper.make_node("MatMul", ["input", "W1"], ["m"], name="fc1"),
             helper.make_node("Relu", ["m"], ["h"], name="relu"), drop,
             helper.make_node("MatMul", ["d", "W2"], ["logits"], name="fc2"),
             helper.make_node("Softmax", ["logits"], ["output"], name="softmax", axis=1)]
    plain_model(out, name, nodes, inits, [1, 6], "output", [1, 3], opset, sample([1, 6], 30))


@model
def onnx_dropout_opset10(out):
    dropout_model(out, "onnx_dropout_opset10", 10)


@model
def onnx_dropout_opset13(out):
    dropout_model(out, "onnx_dropout_opset13", 13)


class NormMlp(nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer("mean", torch.tensor([0.1, -0.2, 0.3, 0.0, 0.05, -0.1]))
        self.register_buffer("std", torch.tensor([0.5, 0.7, 0.9, 1.1, 0.6, 0.8]))
        self.bn = nn.BatchNorm1d(6)
        self.fc1 = nn.Linear(6, 8)
        self.fc2 = nn.Linear(8, 3)

    def forward(self, x):
        x = self.bn((x - self.mean) / self.std)
        return torch.softmax(self.fc2(torch.relu(self.fc1(x))), dim=1)


@model
def torch_normalize_bn_first(out):
    torch.manual_seed(31)
    torch_export(out, "torch_normalize_bn_first", NormMlp(), torch.from_numpy(sample([1, 6], 31)))


class CeilCnn(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(2, 4, 3, padding=1, groups=2)
        self.avg = nn.AvgPool2d(3, stride=2, padding=1, ceil_mode=True, count_include_pad=False)
        self.maxp = nn.MaxPool2d(2, ceil_mode=True)
        self.fc = nn.Linear(16, 3)

    def forward(self, x):
        x = self.maxp(self.avg(torch.relu(self.conv(x))))
        return torch.softmax(self.fc(torch.flatten(x, 1)), dim=1)


@model
def torch_cnn_ceil_pool_groups(out):
    torch.manual_seed(32)
    torch_export(out, "torch_cnn_ceil_pool_groups", CeilCnn(), torch.from_numpy(sample([1, 2, 7, 7], 32, 0.0, 1.0)))


@model
def torch_mlp_opset9(out):
    torch.manual_seed(33)
    net = nn.Sequential(nn.Flatten(), nn.Linear(8, 6), nn.BatchNorm1d(6), nn.ReLU(), nn.Dropout(0.2), nn.Linear(6, 3),
                        nn.Softmax(dim=1))
    torch_export(out, "torch_mlp_opset9", net, torch.from_numpy(sample([2, 2, 4], 33)), opset=9)


class ResCnn(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(1, 2, 3, padding=1)
        self.c2 = nn.Conv2d(2, 2, 3, padding=1)
        self.fc = nn.Linear(4 * 4 * 4, 3)

    def forward(self, x):
        a = torch.relu(self.c1(x))
        b = torch.relu(self.c2(a) + a)
        return torch.softmax(self.fc(torch.cat([a, b], 1).reshape(1, -1)), dim=1)


@model
def torch_residual_concat(out):
    torch.manual_seed(34)
    torch_export(out, "torch_residual_concat", ResCnn(), torch.from_numpy(sample([1, 1, 4, 4], 34, 0.0, 1.0)))


@model
def keras_gap_reducemean(out):
    """Keras GlobalAveragePooling2D: tf2onnx writes ReduceMean over the spatial axes (NHWC)."""
    rng = np.random.default_rng(35)
    inits = [t("conv_w", rng.normal(0, 0.5, [2, 1, 3, 3]).astype(np.float32)),
             t("dense_w", rng.normal(0, 0.5, [2, 3]).astype(np.float32)), t("dense_b", np.zeros([3], np.float32))]
    nodes = [helper.make_node("Transpose", ["input_1:0"], ["t0"], perm=[0, 3, 1, 2], name="Transpose__5"),
             helper.make_node("Conv", ["t0", "conv_w"], ["c0"], name="model/conv2d/Conv2D", kernel_shape=[3, 3]),
             helper.make_node("Relu", ["c0"], ["r0"], name="model/conv2d/Relu"),
             helper.make_node("Transpose", ["r0"], ["t1"], perm=[0, 2, 3, 1], name="Transpose__8"),
             helper.make_node("ReduceMean", ["t1"], ["g0"], axes=[1, 2], keepdims=0,
                              name="model/global_average_pooling2d/Mean"),
             helper.make_node("MatMul", ["g0", "dense_w"], ["d0"], name="model/dense/MatMul"),
             helper.make_node("Add", ["d0", "dense_b"], ["d1"], name="model/dense/BiasAdd"),
             helper.make_node("Softmax", ["d1"], ["dense"], name="model/dense/Softmax", axis=-1)]
    inp = helper.make_tensor_value_info("input_1:0", TensorProto.FLOAT, ["unk__10", 5, 5, 1])
    outp = helper.make_tensor_value_info("dense", TensorProto.FLOAT, ["unk__11", 3])
    m = keras_model(nodes, inits, inp, outp, 13, "keras_gap_reducemean")
    onnx.save(m, os.path.join(out, "keras_gap_reducemean.onnx"))
    write_input(out, "keras_gap_reducemean", sample([1, 5, 5, 1], 35, 0.0, 1.0))


@model
def keras_bn_relu6(out):
    """tf2onnx: Keras BatchNormalization (epsilon 0.001) kept as a BatchNormalization node between
    Transposes, ReLU6 as Clip with min/max initializer inputs, Dropout as Identity."""
    rng = np.random.default_rng(36)
    inits = [t("conv_w", rng.normal(0, 0.5, [2, 1, 2, 2]).astype(np.float32)), t("conv_b", np.zeros([2], np.float32)),
             t("bn_gamma", rng.uniform(0.5, 1.5, [2]).astype(np.float32)), t("bn_beta", rng.normal(0, 0.1, [2]).astype(np.float32)),
             t("bn_mean", rng.normal(0, 0.1, [2]).astype(np.float32)), t("bn_var", rng.uniform(0.5, 1.5, [2]).astype(np.float32)),
             t("clip_min", np.array(0.0, np.float32)), t("clip_max", np.array(6.0, np.float32)),
             t("shape", np.array([-1, 18], np.int64)),
             t("dense_w", rng.normal(0, 0.5, [18, 3]).astype(np.float32)), t("dense_b", np.zeros([3], np.float32))]
    nodes = [helper.make_node("Transpose", ["input_1:0"], ["t0"], perm=[0, 3, 1, 2], name="Transpose__5"),
             helper.make_node("Conv", ["t0", "conv_w", "conv_b"], ["c0"], name="model/conv2d/BiasAdd", kernel_shape=[2, 2]),
             helper.make_node("BatchNormalization", ["c0", "bn_gamma", "bn_beta", "bn_mean", "bn_var"], ["b0"],
                              epsilon=0.001, name="model/batch_normalization/FusedBatchNormV3"),
             helper.make_node("Clip", ["b0", "clip_min", "clip_max"], ["r0"], name="model/re_lu/Relu6"),
             helper.make_node("Transpose", ["r0"], ["t1"], perm=[0, 2, 3, 1], name="Transpose__9"),
             helper.make_node("Identity", ["t1"], ["i0"], name="model/dropout/Identity"),
             helper.make_node("Reshape", ["i0", "shape"], ["f0"], name="model/flatten/Reshape"),
             helper.make_node("MatMul", ["f0", "dense_w"], ["d0"], name="model/dense/MatMul"),
             helper.make_node("Add", ["d0", "dense_b"], ["d1"], name="model/dense/BiasAdd"),
             helper.make_node("Softmax", ["d1"], ["dense"], name="model/dense/Softmax", axis=-1)]
    inp = helper.make_tensor_value_info("input_1:0", TensorProto.FLOAT, ["unk__10", 4, 4, 1])
    outp = helper.make_tensor_value_info("dense", TensorProto.FLOAT, ["unk__11", 3])
    m = keras_model(nodes, inits, inp, outp, 14, "keras_bn_relu6")
    onnx.save(m, os.path.join(out, "keras_bn_relu6.onnx"))
    write_input(out, "keras_bn_relu6", sample([1, 4, 4, 1], 36, 0.0, 1.0))


@model
def qdq_gemm_flatten(out):
    """onnxruntime QDQ of a torch MLP: Flatten between QDQ pairs, Gemm(transB=1) with a DequantizeLinear
    weight and an int32 bias through DequantizeLinear without zero point (optional input omitted)."""
    rng = np.random.default_rng(37)
    w = rng.normal(0, 0.5, [3, 8]).astype(np.float32)
    b = rng.normal(0, 0.1, [3]).astype(np.float32)
    nodes, inits = [], []
    s_in, z_in = qparams_u8(-1.0, 1.0)
    x = qdq_pair(nodes, inits, "input", "input", s_in, z_in)
    nodes.append(helper.make_node("Flatten", [x], ["flat"], name="Flatten_0", axis=1))
    f = qdq_pair(nodes, inits, "flat", "flat", s_in, z_in)
    wq, ws = dq_weight(nodes, inits, "fc.weight", w)
    bs = np.float32(s_in * ws)
    inits += [t("fc.bias_quantized", np.round(b / bs).astype(np.int32)), t("fc.bias_quantized_scale", np.array(bs, np.float32))]
    nodes.append(helper.make_node("DequantizeLinear", ["fc.bias_quantized", "fc.bias_quantized_scale"], ["bias_dq"],
                                  name="fc.bias_DequantizeLinear"))
    nodes.append(helper.make_node("Gemm", [f, wq, "bias_dq"], ["gemm_out"], name="Gemm_1", transB=1, alpha=1.0, beta=1.0))
    s_o, z_o = qparams_u8(-3.0, 3.0)
    g = qdq_pair(nodes, inits, "gemm_out", "gemm_out", s_o, z_o)
    nodes.append(helper.make_node("Softmax", [g], ["output"], name="Softmax_2", axis=1))
    graph = helper.make_graph(nodes, "torch-jit-export",
                              [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 2, 4])],
                              [helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, 3])], initializer=inits)
    m = helper.make_model(graph, producer_name="onnx.quantize", producer_version="0.1.0",
                          opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = 7
    onnx.checker.check_model(m, full_check=True)
    onnx.save(m, os.path.join(out, "qdq_gemm_flatten.onnx"))
    write_input(out, "qdq_gemm_flatten", sample([1, 2, 4], 37))


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(REPO_ROOT, "test", "fixtures", "robust")
    names = sys.argv[2:] or list(MODELS)
    os.makedirs(out, exist_ok=True)
    for n in names:
        MODELS[n](out)
        print(n)


if __name__ == "__main__":
    main()
