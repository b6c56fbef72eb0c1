"""Writes one JSON fixture per case into this folder: forward output and gradients computed by PyTorch (float64).

Run with Debian's python3-torch: /usr/bin/python3 lib/src/test/resources/torch-fixtures/make_fixtures.py
It deletes the *.json files of this folder first, then writes them again; the output is deterministic (fixed
seeds, float64, inputs rounded to 4 decimals so that Java parses exactly the doubles torch used).

Each file holds:
  case      the file's name without .json
  op        which computation (dlcourse.nn.TorchFixturesTest knows each op; an unknown op fails the test)
  settings  the op's arguments other than tensors
  inputs    list of {name, dtype (float64 | int64 | bool), shape, values (flat, row-major), grad (requires_grad)}
  output    {shape, values}: the forward result
  upstream  {shape, values}: the gradient handed to output.backward()
  grads     {input name: {shape, values}} for every input with grad true
  state     {input name: {shape, values}}: buffers after the call (batch norm running statistics), may be absent
Outputs and gradients are written with 15 significant digits.
"""
import glob
import json
import math
import os

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
torch.set_default_dtype(torch.float64)
GEN = torch.Generator().manual_seed(20240601)
GEN_TIES = torch.Generator().manual_seed(7)  # for the tie cases at the end, so adding them left the others alone


def randn(*shape, scale=1.0, shift=0.0, distinct=False):
    """Normal values rounded to 4 decimals; with distinct, no two equal (max and relu need no ties)."""
    while True:
        x = torch.round((torch.randn(*shape, generator=GEN) * scale + shift) * 1e4) / 1e4
        if not distinct or (x.numel() == torch.unique(x).numel() and bool((x != 0).all())):
            return x


def positive(*shape, low=0.5, high=2.0):
    return torch.round((torch.rand(*shape, generator=GEN) * (high - low) + low) * 1e4) / 1e4


def ties(*shape):
    """Halves in [-1, 1]: many equal values, for the tie rules of max, max pooling and relu."""
    return torch.randint(-2, 3, shape, generator=GEN_TIES).to(torch.float64) / 2


def flat(t, digits=None):
    vals = t.detach().reshape(-1).tolist()
    if digits is not None:
        vals = [float(f"{v:.{digits}g}") for v in vals]
    return {"shape": list(t.shape), "values": vals}


CASES = []


def case(name, op, settings, inputs, fn, state=()):
    """inputs: list of (name, tensor, requires_grad). fn(dict of tensors) -> output tensor."""
    leaves = {}
    listed = []
    for n, t, g in inputs:
        t = t.clone()
        if g:
            t.requires_grad_(True)
        leaves[n] = t
        e = flat(t)
        dtype = {torch.int64: "int64", torch.bool: "bool"}.get(t.dtype, "float64")
        e = {"name": n, "dtype": dtype, **e, "grad": bool(g)}
        listed.append(e)
    out = fn(leaves)
    up = randn(*out.shape) if out.dim() > 0 else torch.tensor(1.7)
    out.backward(up)
    data = {
        "case": name,
        "op": op,
        "torch": torch.__version__,
        "settings": settings,
        "inputs": listed,
        "output": flat(out, 15),
        "upstream": flat(up),
        "grads": {n: flat(leaves[n].grad, 15) for n, _, g in inputs if g},
    }
    if state:
        data["state"] = {n: flat(leaves[n], 15) for n in state}
    assert name not in [c["case"] for c in CASES], name
    CASES.append(data)


# ---------------------------------------------------------------- tensor ops

case("matmul_2d", "matmul", {}, [("a", randn(3, 4), True), ("b", randn(4, 5), True)],
     lambda t: t["a"] @ t["b"])
case("matmul_batched", "matmul", {}, [("a", randn(2, 3, 4), True), ("b", randn(2, 4, 5), True)],
     lambda t: t["a"] @ t["b"])
case("matmul_broadcast_right", "matmul", {}, [("a", randn(2, 3, 4), True), ("b", randn(4, 5), True)],
     lambda t: t["a"] @ t["b"])

for dim in (0, -1):
    suffix = "dim0" if dim == 0 else "dimlast"
    case(f"softmax_{suffix}", "softmax", {"dim": dim}, [("x", randn(2, 3, 4, scale=2), True)],
         lambda t, d=dim: torch.softmax(t["x"], d))
    case(f"log_softmax_{suffix}", "log_softmax", {"dim": dim}, [("x", randn(2, 3, 4, scale=2), True)],
         lambda t, d=dim: torch.log_softmax(t["x"], d))

case("sum_all", "sum", {"dims": [], "keepdim": False}, [("x", randn(2, 3, 4), True)], lambda t: t["x"].sum())
case("sum_dim1", "sum", {"dims": [1], "keepdim": False}, [("x", randn(2, 3, 4), True)],
     lambda t: t["x"].sum(1))
case("sum_dims02_keepdim", "sum", {"dims": [0, 2], "keepdim": True}, [("x", randn(2, 3, 4), True)],
     lambda t: t["x"].sum((0, 2), keepdim=True))
case("mean_all", "mean", {"dims": [], "keepdim": False}, [("x", randn(2, 3, 4), True)], lambda t: t["x"].mean())
case("mean_dimlast", "mean", {"dims": [-1], "keepdim": False}, [("x", randn(2, 3, 4), True)],
     lambda t: t["x"].mean(-1))
case("mean_dims01_keepdim", "mean", {"dims": [0, 1], "keepdim": True}, [("x", randn(2, 3, 4), True)],
     lambda t: t["x"].mean((0, 1), keepdim=True))
case("max_dim1", "max", {"dims": [1], "keepdim": False}, [("x", randn(2, 3, 4, distinct=True), True)],
     lambda t: torch.amax(t["x"], 1))
case("max_dims12_keepdim", "max", {"dims": [1, 2], "keepdim": True},
     [("x", randn(2, 3, 4, distinct=True), True)], lambda t: torch.amax(t["x"], (1, 2), keepdim=True))
case("max_dim0", "max", {"dims": [0], "keepdim": False}, [("x", randn(3, 4, distinct=True), True)],
     lambda t: torch.amax(t["x"], 0))

for opname, fn in (("add", torch.add), ("mul", torch.mul), ("div", torch.div)):
    mk = (lambda *s: positive(*s)) if opname == "div" else (lambda *s: randn(*s))
    case(f"{opname}_same_shape", opname, {}, [("a", randn(2, 3), True), ("b", mk(2, 3), True)],
         lambda t, f=fn: f(t["a"], t["b"]))
    case(f"{opname}_broadcast_col", opname, {}, [("a", randn(2, 3, 4), True), ("b", mk(3, 1), True)],
         lambda t, f=fn: f(t["a"], t["b"]))
    case(f"{opname}_broadcast_both", opname, {}, [("a", randn(3, 1), True), ("b", mk(2, 1, 4), True)],
         lambda t, f=fn: f(t["a"], t["b"]))

case("pow_2", "pow", {"p": 2.0}, [("x", randn(3, 4), True)], lambda t: t["x"].pow(2.0))
case("pow_3", "pow", {"p": 3.0}, [("x", randn(3, 4), True)], lambda t: t["x"].pow(3.0))
case("pow_1_5_positive", "pow", {"p": 1.5}, [("x", positive(3, 4), True)], lambda t: t["x"].pow(1.5))
case("pow_minus_half_positive", "pow", {"p": -0.5}, [("x", positive(3, 4), True)], lambda t: t["x"].pow(-0.5))
case("exp", "exp", {}, [("x", randn(3, 4), True)], lambda t: t["x"].exp())
case("log", "log", {}, [("x", positive(3, 4, low=0.1, high=3.0), True)], lambda t: t["x"].log())
case("tanh", "tanh", {}, [("x", randn(3, 4, scale=2), True)], lambda t: t["x"].tanh())
case("sigmoid", "sigmoid", {}, [("x", randn(3, 4, scale=2), True)], lambda t: t["x"].sigmoid())
case("relu", "relu", {}, [("x", randn(3, 4, distinct=True), True)], lambda t: t["x"].relu())
case("cat_dim0", "cat", {"dim": 0}, [("a", randn(1, 3), True), ("b", randn(2, 3), True), ("c", randn(3, 3), True)],
     lambda t: torch.cat([t["a"], t["b"], t["c"]], 0))
case("cat_dimlast", "cat", {"dim": -1},
     [("a", randn(2, 2, 1), True), ("b", randn(2, 2, 3), True), ("c", randn(2, 2, 2), True)],
     lambda t: torch.cat([t["a"], t["b"], t["c"]], -1))
# permute then reshape (and the reverse): the random upstream gradient catches a wrong element order
case("permute_reshape", "permute_reshape", {"perm": [2, 0, 1], "shape": [4, 6]}, [("x", randn(2, 3, 4), True)],
     lambda t: t["x"].permute(2, 0, 1).reshape(4, 6))
case("reshape_permute", "reshape_permute", {"shape": [3, 2, 4], "perm": [1, 2, 0]}, [("x", randn(2, 3, 4), True)],
     lambda t: t["x"].reshape(3, 2, 4).permute(1, 2, 0))

# ---------------------------------------------------------------- linear, convolution, pooling, padding

case("linear_2d", "linear", {}, [("x", randn(4, 5), True), ("weight", randn(3, 5), True), ("bias", randn(3), True)],
     lambda t: F.linear(t["x"], t["weight"], t["bias"]))
case("linear_3d", "linear", {},
     [("x", randn(2, 3, 5), True), ("weight", randn(4, 5), True), ("bias", randn(4), True)],
     lambda t: F.linear(t["x"], t["weight"], t["bias"]))
case("linear_3d_nobias", "linear", {}, [("x", randn(2, 3, 5), True), ("weight", randn(4, 5), True)],
     lambda t: F.linear(t["x"], t["weight"]))


def conv(name, xs, ws, bias, stride, padding, dilation):
    inputs = [("x", randn(*xs), True), ("weight", randn(*ws, scale=0.5), True)]
    if bias:
        inputs.append(("bias", randn(ws[0]), True))
    case(name, "conv2d", {"stride": stride, "padding": padding, "dilation": dilation}, inputs,
         lambda t: F.conv2d(t["x"], t["weight"], t.get("bias"), stride, padding, dilation))


conv("conv2d_stride2_pad1_bias", (2, 2, 6, 5), (3, 2, 3, 3), True, [2, 2], [1, 1], [1, 1])
conv("conv2d_stride2_pad1_nobias", (2, 2, 6, 5), (3, 2, 3, 3), False, [2, 2], [1, 1], [1, 1])
conv("conv2d_dilation2_bias", (1, 2, 7, 7), (2, 2, 3, 3), True, [1, 1], [0, 0], [2, 2])
conv("conv2d_dilation2_pad2_nobias", (1, 2, 6, 6), (2, 2, 3, 2), False, [1, 1], [2, 1], [2, 2])
conv("conv2d_mixed_stride21_pad10_dil12", (1, 3, 6, 7), (2, 3, 2, 3), True, [2, 1], [1, 0], [1, 2])


def pool(name, op, shape, kernel, stride, padding, ceil_mode, count_include_pad=None):
    settings = {"kernel": kernel, "stride": stride, "padding": padding, "ceil_mode": ceil_mode}
    if op == "max_pool2d":
        fn = lambda t: F.max_pool2d(t["x"], kernel, stride, padding, ceil_mode=ceil_mode)
    else:
        settings["count_include_pad"] = count_include_pad
        fn = lambda t: F.avg_pool2d(t["x"], kernel, stride, padding, ceil_mode=ceil_mode,
                                    count_include_pad=count_include_pad)
    case(name, op, settings, [("x", randn(*shape, distinct=True), True)], fn)


pool("max_pool2d_k2s2", "max_pool2d", (2, 2, 6, 6), [2, 2], [2, 2], [0, 0], False)
pool("max_pool2d_k3s2_pad1", "max_pool2d", (1, 2, 7, 6), [3, 3], [2, 2], [1, 1], False)
pool("max_pool2d_k3s2_ceil", "max_pool2d", (1, 2, 6, 6), [3, 3], [2, 2], [0, 0], True)
pool("max_pool2d_k3s2_pad1_ceil", "max_pool2d", (1, 2, 6, 7), [3, 3], [2, 2], [1, 1], True)
pool("max_pool2d_k2x3_s1x2_overlap", "max_pool2d", (1, 1, 5, 7), [2, 3], [1, 2], [0, 1], False)
pool("avg_pool2d_k2s2", "avg_pool2d", (2, 2, 6, 6), [2, 2], [2, 2], [0, 0], False, True)
pool("avg_pool2d_k3s2_pad1_include_pad", "avg_pool2d", (1, 2, 7, 6), [3, 3], [2, 2], [1, 1], False, True)
pool("avg_pool2d_k3s2_pad1_exclude_pad", "avg_pool2d", (1, 2, 7, 6), [3, 3], [2, 2], [1, 1], False, False)
pool("avg_pool2d_k3s2_ceil", "avg_pool2d", (1, 2, 6, 6), [3, 3], [2, 2], [0, 0], True, True)
pool("avg_pool2d_k3s2_pad1_ceil_include_pad", "avg_pool2d", (1, 2, 6, 7), [3, 3], [2, 2], [1, 1], True, True)
pool("avg_pool2d_k3s2_pad1_ceil_exclude_pad", "avg_pool2d", (1, 2, 6, 7), [3, 3], [2, 2], [1, 1], True, False)

for out in ([3, 2], [2, 4], [3, 1], [4, 5]):
    for kind in ("max", "avg"):
        shape = (2, 2, 7, 5)
        fn = F.adaptive_max_pool2d if kind == "max" else F.adaptive_avg_pool2d
        case(f"adaptive_{kind}_pool2d_7x5_to_{out[0]}x{out[1]}", f"adaptive_{kind}_pool2d", {"output_size": out},
             [("x", randn(*shape, distinct=True), True)], lambda t, f=fn, o=out: f(t["x"], o))
for kind in ("max", "avg"):
    fn = F.adaptive_max_pool2d if kind == "max" else F.adaptive_avg_pool2d
    case(f"adaptive_{kind}_pool2d_6x4_to_3x2_equal", f"adaptive_{kind}_pool2d", {"output_size": [3, 2]},
         [("x", randn(1, 2, 6, 4, distinct=True), True)], lambda t, f=fn: f(t["x"], [3, 2]))
    case(f"adaptive_{kind}_pool2d_7x5_to_1x1", f"adaptive_{kind}_pool2d", {"output_size": [1, 1]},
         [("x", randn(1, 2, 7, 5, distinct=True), True)], lambda t, f=fn: f(t["x"], [1, 1]))

for mode in ("reflect", "replicate", "circular", "constant"):
    for p in ([1, 2, 2, 1], [0, 3, 1, 0]):
        case(f"pad_{mode}_{'_'.join(map(str, p))}", "pad", {"pad": p, "mode": mode},
             [("x", randn(1, 2, 4, 5), True)], lambda t, m=mode, pp=p: F.pad(t["x"], pp, mode=m))

# ---------------------------------------------------------------- losses

TARGET = torch.tensor([2, -100, 0, 3, 1, -100, 3], dtype=torch.int64)
for red in ("mean", "sum", "none"):
    case(f"cross_entropy_{red}", "cross_entropy",
         {"reduction": red, "ignore_index": -100, "label_smoothing": 0.0},
         [("logits", randn(7, 4, scale=2), True), ("target", TARGET, False)],
         lambda t, r=red: F.cross_entropy(t["logits"], t["target"], reduction=r))
    case(f"cross_entropy_smoothing_{red}", "cross_entropy",
         {"reduction": red, "ignore_index": -100, "label_smoothing": 0.1},
         [("logits", randn(7, 4, scale=2), True), ("target", TARGET, False)],
         lambda t, r=red: F.cross_entropy(t["logits"], t["target"], reduction=r, label_smoothing=0.1))
case("cross_entropy_ignore_index_1_smoothing_mean", "cross_entropy",
     {"reduction": "mean", "ignore_index": 1, "label_smoothing": 0.2},
     [("logits", randn(5, 3, scale=2), True), ("target", torch.tensor([1, 0, 2, 1, 2]), False)],
     lambda t: F.cross_entropy(t["logits"], t["target"], ignore_index=1, label_smoothing=0.2))
for red in ("mean", "sum", "none"):
    case(f"nll_loss_{red}", "nll_loss", {"reduction": red, "ignore_index": -100},
         [("logp", torch.log_softmax(randn(7, 4), 1).round(decimals=4), True), ("target", TARGET, False)],
         lambda t, r=red: F.nll_loss(t["logp"], t["target"], reduction=r))
    case(f"mse_loss_{red}", "mse_loss", {"reduction": red},
         [("input", randn(3, 4), True), ("target", randn(3, 4), True)],
         lambda t, r=red: F.mse_loss(t["input"], t["target"], reduction=r))

# ---------------------------------------------------------------- normalisation, embedding, gelu

for shape in ((5, 3), (2, 3, 4), (2, 3, 3, 2)):
    c = shape[1]
    tag = "x".join(map(str, shape))
    for training in (True, False):
        settings = {"training": training, "momentum": 0.1, "eps": 1e-5}
        inputs = [("x", randn(*shape, scale=1.5, shift=0.3), True),
                  ("running_mean", randn(c, scale=0.2), False),
                  ("running_var", positive(c), False),
                  ("weight", randn(c, shift=1.0, scale=0.3), True),
                  ("bias", randn(c, scale=0.3), True)]
        case(f"batch_norm_{'train' if training else 'eval'}_{tag}", "batch_norm", settings, inputs,
             lambda t, tr=training: F.batch_norm(t["x"], t["running_mean"], t["running_var"], t["weight"],
                                                 t["bias"], tr, 0.1, 1e-5),
             state=("running_mean", "running_var"))
case("batch_norm_train_nonaffine_2x3x4", "batch_norm", {"training": True, "momentum": 0.3, "eps": 1e-3},
     [("x", randn(2, 3, 4), True), ("running_mean", torch.zeros(3), False), ("running_var", torch.ones(3), False)],
     lambda t: F.batch_norm(t["x"], t["running_mean"], t["running_var"], None, None, True, 0.3, 1e-3),
     state=("running_mean", "running_var"))

for nd, shape in ((1, (2, 3, 4)), (2, (2, 3, 4)), (1, (4, 6))):
    ns = list(shape[-nd:])
    tag = "x".join(map(str, shape))
    case(f"layer_norm_last{nd}_{tag}", "layer_norm", {"normalized_dims": nd, "eps": 1e-5},
         [("x", randn(*shape, scale=1.5, shift=0.5), True), ("weight", randn(*ns, shift=1.0, scale=0.3), True),
          ("bias", randn(*ns, scale=0.3), True)],
         lambda t, n=ns: F.layer_norm(t["x"], n, t["weight"], t["bias"], 1e-5))
case("layer_norm_last1_noaffine_3x5", "layer_norm", {"normalized_dims": 1, "eps": 1e-5},
     [("x", randn(3, 5), True)], lambda t: F.layer_norm(t["x"], [5], None, None, 1e-5))


def rms_norm(x, nd, w, eps):
    dims = tuple(range(x.dim() - nd, x.dim()))
    y = x / torch.sqrt(x.pow(2).mean(dims, keepdim=True) + eps)
    return y if w is None else y * w


for nd in (1, 2):
    case(f"rms_norm_last{nd}_2x3x4", "rms_norm", {"normalized_dims": nd, "eps": 1e-6},
         [("x", randn(2, 3, 4), True), ("weight", randn(*(3, 4)[2 - nd:], shift=1.0, scale=0.3), True)],
         lambda t, n=nd: rms_norm(t["x"], n, t["weight"], 1e-6))
case("rms_norm_last1_noweight_eps1e-2_3x5", "rms_norm", {"normalized_dims": 1, "eps": 1e-2},
     [("x", randn(3, 5, scale=0.2), True)], lambda t: rms_norm(t["x"], 1, None, 1e-2))

case("embedding_repeated_2x4", "embedding", {},
     [("indices", torch.tensor([[1, 3, 1, 0], [4, 1, 3, 3]]), False), ("weight", randn(6, 3), True)],
     lambda t: F.embedding(t["indices"], t["weight"]))
case("embedding_1d", "embedding", {},
     [("indices", torch.tensor([2, 2, 0, 5, 2]), False), ("weight", randn(6, 2), True)],
     lambda t: F.embedding(t["indices"], t["weight"]))

for approx in ("none", "tanh"):
    case(f"gelu_{approx}", "gelu", {"approximate": approx}, [("x", randn(4, 6, scale=2.5), True)],
         lambda t, a=approx: F.gelu(t["x"], approximate=a))


# ---------------------------------------------------------------- ties (equal values)

# ties: amax shares the gradient equally among equal maxima (torch.amax documents it)
case("max_dims12_ties", "max", {"dims": [1, 2], "keepdim": False}, [("x", ties(2, 3, 4), True)],
     lambda t: torch.amax(t["x"], (1, 2)))
case("max_dim0_ties_keepdim", "max", {"dims": [0], "keepdim": True}, [("x", ties(3, 4), True)],
     lambda t: torch.amax(t["x"], 0, keepdim=True))

case("relu_at_zero", "relu", {}, [("x", ties(3, 4), True)], lambda t: t["x"].relu())

# ties: torch's max pooling (plain and adaptive) sends a window's gradient to its first maximum in row-major order
case("max_pool2d_k3s2_pad1_ties", "max_pool2d", {"kernel": [3, 3], "stride": [2, 2], "padding": [1, 1],
                                                "ceil_mode": False},
     [("x", ties(1, 2, 6, 5), True)], lambda t: F.max_pool2d(t["x"], 3, 2, 1))
for shape, out in (((1, 2, 7, 5), [3, 2]), ((1, 2, 6, 4), [3, 2]), ((1, 2, 4, 3), [1, 1])):
    tag = f"{shape[2]}x{shape[3]}_to_{out[0]}x{out[1]}"
    case(f"adaptive_max_pool2d_{tag}_ties", "adaptive_max_pool2d", {"output_size": out},
         [("x", ties(*shape), True)], lambda t, o=out: F.adaptive_max_pool2d(t["x"], o))


# ---------------------------------------------------------------- attention (own generator: the cases above stay as they were)

GEN_ATTN = torch.Generator().manual_seed(2017)


def arandn(*shape, scale=1.0):
    return torch.round(torch.randn(*shape, generator=GEN_ATTN) * scale * 1e4) / 1e4


def abools(*shape, p_true=0.7):
    return torch.rand(*shape, generator=GEN_ATTN) < p_true


case("masked_fill_broadcast", "masked_fill", {"value": -2.5},
     [("x", arandn(2, 3, 4), True), ("mask", abools(3, 1, p_true=0.5), False)],
     lambda t: t["x"].masked_fill(t["mask"], -2.5))
case("tril_diag0", "tril", {"diagonal": 0}, [("x", arandn(2, 3, 4), True)], lambda t: t["x"].tril(0))
case("triu_diag1", "triu", {"diagonal": 1}, [("x", arandn(3, 5), True)], lambda t: t["x"].triu(1))


def sdpa_reference(q, k, v, attn_mask=None, is_causal=False):
    """PyTorch 2's F.scaled_dot_product_attention written out (torch 1.13 lacks it); returns (output, weights)."""
    L, S = q.size(-2), k.size(-2)
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.size(-1))
    if is_causal:
        scores = scores.masked_fill(~torch.ones(L, S, dtype=torch.bool).tril(0), float("-inf"))
    if attn_mask is not None:
        if attn_mask.dtype == torch.bool:
            scores = scores.masked_fill(~attn_mask, float("-inf"))
        else:
            scores = scores + attn_mask
    w = torch.softmax(scores, dim=-1)
    return w @ v, w


def sdpa_case(name, qs, ks, vs, mask=None, causal=False, weights=False):
    inputs = [("q", arandn(*qs), True), ("k", arandn(*ks), True), ("v", arandn(*vs), not weights)]
    if mask is not None:
        inputs.append(("attn_mask", mask, False))
    case(name, "sdpa_weights" if weights else "sdpa", {"is_causal": causal}, inputs,
         lambda t: sdpa_reference(t["q"], t["k"], t["v"], t.get("attn_mask"), causal)[1 if weights else 0])


sdpa_case("sdpa_4d", (2, 3, 4, 5), (2, 3, 6, 5), (2, 3, 6, 4))
sdpa_case("sdpa_4d_causal", (2, 2, 5, 4), (2, 2, 5, 4), (2, 2, 5, 3), causal=True)
sdpa_case("sdpa_3d_causal_l_lt_s", (2, 3, 4), (2, 5, 4), (2, 5, 2), causal=True)
bool_mask = abools(1, 1, 4, 6)
bool_mask[..., 0] = True  # no fully masked row (PyTorch gives NaN there)
sdpa_case("sdpa_4d_bool_mask", (2, 3, 4, 5), (2, 3, 6, 5), (2, 3, 6, 4), mask=bool_mask)
sdpa_case("sdpa_4d_additive_mask", (2, 1, 4, 3), (2, 1, 6, 3), (2, 1, 6, 3), mask=arandn(2, 1, 4, 6))
sdpa_case("sdpa_4d_bool_mask_causal", (1, 2, 5, 4), (1, 2, 5, 4), (1, 2, 5, 4),
          mask=abools(5, 5) | torch.eye(5, dtype=torch.bool), causal=True)
sdpa_case("sdpa_weights_4d_causal_bool_mask", (2, 2, 5, 4), (2, 2, 5, 4), (2, 2, 5, 3),
          mask=abools(5, 5) | torch.eye(5, dtype=torch.bool), causal=True, weights=True)
sdpa_case("sdpa_weights_3d_additive_mask", (2, 3, 4), (2, 5, 4), (2, 5, 2), mask=arandn(3, 5), weights=True)


def mha_case(name, b, l, s, e, h, self_attn=False, kpm=False, attn_mask=None, weights=False):
    """torch.nn.MultiheadAttention(batch_first=True) with the fixture's tensors in place of its parameters."""
    if self_attn:
        inputs = [("x", arandn(b, l, e), True)]
    else:
        inputs = [("query", arandn(b, l, e), True), ("key", arandn(b, s, e), True),
                  ("value", arandn(b, s, e), not weights)]
    # the weights do not depend on the value or the output projection: those get no gradient there
    inputs += [("in_proj_weight", arandn(3 * e, e, scale=0.5), True), ("in_proj_bias", arandn(3 * e, scale=0.1), True),
               ("out_proj_weight", arandn(e, e, scale=0.5), not weights),
               ("out_proj_bias", arandn(e, scale=0.1), not weights)]
    if kpm:
        pad = abools(b, s, p_true=0.3)
        pad[:, 0] = False  # every query keeps a key
        inputs.append(("key_padding_mask", pad, False))
    if attn_mask is not None:
        inputs.append(("attn_mask", attn_mask, False))

    def fn(t):
        m = torch.nn.MultiheadAttention(e, h, batch_first=True)
        for owner, key, src in ((m, "in_proj_weight", "in_proj_weight"), (m, "in_proj_bias", "in_proj_bias"),
                                (m.out_proj, "weight", "out_proj_weight"), (m.out_proj, "bias", "out_proj_bias")):
            del owner._parameters[key]
            setattr(owner, key, t[src])
        m.eval()
        q, k, v = (t["x"],) * 3 if self_attn else (t["query"], t["key"], t["value"])
        out, w = m(q, k, v, key_padding_mask=t.get("key_padding_mask"), need_weights=True,
                   attn_mask=t.get("attn_mask"))
        return w if weights else out

    case(name, "multihead_attention_weights" if weights else "multihead_attention",
         {"num_heads": h, "self_attention": self_attn}, inputs, fn)


mha_case("mha_self_2heads", 2, 4, 4, 6, 2, self_attn=True)
mha_case("mha_cross_kpm", 2, 3, 5, 6, 3, kpm=True)
mha_case("mha_cross_kpm_weights", 2, 3, 5, 6, 3, kpm=True, weights=True)
causal_bool = torch.ones(4, 4, dtype=torch.bool).triu(1)  # MultiheadAttention: True = not allowed
mha_case("mha_self_bool_attn_mask_causal", 2, 4, 4, 8, 2, self_attn=True, attn_mask=causal_bool)
mha_case("mha_self_bool_attn_mask_causal_weights", 2, 4, 4, 8, 2, self_attn=True, attn_mask=causal_bool, weights=True)
mha_case("mha_cross_float_attn_mask_3d_kpm", 2, 3, 4, 4, 2, kpm=True, attn_mask=arandn(4, 3, 4))


def rope_reference(x, offset):
    """RoPE on adjacent pairs (x[2i], x[2i+1]), inv_freq = 1/10000^(arange(0, d, 2)/d), positions offset.."""
    T, d = x.size(-2), x.size(-1)
    inv_freq = 1.0 / (10000 ** (torch.arange(0, d, 2, dtype=torch.float64) / d))
    ang = torch.outer(torch.arange(offset, offset + T, dtype=torch.float64), inv_freq)  # (T, d/2)
    cos, sin = ang.cos(), ang.sin()
    x0, x1 = x[..., 0::2], x[..., 1::2]
    return torch.stack([x0 * cos - x1 * sin, x0 * sin + x1 * cos], dim=-1).flatten(-2)


for off in (0, 5):
    case(f"rope_offset{off}", "rope", {"offset": off}, [("x", arandn(2, 3, 4, 6), True)],
         lambda t, o=off: rope_reference(t["x"], o))
case("rope_3d_d8", "rope", {"offset": 0}, [("x", arandn(2, 7, 8), True)], lambda t: rope_reference(t["x"], 0))

# ---------------------------------------------------------------- recurrent (own generator, so the cases above stay as they were)

GEN_LSTM = torch.Generator().manual_seed(1997)


def lstm_randn(*shape, scale=1.0):
    return torch.round(torch.randn(*shape, generator=GEN_LSTM) * scale * 1e4) / 1e4


def lstm_case(name, steps, batch, size, hidden, layers, batch_first, bias, state):
    """torch.nn.LSTM; the output is cat(output, h_n, c_n) flattened, so one upstream gradient reaches all three."""
    module = torch.nn.LSTM(size, hidden, layers, bias=bias, batch_first=batch_first)
    inputs = [("x", lstm_randn(*((batch, steps, size) if batch_first else (steps, batch, size))), True)]
    if state:
        inputs += [("h0", lstm_randn(layers, batch, hidden), True), ("c0", lstm_randn(layers, batch, hidden), True)]
    names = list(module._flat_weights_names)  # weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0, ..._l1
    inputs += [(n, lstm_randn(*getattr(module, n).shape, scale=0.5), True) for n in names]

    def fn(t):
        hx = (t["h0"], t["c0"]) if state else None
        # nn.LSTM.forward hands self._flat_weights to torch's kernel: here the fixture's leaves
        module._flat_weights = [t[n] for n in names]
        out, (hn, cn) = module(t["x"], hx)
        check = torch.nn.LSTM(size, hidden, layers, bias=bias, batch_first=batch_first)
        check.load_state_dict({n: t[n].detach() for n in names})
        with torch.no_grad():
            ref, _ = check(t["x"], None if hx is None else (hx[0].detach(), hx[1].detach()))
        assert torch.equal(ref, out.detach()), name
        return torch.cat([out.reshape(-1), hn.reshape(-1), cn.reshape(-1)])

    case(name, "lstm", {"num_layers": layers, "batch_first": batch_first, "bias": bias, "hidden_size": hidden},
         inputs, fn)


def lstm_cell_case(name, batch, size, hidden, bias):
    """torch.nn.LSTMCell; the output is cat(h', c') flattened."""
    module = torch.nn.LSTMCell(size, hidden, bias=bias)
    names = ["weight_ih", "weight_hh"] + (["bias_ih", "bias_hh"] if bias else [])
    inputs = [("x", lstm_randn(batch, size), True), ("h", lstm_randn(batch, hidden), True),
              ("c", lstm_randn(batch, hidden), True)]
    inputs += [(n, lstm_randn(*getattr(module, n).shape, scale=0.5), True) for n in names]

    def fn(t):
        # what nn.LSTMCell.forward computes, with the fixture's leaves as weights
        h, c = torch._VF.lstm_cell(t["x"], (t["h"], t["c"]), t["weight_ih"], t["weight_hh"], t.get("bias_ih"),
                                   t.get("bias_hh"))
        module.load_state_dict({n: t[n].detach() for n in names})
        with torch.no_grad():
            ref = module(t["x"], (t["h"], t["c"]))
        assert torch.equal(ref[0], h.detach()) and torch.equal(ref[1], c.detach()), name
        return torch.cat([h.reshape(-1), c.reshape(-1)])

    case(name, "lstm_cell", {"bias": bias, "hidden_size": hidden}, inputs, fn)


lstm_case("lstm_2layers_batch_first", steps=4, batch=3, size=5, hidden=4, layers=2, batch_first=True, bias=True,
          state=True)
lstm_case("lstm_1layer_nobias_zero_state", steps=3, batch=2, size=3, hidden=5, layers=1, batch_first=False, bias=False,
          state=False)
lstm_case("lstm_3layers_seq_first", steps=5, batch=2, size=3, hidden=3, layers=3, batch_first=False, bias=True,
          state=True)
lstm_cell_case("lstm_cell", batch=3, size=5, hidden=4, bias=True)
lstm_cell_case("lstm_cell_nobias", batch=2, size=3, hidden=4, bias=False)

# ---------------------------------------------------------------- tiled and local attention (own generator)
# The reference is full attention (sdpa_reference, with the band as a mask for the local case): F.flashAttention and
# F.slidingWindowAttention must give its output and gradients.

GEN_TILED = torch.Generator().manual_seed(2022)


def trandn(*shape, scale=1.0):
    return torch.round(torch.randn(*shape, generator=GEN_TILED) * scale * 1e4) / 1e4


def flash_case(name, qs, ks, vs, causal, tile, scale=1.0):
    inputs = [("q", trandn(*qs, scale=scale), True), ("k", trandn(*ks), True), ("v", trandn(*vs), True)]
    case(name, "flash_attention", {"is_causal": causal, "tile_size": tile}, inputs,
         lambda t: sdpa_reference(t["q"], t["k"], t["v"], None, causal)[0])


flash_case("flash_attention_causal_tiles_of_3", (2, 2, 7, 4), (2, 2, 7, 4), (2, 2, 7, 3), True, 3)
flash_case("flash_attention_large_logits", (1, 9, 4), (1, 11, 4), (1, 11, 2), False, 4, scale=8.0)


def window_case(name, shape, ev, window, causal):
    n = shape[-2]
    i = torch.arange(n).unsqueeze(1)
    j = torch.arange(n).unsqueeze(0)
    band = ((j <= i) & (i - j <= window)) if causal else ((i - j).abs() <= window)
    inputs = [("q", trandn(*shape), True), ("k", trandn(*shape), True), ("v", trandn(*shape[:-1], ev), True)]
    case(name, "sliding_window_attention", {"window": window, "is_causal": causal}, inputs,
         lambda t: sdpa_reference(t["q"], t["k"], t["v"], band)[0])


window_case("sliding_window_attention", (2, 20, 3), 2, 2, False)
window_case("sliding_window_attention_causal", (1, 2, 37, 4), 3, 5, True)
# ---------------------------------------------------------------- graph layers (dlcourse.graph), in plain torch
# Edges are directed [source, target] pairs, numbered from 0; a message goes from the source to the target.
# The right graph of UvA DL1 assignment 2 Q3.1 (undirected, both directions listed) with self-loops, and a directed
# graph in which node 4 receives nothing.
GRAPH_RIGHT = [[0, 1], [1, 0], [1, 2], [2, 1], [1, 4], [4, 1], [2, 3], [3, 2], [3, 4], [4, 3], [3, 5], [5, 3], [4, 5],
               [5, 4]] + [[v, v] for v in range(6)]
GRAPH_DIRECTED = [[0, 1], [2, 1], [3, 1], [1, 0], [0, 2], [4, 3], [4, 0], [2, 3]]


def scatter_sum(src, index, n):
    return torch.zeros((n,) + tuple(src.shape[1:]), dtype=src.dtype).index_add(0, index, src)


def scatter_max(src, index, n):
    idx = index.view(-1, *([1] * (src.dim() - 1))).expand_as(src)
    out = torch.zeros((n,) + tuple(src.shape[1:]), dtype=src.dtype)
    return out.scatter_reduce(0, idx, src, reduce="amax", include_self=False)


def graph_conv_case(name, edges, n, aggregation, relu, size_in, size_out):
    src = torch.tensor([e[0] for e in edges])
    dst = torch.tensor([e[1] for e in edges])

    def fn(t):
        x = t["x"]
        m = x[src]
        if aggregation == "max":
            agg = scatter_max(m, dst, n)
        else:
            agg = scatter_sum(m, dst, n)
            if aggregation == "mean":
                agg = agg / torch.bincount(dst, minlength=n).clamp(min=1).to(x.dtype).unsqueeze(1)
        h = agg @ t["weight"].T + x @ t["root_weight"].T
        if aggregation == "mean":  # the dense matrix form of the question, D^-1 A H W^T + H B^T, must agree
            a = torch.zeros(n, n, dtype=x.dtype)
            a[dst, src] = 1
            d = a.sum(1).clamp(min=1)
            dense = (a / d.unsqueeze(1)) @ x @ t["weight"].T + x @ t["root_weight"].T
            assert torch.allclose(dense, h, atol=1e-12), name
        return torch.relu(h) if relu else h

    case(name, "graph_conv", {"num_nodes": n, "edges": edges, "aggregation": aggregation, "relu": relu},
         [("x", randn(n, size_in, distinct=True), True), ("weight", randn(size_out, size_in), True),
          ("root_weight", randn(size_out, size_in), True)], fn)


def gat_case(name, edges, n, size_in, size_out, heads, concat, slope, relu):
    src = torch.tensor([e[0] for e in edges])
    dst = torch.tensor([e[1] for e in edges])

    def fn(t):
        x = t["x"]
        z = (x @ t["weight"].T).view(n, heads, size_out)  # (N, H, C)
        s_src = (z * t["att_src"]).sum(-1)  # (N, H)
        s_dst = (z * t["att_dst"]).sum(-1)
        e = F.leaky_relu(s_src[src] + s_dst[dst], slope)  # (E, H)
        e_max = scatter_max(e.detach(), dst, n)
        ex = (e - e_max[dst]).exp()
        alpha = ex / scatter_sum(ex, dst, n)[dst]  # softmax over each node's incoming edges
        out = scatter_sum(z[src] * alpha.unsqueeze(-1), dst, n)  # (N, H, C)
        # the same attention as a dense masked softmax
        a = torch.zeros(n, n, dtype=torch.bool)
        a[dst, src] = True
        scores = F.leaky_relu(s_dst.T.unsqueeze(2) + s_src.T.unsqueeze(1), slope)  # (H, N_dst, N_src)
        weights = torch.softmax(scores.masked_fill(~a, float("-inf")), -1).nan_to_num(0.0)
        dense = torch.einsum("hvu,uhc->vhc", weights, z)
        assert torch.allclose(dense, out, atol=1e-12), name
        out = out.reshape(n, heads * size_out) if concat else out.mean(1)
        return torch.relu(out) if relu else out

    case(name, "gat", {"num_nodes": n, "edges": edges, "heads": heads, "concat": concat, "negative_slope": slope,
                       "relu": relu},
         [("x", randn(n, size_in, distinct=True), True), ("weight", randn(heads * size_out, size_in), True),
          ("att_src", randn(heads, size_out), True), ("att_dst", randn(heads, size_out), True)], fn)


graph_conv_case("graph_conv_mean_right_graph", GRAPH_RIGHT, 6, "mean", True, 3, 4)
graph_conv_case("graph_conv_mean_directed_isolated", GRAPH_DIRECTED, 5, "mean", False, 3, 2)
graph_conv_case("graph_conv_sum_directed", GRAPH_DIRECTED, 5, "sum", True, 3, 2)
graph_conv_case("graph_conv_max_right_graph", GRAPH_RIGHT, 6, "max", False, 2, 3)
gat_case("gat_right_graph_2heads_concat", GRAPH_RIGHT, 6, 3, 2, 2, True, 0.2, True)
gat_case("gat_right_graph_3heads_mean", GRAPH_RIGHT, 6, 3, 2, 3, False, 0.2, False)
gat_case("gat_directed_isolated_1head", GRAPH_DIRECTED, 5, 4, 2, 1, True, 0.1, False)
# Every gradient of the graph cases must be far from zero: where all scores into a node have one sign, a_dst shifts
# them equally and its gradient is zero up to rounding, which a relative comparison cannot check.
for c in CASES:
    if c["op"] in ("gat", "graph_conv"):
        for n, g in c["grads"].items():
            assert max(abs(v) for v in g["values"]) > 1e-3, (c["case"], n)


# ---------------------------------------------------------------- RDFIA tanh MLP (own generator, so the cases above stay as they were)

GEN_MLP = torch.Generator().manual_seed(2023)


def mlp_randn(*shape, scale=1.0):
    return torch.round(torch.randn(*shape, generator=GEN_MLP) * scale * 1e4) / 1e4


def tanh_mlp_case(name, batch, nx, nh, ny):
    """The practical's network: mean cross-entropy of softmax(tanh(x Wh^T + bh) Wy^T + by); a scalar output."""
    inputs = [("x", mlp_randn(batch, nx), True), ("target", torch.randint(0, ny, (batch,), generator=GEN_MLP), False),
              ("wh", mlp_randn(nh, nx, scale=0.3), True), ("bh", mlp_randn(nh, scale=0.3), True),
              ("wy", mlp_randn(ny, nh, scale=0.3), True), ("by", mlp_randn(ny, scale=0.3), True)]

    def fn(t):
        y_tilde = torch.tanh(t["x"] @ t["wh"].T + t["bh"]) @ t["wy"].T + t["by"]
        return F.cross_entropy(y_tilde, t["target"])

    case(name, "tanh_mlp_cross_entropy", {}, inputs, fn)


tanh_mlp_case("tanh_mlp_cross_entropy_2_4_2", batch=6, nx=2, nh=4, ny=2)
tanh_mlp_case("tanh_mlp_cross_entropy_5_7_3", batch=4, nx=5, nh=7, ny=3)

# ---------------------------------------------------------------- additive attention weights (own generator)

GEN_ADD = torch.Generator().manual_seed(2015)


def add_randn(*shape):
    return torch.round(torch.randn(*shape, generator=GEN_ADD) * 1e4) / 1e4


def additive_attention_case(name, b, r, a, bias):
    """softmax over r of Linear(A, 1)(relu(keys + query[:, None])): the IST captioner's attention weights (B, R)."""
    inputs = [("keys", add_randn(b, r, a), True), ("query", add_randn(b, a), True), ("weight", add_randn(1, a), True)]
    if bias:  # its gradient is 0 up to rounding (softmax ignores a shift), which a relative comparison cannot check
        inputs.append(("bias", add_randn(1), False))

    def fn(t):
        scores = F.linear(torch.relu(t["keys"] + t["query"].unsqueeze(1)), t["weight"], t.get("bias"))
        return scores.squeeze(2).softmax(1)

    case(name, "additive_attention_weights", {}, inputs, fn)


additive_attention_case("additive_attention_weights_2x5x4", 2, 5, 4, True)
additive_attention_case("additive_attention_weights_3x6x3_nobias", 3, 6, 3, False)


def main():
    for old in glob.glob(os.path.join(HERE, "*.json")):
        os.remove(old)
    total = 0
    for data in CASES:
        text = json.dumps(data, separators=(",", ":"))
        with open(os.path.join(HERE, data["case"] + ".json"), "w") as f:
            f.write(text + "\n")
        total += len(text) + 1
    print(f"wrote {len(CASES)} fixtures, {total} bytes, torch {torch.__version__}")


if __name__ == "__main__":
    main()
