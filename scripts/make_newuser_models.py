#!/usr/bin/python3
"""Models a new user would bring, trained or built the way their exporters write them, for the
command-line pass over foreign exports (compile -> prove -> verify, infer, open, --inferences,
--weights hashed, export). Not fixtures: it writes into OUT_DIR (default ./newuser-models)
<name>.onnx, <name>.input.json (one input) and <name>.calib.jsonl (calibration inputs).

  torch_mlp_b1              PyTorch MLP on sklearn's digits (raw 0-16 pixels), batch 1, Softmax, opset 17
  torch_cnn_op11/_op17      PyTorch CNN (Conv, BatchNorm, ReLU, MaxPool, AvgPool, Flatten, Linear, Softmax)
  torch_cnn_b4              the same exported with a fixed batch of 4 (compile with --batch 1)
  skl_logreg_iris           sklearn LogisticRegression + StandardScaler as Sub, Div, MatMul, Add, Softmax
  skl_logreg_sigmoid        breast-cancer LogisticRegression on its 30 raw features: Sub, Mul, MatMul, Add,
                            Sigmoid (features from 0.001 to 4,000: compile warns about the quantization error)
  skl2onnx_linearclassifier the ai.onnx.ml Scaler + LinearClassifier skl2onnx writes (refused: unsupported op)
  tf_cnn_op13/_op17         tf2onnx style from the same CNN: NHWC `conv2d_input:0` [unk__123, 8, 8, 1],
                            Transposes, SAME_UPPER padding, Reshape [-1, 32], MatMul + Add, Softmax, Identity,
                            names with slashes and colons
  qdq_cnn_gemm_pc           onnxruntime-quantizer-style QDQ of the CNN: per-channel int8 Conv and Gemm weights,
                            int32 biases, uint8 activations with asymmetric zero points
  qdq_u8_weights            QDQ with uint8 per-channel weights (zero points != 0) around Conv and Gemm
  torch_gelu, torch_silu    PyTorch MLPs, opset 17 (GELU through Erf; SiLU as x * sigmoid(x))
  torch_layernorm           LayerNormalization (refused: unsupported op)
  torch_keep_inits          keep_initializers_as_inputs=True, opset 11
  torch_two_outputs         two graph outputs (refused)
  torch_embedding           int64 token ids into an Embedding (refused: int64 input)
  torch_conv1d              Conv1d, BatchNorm1d, AdaptiveAvgPool1d, Linear, Softmax
  tf_gap                    tf2onnx style GlobalAveragePooling2D as ReduceMean over NHWC axes [1, 2]

Run with the Debian interpreter (python3-torch 1.13, python3-onnx 1.12, python3-sklearn):
  /usr/bin/python3 scripts/make_newuser_models.py [OUT_DIR]
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
from sklearn.datasets import load_breast_cancer, load_digits, load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

warnings.filterwarnings("ignore")
torch.manual_seed(0)
torch.set_num_threads(1)
OUT = sys.argv[1] if len(sys.argv) > 1 else "newuser-models"
os.makedirs(OUT, exist_ok=True)
def t(name, arr): return numpy_helper.from_array(np.asarray(arr), name)
def wjson(name, xs):
    with open(os.path.join(OUT, name + ".input.json"), "w") as f: json.dump({"input": xs[0].tolist()}, f)
    with open(os.path.join(OUT, name + ".calib.jsonl"), "w") as f:
        for i, x in enumerate(xs): f.write(json.dumps({"id": f"s{i}", "input": x.tolist()}) + "\n")

digits = load_digits(); X = digits.data.astype(np.float32); y = digits.target
def train(net, xs, ys, epochs=60):
    opt = torch.optim.Adam(net.parameters(), 0.01); xs = torch.from_numpy(xs); ys = torch.from_numpy(ys).long()
    for e in range(epochs):
        net.train(); opt.zero_grad(); l = nn.functional.cross_entropy(net(xs), ys); l.backward(); opt.step()
    net.eval(); return net

def export(net, x, name, opset, dyn=False):
    kw = {"dynamic_axes": {"input": {0: "batch"}, "output": {0: "batch"}}} if dyn else {}
    torch.onnx.export(nn.Sequential(net, nn.Softmax(dim=1)), x, os.path.join(OUT, name + ".onnx"), input_names=["input"],
                      output_names=["output"], opset_version=opset, **kw)
    onnx.checker.check_model(onnx.load(os.path.join(OUT, name + ".onnx")), full_check=True)

# A: MLP on raw digits (0..16), batch 1
mlp = train(nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10)), X[:1500], y[:1500], 150)
export(mlp, torch.from_numpy(X[:1]), "torch_mlp_b1", 17)
wjson("torch_mlp_b1", [X[1500 + i:1501 + i] for i in range(40)])
print("mlp acc", (mlp(torch.from_numpy(X[1500:])).argmax(1).numpy() == y[1500:]).mean())

# B/C: CNN
class Cnn(nn.Module):
    def __init__(s):
        super().__init__()
        s.f = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2),
                            nn.Conv2d(4, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.AvgPool2d(2), nn.Flatten(), nn.Linear(32, 10))
    def forward(s, x): return s.f(x)
Xi = (X / 16.0).reshape(-1, 1, 8, 8).astype(np.float32)
cnn = train(Cnn(), Xi[:1500], y[:1500], 150)
print("cnn acc", (cnn(torch.from_numpy(Xi[1500:])).argmax(1).numpy() == y[1500:]).mean())
export(cnn, torch.from_numpy(Xi[:1]), "torch_cnn_op11", 11)
export(cnn, torch.from_numpy(Xi[:1]), "torch_cnn_op17", 17)
wjson("torch_cnn_op11", [Xi[1500 + i:1501 + i] for i in range(40)]); wjson("torch_cnn_op17", [Xi[1500 + i:1501 + i] for i in range(40)])
export(cnn, torch.from_numpy(Xi[:4]), "torch_cnn_b4", 13)
wjson("torch_cnn_b4", [Xi[1500 + i:1501 + i] for i in range(40)])

# D: sklearn-style logistic regression (iris, StandardScaler folded as Sub/Div; breast cancer binary with Sigmoid)
iris = load_iris(); sc = StandardScaler().fit(iris.data); lr = LogisticRegression(max_iter=1000).fit(sc.transform(iris.data), iris.target)
nodes = [helper.make_node("Sub", ["float_input", "mean"], ["centered"], name="Scaler/Sub"),
         helper.make_node("Div", ["centered", "scale"], ["scaled"], name="Scaler/Div"),
         helper.make_node("MatMul", ["scaled", "coef"], ["mm"], name="LinearClassifier/MatMul"),
         helper.make_node("Add", ["mm", "intercept"], ["logits"], name="LinearClassifier/Add"),
         helper.make_node("Softmax", ["logits"], ["probabilities"], name="Softmax", axis=-1)]
inits = [t("mean", sc.mean_.astype(np.float32)), t("scale", sc.scale_.astype(np.float32)), t("coef", lr.coef_.T.astype(np.float32)), t("intercept", lr.intercept_.astype(np.float32))]
g = helper.make_graph(nodes, "logreg", [helper.make_tensor_value_info("float_input", TensorProto.FLOAT, [None, 4])],
                      [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, [None, 3])], initializer=inits)
m = helper.make_model(g, producer_name="skl2onnx", opset_imports=[helper.make_opsetid("", 13)]); m.ir_version = 8
onnx.checker.check_model(m); onnx.save(m, os.path.join(OUT, "skl_logreg_iris.onnx"))
Xr = iris.data.astype(np.float32); wjson("skl_logreg_iris", [Xr[i:i + 1] for i in range(0, 150, 4)])
# genuine skl2onnx form: ai.onnx.ml LinearClassifier + Normalizer + ZipMap
n2 = [helper.make_node("Scaler", ["float_input"], ["variable"], domain="ai.onnx.ml", name="Scaler", offset=sc.mean_.astype(np.float32).tolist(), scale=(1 / sc.scale_).astype(np.float32).tolist()),
      helper.make_node("LinearClassifier", ["variable"], ["label", "probability_tensor"], domain="ai.onnx.ml", name="LinearClassifier",
                       classlabels_ints=[0, 1, 2], coefficients=lr.coef_.astype(np.float32).ravel().tolist(), intercepts=lr.intercept_.astype(np.float32).tolist(), multi_class=1, post_transform="SOFTMAX")]
g2 = helper.make_graph(n2, "skl", [helper.make_tensor_value_info("float_input", TensorProto.FLOAT, [None, 4])],
                       [helper.make_tensor_value_info("label", TensorProto.INT64, [None]), helper.make_tensor_value_info("probability_tensor", TensorProto.FLOAT, [None, 3])])
m2 = helper.make_model(g2, producer_name="skl2onnx", opset_imports=[helper.make_opsetid("", 13), helper.make_opsetid("ai.onnx.ml", 1)]); m2.ir_version = 8
onnx.checker.check_model(m2); onnx.save(m2, os.path.join(OUT, "skl2onnx_linearclassifier.onnx")); wjson("skl2onnx_linearclassifier", [Xr[:1]])
bc = load_breast_cancer(); sc2 = StandardScaler().fit(bc.data); lr2 = LogisticRegression(max_iter=2000).fit(sc2.transform(bc.data), bc.target)
n3 = [helper.make_node("Sub", ["input", "mean"], ["c"], name="Sub"), helper.make_node("Mul", ["c", "inv_scale"], ["s"], name="Mul"),
      helper.make_node("MatMul", ["s", "coef"], ["mm"], name="MatMul"), helper.make_node("Add", ["mm", "b"], ["z"], name="Add"),
      helper.make_node("Sigmoid", ["z"], ["output"], name="Sigmoid")]
i3 = [t("mean", sc2.mean_.astype(np.float32)), t("inv_scale", (1 / sc2.scale_).astype(np.float32)), t("coef", lr2.coef_.T.astype(np.float32)), t("b", lr2.intercept_.astype(np.float32))]
g3 = helper.make_graph(n3, "bc", [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 30])], [helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, 1])], initializer=i3)
m3 = helper.make_model(g3, producer_name="skl2onnx", opset_imports=[helper.make_opsetid("", 13)]); m3.ir_version = 8
onnx.checker.check_model(m3); onnx.save(m3, os.path.join(OUT, "skl_logreg_sigmoid.onnx"))
Xb = bc.data.astype(np.float32); wjson("skl_logreg_sigmoid", [Xb[i:i + 1] for i in range(0, 569, 14)])

# F: tf2onnx-style CNN from the trained torch CNN, NHWC
def tf_cnn(opset, name):
    sd = {k: v.detach().numpy() for k, v in cnn.state_dict().items()}
    def fold(ci, bi):
        w, b = sd[f"f.{ci}.weight"], sd[f"f.{ci}.bias"]
        g, be, mu, var = sd[f"f.{bi}.weight"], sd[f"f.{bi}.bias"], sd[f"f.{bi}.running_mean"], sd[f"f.{bi}.running_var"]
        s = g / np.sqrt(var + 1e-5); return (w * s[:, None, None, None]).astype(np.float32), ((b - mu) * s + be).astype(np.float32)
    w1, b1 = fold(0, 1); w2, b2 = fold(4, 5)
    # Keras Flatten flattens NHWC (h, w, c): permute the dense weight rows accordingly
    wd = sd["f.9.weight"]  # [10, 32] over (c, h, w)
    wd_nhwc = wd.reshape(10, 8, 2, 2).transpose(0, 2, 3, 1).reshape(10, 32).T.astype(np.float32)
    P = "StatefulPartitionedCall/sequential/"
    inits = [t(P + "conv2d/Conv2D/ReadVariableOp:0", w1), t(P + "conv2d/BiasAdd/ReadVariableOp:0", b1),
             t(P + "conv2d_1/Conv2D/ReadVariableOp:0", w2), t(P + "conv2d_1/BiasAdd/ReadVariableOp:0", b2),
             t("const_fold_opt__42", np.array([-1, 32], np.int64)),
             t(P + "dense/MatMul/ReadVariableOp:0", wd_nhwc), t(P + "dense/BiasAdd/ReadVariableOp:0", sd["f.9.bias"].astype(np.float32))]
    mk = helper.make_node
    nodes = [mk("Transpose", ["conv2d_input:0"], [P + "conv2d/BiasAdd__6:0"], perm=[0, 3, 1, 2], name=P + "conv2d/BiasAdd__6"),
             mk("Conv", [P + "conv2d/BiasAdd__6:0", P + "conv2d/Conv2D/ReadVariableOp:0", P + "conv2d/BiasAdd/ReadVariableOp:0"], [P + "conv2d/BiasAdd:0"], kernel_shape=[3, 3], pads=[1, 1, 1, 1], strides=[1, 1], dilations=[1, 1], group=1, name=P + "conv2d/BiasAdd"),
             mk("Relu", [P + "conv2d/BiasAdd:0"], [P + "conv2d/Relu:0"], name=P + "conv2d/Relu"),
             mk("MaxPool", [P + "conv2d/Relu:0"], [P + "max_pooling2d/MaxPool:0"], kernel_shape=[2, 2], strides=[2, 2], name=P + "max_pooling2d/MaxPool"),
             mk("Conv", [P + "max_pooling2d/MaxPool:0", P + "conv2d_1/Conv2D/ReadVariableOp:0", P + "conv2d_1/BiasAdd/ReadVariableOp:0"], [P + "conv2d_1/BiasAdd:0"], kernel_shape=[3, 3], auto_pad="SAME_UPPER", strides=[1, 1], name=P + "conv2d_1/BiasAdd"),
             mk("Relu", [P + "conv2d_1/BiasAdd:0"], [P + "conv2d_1/Relu:0"], name=P + "conv2d_1/Relu"),
             mk("AveragePool", [P + "conv2d_1/Relu:0"], [P + "average_pooling2d/AvgPool:0"], kernel_shape=[2, 2], strides=[2, 2], name=P + "average_pooling2d/AvgPool"),
             mk("Transpose", [P + "average_pooling2d/AvgPool:0"], [P + "average_pooling2d/AvgPool__20:0"], perm=[0, 2, 3, 1], name=P + "average_pooling2d/AvgPool__20"),
             mk("Reshape", [P + "average_pooling2d/AvgPool__20:0", "const_fold_opt__42"], [P + "flatten/Reshape:0"], name=P + "flatten/Reshape"),
             mk("MatMul", [P + "flatten/Reshape:0", P + "dense/MatMul/ReadVariableOp:0"], [P + "dense/MatMul:0"], name=P + "dense/MatMul"),
             mk("Add", [P + "dense/MatMul:0", P + "dense/BiasAdd/ReadVariableOp:0"], [P + "dense/BiasAdd:0"], name=P + "dense/BiasAdd"),
             mk("Softmax", [P + "dense/BiasAdd:0"], [P + "dense/Softmax:0"], axis=-1 if opset >= 13 else 1, name=P + "dense/Softmax"),
             mk("Identity", [P + "dense/Softmax:0"], ["dense"], name="Identity")]
    g = helper.make_graph(nodes, "tf2onnx", [helper.make_tensor_value_info("conv2d_input:0", TensorProto.FLOAT, ["unk__123", 8, 8, 1])],
                          [helper.make_tensor_value_info("dense", TensorProto.FLOAT, ["unk__124", 10])], initializer=inits)
    m = helper.make_model(g, producer_name="tf2onnx", producer_version="1.16.1 15c810", opset_imports=[helper.make_opsetid("", opset), helper.make_opsetid("ai.onnx.ml", 2)]); m.ir_version = 8
    onnx.checker.check_model(m, full_check=True); onnx.save(m, os.path.join(OUT, name + ".onnx"))
    Xn = Xi.transpose(0, 2, 3, 1)
    wjson(name, [Xn[1500 + i:1501 + i] for i in range(40)])
tf_cnn(13, "tf_cnn_op13"); tf_cnn(17, "tf_cnn_op17")
# the torch reference for the tf model
with open(os.path.join(OUT, "tf_cnn.torch_ref.json"), "w") as f:
    json.dump(torch.softmax(cnn(torch.from_numpy(Xi[1500:1501])), 1).detach().numpy().tolist(), f)

# E: QDQ int8 around Conv and Gemm, per-channel, uint8 activations with asymmetric zero points
def qu8(lo, hi):
    lo, hi = min(lo, 0.0), max(hi, 0.0); s = np.float32((hi - lo) / 255.0); return s, np.uint8(round(-lo / s))
def qs8pc(w, axis):
    red = tuple(i for i in range(w.ndim) if i != axis); s = (np.abs(w).max(axis=red) / 127.0).astype(np.float32)
    sh = [1] * w.ndim; sh[axis] = -1; return np.clip(np.round(w / s.reshape(sh)), -127, 127).astype(np.int8), s
sd = {k: v.detach().numpy() for k, v in cnn.state_dict().items()}
def fold(ci, bi):
    w, b = sd[f"f.{ci}.weight"], sd[f"f.{ci}.bias"]
    g, be, mu, var = sd[f"f.{bi}.weight"], sd[f"f.{bi}.bias"], sd[f"f.{bi}.running_mean"], sd[f"f.{bi}.running_var"]
    s = g / np.sqrt(var + 1e-5); return (w * s[:, None, None, None]).astype(np.float32), ((b - mu) * s + be).astype(np.float32)
w1, b1 = fold(0, 1); w2, b2 = fold(4, 5); wd, bd = sd["f.9.weight"].astype(np.float32), sd["f.9.bias"].astype(np.float32)
# activation ranges from the float model on training data
with torch.no_grad():
    xt = torch.from_numpy(Xi[:500]); a = [xt]
    for layer in cnn.f: a.append(layer(a[-1]))
rng_ = lambda v: (float(v.min()), float(v.max()))
nodes, inits = [], []
def qdq(x, name, lohi):
    s, z = qu8(*lohi); inits.extend([t(name + "_scale", np.array(s, np.float32)), t(name + "_zero_point", np.array(z, np.uint8))])
    nodes.append(helper.make_node("QuantizeLinear", [x, name + "_scale", name + "_zero_point"], [name + "_QuantizeLinear_Output"], name=name + "_QuantizeLinear"))
    nodes.append(helper.make_node("DequantizeLinear", [name + "_QuantizeLinear_Output", name + "_scale", name + "_zero_point"], [name + "_DequantizeLinear_Output"], name=name + "_DequantizeLinear"))
    return name + "_DequantizeLinear_Output", s
def dqw(name, w, axis):
    q, s = qs8pc(w, axis); inits.extend([t(name + "_quantized", q), t(name + "_scale", s), t(name + "_zero_point", np.zeros(s.shape, np.int8))])
    nodes.append(helper.make_node("DequantizeLinear", [name + "_quantized", name + "_scale", name + "_zero_point"], [name + "_DQ"], name=name + "_DequantizeLinear", axis=axis)); return name + "_DQ", s
def dqb(name, b, sin, sw):
    bs = (np.float32(sin) * sw).astype(np.float32); q = np.round(b / bs).astype(np.int32)
    inits.extend([t(name + "_quantized", q), t(name + "_quantized_scale", bs), t(name + "_quantized_zero_point", np.zeros(bs.shape, np.int32))])
    nodes.append(helper.make_node("DequantizeLinear", [name + "_quantized", name + "_quantized_scale", name + "_quantized_zero_point"], [name + "_DQ"], name=name + "_quantized_DequantizeLinear", axis=0)); return name + "_DQ"
x, sx = qdq("input", "input", (0.0, 1.0))
wq, ws = dqw("conv1.weight", w1, 0); bq = dqb("conv1.bias", b1, sx, ws)
nodes.append(helper.make_node("Conv", [x, wq, bq], ["/conv1/Conv_output_0"], name="/conv1/Conv", kernel_shape=[3, 3], pads=[1, 1, 1, 1]))
c1, _ = qdq("/conv1/Conv_output_0", "/conv1/Conv_output_0", rng_(torch.nn.functional.conv2d(xt, torch.from_numpy(w1), torch.from_numpy(b1), padding=1)))
nodes.append(helper.make_node("Relu", [c1], ["/relu1/Relu_output_0"], name="/relu1/Relu"))
r1, sr1 = qdq("/relu1/Relu_output_0", "/relu1/Relu_output_0", rng_(a[3]))
nodes.append(helper.make_node("MaxPool", [r1], ["/pool1/MaxPool_output_0"], name="/pool1/MaxPool", kernel_shape=[2, 2], strides=[2, 2]))
p1, sp1 = qdq("/pool1/MaxPool_output_0", "/relu1/Relu_output_0_pool", rng_(a[3]))
wq2, ws2 = dqw("conv2.weight", w2, 0); bq2 = dqb("conv2.bias", b2, sp1, ws2)
nodes.append(helper.make_node("Conv", [p1, wq2, bq2], ["/conv2/Conv_output_0"], name="/conv2/Conv", kernel_shape=[3, 3], pads=[1, 1, 1, 1]))
c2, _ = qdq("/conv2/Conv_output_0", "/conv2/Conv_output_0", rng_(a[6]))
nodes.append(helper.make_node("Relu", [c2], ["/relu2/Relu_output_0"], name="/relu2/Relu"))
r2, _ = qdq("/relu2/Relu_output_0", "/relu2/Relu_output_0", rng_(a[7]))
nodes.append(helper.make_node("AveragePool", [r2], ["/pool2/AveragePool_output_0"], name="/pool2/AveragePool", kernel_shape=[2, 2], strides=[2, 2]))
p2, _ = qdq("/pool2/AveragePool_output_0", "/pool2/AveragePool_output_0", rng_(a[8]))
nodes.append(helper.make_node("Flatten", [p2], ["/flatten/Flatten_output_0"], name="/flatten/Flatten", axis=1))
f, sf = qdq("/flatten/Flatten_output_0", "/flatten/Flatten_output_0", rng_(a[8]))
wq3, ws3 = dqw("fc.weight", wd, 0); bq3 = dqb("fc.bias", bd, sf, ws3)
nodes.append(helper.make_node("Gemm", [f, wq3, bq3], ["/fc/Gemm_output_0"], name="/fc/Gemm", alpha=1.0, beta=1.0, transB=1))
g_, _ = qdq("/fc/Gemm_output_0", "/fc/Gemm_output_0", rng_(a[10]))
nodes.append(helper.make_node("Softmax", [g_], ["output"], name="/softmax/Softmax", axis=1))
g = helper.make_graph(nodes, "main_graph", [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 1, 8, 8])], [helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, 10])], initializer=inits)
m = helper.make_model(g, producer_name="onnx.quantize", producer_version="0.1.0", opset_imports=[helper.make_opsetid("", 13)]); m.ir_version = 7
onnx.checker.check_model(m, full_check=True); onnx.save(m, os.path.join(OUT, "qdq_cnn_gemm_pc.onnx"))
wjson("qdq_cnn_gemm_pc", [Xi[1500 + i:1501 + i] for i in range(40)])


# ---------- round 2: activations, exporter options and refusals ----------
rng = np.random.default_rng(0)
torch.manual_seed(0)
def ex(net, shape, name, opset=17, **kw):
    net.eval(); x = torch.from_numpy(rng.uniform(-1, 1, shape).astype(np.float32))
    torch.onnx.export(net, x, os.path.join(OUT, name + ".onnx"), input_names=["input"], output_names=["output"], opset_version=opset, **kw)
    wjson(name, [rng.uniform(-1, 1, shape).astype(np.float32) for _ in range(24)])
ex(nn.Sequential(nn.Linear(8, 16), nn.GELU(), nn.Linear(16, 4), nn.Softmax(-1)), [1, 8], "torch_gelu")
ex(nn.Sequential(nn.Linear(8, 16), nn.SiLU(), nn.Linear(16, 4), nn.Softmax(-1)), [1, 8], "torch_silu")
ex(nn.Sequential(nn.Linear(8, 16), nn.LayerNorm(16), nn.ReLU(), nn.Linear(16, 4), nn.Softmax(-1)), [1, 8], "torch_layernorm")
ex(nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 4), nn.Softmax(-1)), [1, 8], "torch_keep_inits", opset=11, keep_initializers_as_inputs=True)
class Two(nn.Module):
    def __init__(s): super().__init__(); s.l = nn.Linear(8, 4)
    def forward(s, x): y = s.l(x); return torch.softmax(y, -1), y
net = Two(); net.eval(); x = torch.zeros(1, 8)
torch.onnx.export(net, x, os.path.join(OUT, "torch_two_outputs.onnx"), input_names=["input"], output_names=["probs", "logits"], opset_version=13)
wjson("torch_two_outputs", [rng.uniform(-1, 1, [1, 8]).astype(np.float32)])
class Emb(nn.Module):
    def __init__(s): super().__init__(); s.e = nn.Embedding(20, 4); s.l = nn.Linear(4, 2)
    def forward(s, x): return s.l(s.e(x).mean(1))
torch.onnx.export(Emb().eval(), torch.zeros(1, 5, dtype=torch.long), os.path.join(OUT, "torch_embedding.onnx"), input_names=["input"], output_names=["output"], opset_version=13)
with open(os.path.join(OUT, "torch_embedding.input.json"), "w") as f: json.dump({"input": [[1, 2, 3, 4, 5]]}, f)
# torch Conv1d + BN1d + flatten + adaptive avg pool (common for sensor data)
class C1(nn.Module):
    def __init__(s): super().__init__(); s.c = nn.Conv1d(3, 6, 5, padding=2); s.b = nn.BatchNorm1d(6); s.p = nn.AdaptiveAvgPool1d(1); s.l = nn.Linear(6, 3)
    def forward(s, x): return torch.softmax(s.l(torch.flatten(s.p(torch.relu(s.b(s.c(x)))), 1)), 1)
ex(C1(), [1, 3, 16], "torch_conv1d", opset=13)
# Keras GAP as ReduceMean in NHWC (tf2onnx)
P = "StatefulPartitionedCall/model/"
w = rng.normal(0, 0.5, [4, 1, 3, 3]).astype(np.float32)
nodes = [helper.make_node("Transpose", ["input_1:0"], [P + "t:0"], perm=[0, 3, 1, 2], name=P + "t"),
         helper.make_node("Conv", [P + "t:0", "w:0", "b:0"], [P + "conv:0"], kernel_shape=[3, 3], name=P + "conv"),
         helper.make_node("Relu", [P + "conv:0"], [P + "relu:0"], name=P + "relu"),
         helper.make_node("Transpose", [P + "relu:0"], [P + "t2:0"], perm=[0, 2, 3, 1], name=P + "t2"),
         helper.make_node("ReduceMean", [P + "t2:0"], [P + "gap:0"], axes=[1, 2], keepdims=0, name=P + "global_average_pooling2d/Mean"),
         helper.make_node("MatMul", [P + "gap:0", "wd:0"], [P + "mm:0"], name=P + "dense/MatMul"),
         helper.make_node("Add", [P + "mm:0", "bd:0"], [P + "add:0"], name=P + "dense/BiasAdd"),
         helper.make_node("Softmax", [P + "add:0"], ["dense"], name=P + "dense/Softmax")]
g = helper.make_graph(nodes, "tf2onnx", [helper.make_tensor_value_info("input_1:0", TensorProto.FLOAT, ["unk__123", 6, 6, 1])], [helper.make_tensor_value_info("dense", TensorProto.FLOAT, ["unk__124", 3])],
                      initializer=[t("w:0", w), t("b:0", np.zeros(4, np.float32)), t("wd:0", rng.normal(0, 0.5, [4, 3]).astype(np.float32)), t("bd:0", np.zeros(3, np.float32))])
m = helper.make_model(g, producer_name="tf2onnx", opset_imports=[helper.make_opsetid("", 13)]); m.ir_version = 8; onnx.checker.check_model(m); onnx.save(m, os.path.join(OUT, "tf_gap.onnx"))
wjson("tf_gap", [rng.uniform(0, 1, [1, 6, 6, 1]).astype(np.float32) for _ in range(24)])
# QDQ with uint8 weights (asymmetric, zero point != 0), per-channel, around Conv and Gemm
def qu8(lo, hi):
    lo, hi = min(lo, 0.0), max(hi, 0.0); s = np.float32((hi - lo) / 255.0); return s, np.uint8(round(-lo / s))
nodes, inits = [], []
def qdq(x, name, lohi):
    s, z = qu8(*lohi); inits.extend([t(name + "_scale", np.array(s, np.float32)), t(name + "_zero_point", np.array(z, np.uint8))])
    nodes.append(helper.make_node("QuantizeLinear", [x, name + "_scale", name + "_zero_point"], [name + "_q"], name=name + "_QuantizeLinear"))
    nodes.append(helper.make_node("DequantizeLinear", [name + "_q", name + "_scale", name + "_zero_point"], [name + "_dq"], name=name + "_DequantizeLinear")); return name + "_dq", s
def dqw_u8(name, w, axis):
    red = tuple(i for i in range(w.ndim) if i != axis); lo = np.minimum(w.min(axis=red), 0); hi = np.maximum(w.max(axis=red), 0)
    s = ((hi - lo) / 255).astype(np.float32); z = np.round(-lo / s).astype(np.uint8); sh = [1] * w.ndim; sh[axis] = -1
    q = np.clip(np.round(w / s.reshape(sh)) + z.reshape(sh), 0, 255).astype(np.uint8)
    inits.extend([t(name + "_q", q), t(name + "_scale", s), t(name + "_zp", z)])
    nodes.append(helper.make_node("DequantizeLinear", [name + "_q", name + "_scale", name + "_zp"], [name + "_dq"], name=name + "_DequantizeLinear", axis=axis)); return name + "_dq", s
def dqb(name, b, sin, sw):
    bs = (np.float32(sin) * sw).astype(np.float32); q = np.round(b / bs).astype(np.int32)
    inits.extend([t(name + "_q", q), t(name + "_scale", bs), t(name + "_zp", np.zeros(bs.shape, np.int32))])
    nodes.append(helper.make_node("DequantizeLinear", [name + "_q", name + "_scale", name + "_zp"], [name + "_dq"], name=name + "_DequantizeLinear", axis=0)); return name + "_dq"
w1 = rng.normal(0, 0.4, [4, 1, 3, 3]).astype(np.float32) + 0.1; b1 = rng.normal(0, 0.1, [4]).astype(np.float32)
wd = rng.normal(0, 0.4, [3, 16]).astype(np.float32); bd = rng.normal(0, 0.1, [3]).astype(np.float32)
x, sx = qdq("input", "input", (0, 1)); wq, ws = dqw_u8("conv.weight", w1, 0); bq = dqb("conv.bias", b1, sx, ws)
nodes.append(helper.make_node("Conv", [x, wq, bq], ["conv_out"], name="/conv/Conv", kernel_shape=[3, 3], strides=[1, 1]))
c, _ = qdq("conv_out", "conv_out", (-3, 3)); nodes.append(helper.make_node("Relu", [c], ["relu_out"], name="/relu/Relu"))
r, sr = qdq("relu_out", "relu_out", (0, 3)); nodes.append(helper.make_node("MaxPool", [r], ["pool_out"], name="/pool/MaxPool", kernel_shape=[2, 2], strides=[2, 2]))
p, sp = qdq("pool_out", "relu_out_p", (0, 3)); nodes.append(helper.make_node("Flatten", [p], ["flat"], name="/flatten/Flatten"))
f, sf = qdq("flat", "relu_out_f", (0, 3)); wq2, ws2 = dqw_u8("fc.weight", wd, 0); bq2 = dqb("fc.bias", bd, sf, ws2)
nodes.append(helper.make_node("Gemm", [f, wq2, bq2], ["gemm_out"], name="/fc/Gemm", transB=1))
gq, _ = qdq("gemm_out", "gemm_out", (-4, 4)); nodes.append(helper.make_node("Softmax", [gq], ["output"], name="/Softmax", axis=1))
g = helper.make_graph(nodes, "main_graph", [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 1, 6, 6])], [helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, 3])], initializer=inits)
m = helper.make_model(g, producer_name="onnx.quantize", opset_imports=[helper.make_opsetid("", 13)]); m.ir_version = 7; onnx.checker.check_model(m, full_check=True); onnx.save(m, os.path.join(OUT, "qdq_u8_weights.onnx"))
wjson("qdq_u8_weights", [rng.uniform(0, 1, [1, 1, 6, 6]).astype(np.float32) for _ in range(24)])
print("models in", OUT)
