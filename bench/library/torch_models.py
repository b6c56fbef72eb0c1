"""PyTorch side of `./dlcourse bench`: the reference models and a line protocol on stdin.

Started by dlcourse.train.bench.Bench with the same thread count as ND4J, so that both sides are measured
in alternating rounds in one run. Commands, one per line:
  info                         -> one line: versions and threads
  blas                         -> one JSON line: the BLAS library this process's sgemm_ runs in (see blas_info)
                                  and the GFLOP/s of a 1024x1024 float32 matmul
  build NAME BATCH SEED        -> builds the model and a random batch, prints "ok"; NAME "op-cost" is no model
                                  but a chain of 100 adds on (4, 4) tensors, then sum and backward (BATCH unused);
                                  "gpt-nano"/"gpt-micro": the char-GPT, BATCH sequences of 128 random token ids
                                  "vit" and "captioner" (SEQUENCE_CASES) train with Adam on their own inputs
  run NAME STEPS               -> runs STEPS training steps, prints their times in ms, space-separated
  profile NAME STEPS           -> runs STEPS steps under torch.autograd.profiler, prints one JSON line:
                                  {"step_ms": mean, "ops": [[op name, ms per step, calls per step], ...]}
  quit
"""
import ctypes
import json
import math
import os
import re
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def mnist_cnn():
    # vu-dl-a3, Q7: 29,066 parameters.
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(576, 10))


def cifar_cnn():
    # rdfia-basics, chapter 2.
    return nn.Sequential(
        nn.Conv2d(3, 32, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(64, 64, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(1024, 1000), nn.ReLU(), nn.Linear(1000, 10))


def cifar_bn_dropout():
    # rdfia-basics, chapter 2, Q29-Q34: BN after each conv, dropout after fc4 (before fc5).
    return nn.Sequential(
        nn.Conv2d(3, 32, 5, padding=2), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 5, padding=2), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(64, 64, 5, padding=2), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(1024, 1000), nn.ReLU(), nn.Dropout(0.5), nn.Linear(1000, 10))


def padding_net1(mode):
    # uva-dl1-hw2, Q1.1, Net1 with pad 2 ("fconv" for zeros).
    def conv(i, o, s):
        return nn.Conv2d(i, o, 3, stride=s, padding=2, padding_mode=mode, bias=False)
    return nn.Sequential(
        conv(3, 32, 1), nn.ReLU(), conv(32, 32, 2), nn.ReLU(),
        conv(32, 64, 2), nn.ReLU(), conv(64, 64, 2), nn.ReLU(),
        nn.AdaptiveMaxPool2d(1), nn.Flatten(), nn.Linear(64, 2))


MODELS = {
    "mnist": (mnist_cnn, (1, 28, 28), 10),
    "cifar": (cifar_cnn, (3, 32, 32), 10),
    "cifar-bn": (cifar_bn_dropout, (3, 32, 32), 10),
    "net1-zeros": (lambda: padding_net1("zeros"), (3, 32, 32), 2),
    "net1-reflect": (lambda: padding_net1("reflect"), (3, 32, 32), 2),
    "net1-replicate": (lambda: padding_net1("replicate"), (3, 32, 32), 2),
    "net1-circular": (lambda: padding_net1("circular"), (3, 32, 32), 2),
}


# ---------------------------------------------------------------- char-GPT (uva-dl1-hw2 part 2)
# The same model as dlcourse.models.GPT (nanoGPT-like, UvA DL1 template): pre-norm blocks with RMSNorm (eps 1e-6),
# one fused qkv Linear with bias, RoPE on q and k per head, causal softmax attention with dropout on the weights,
# output projection + residual dropout, tanh-GELU MLP 4x + dropout, final RMSNorm, LM head without bias. The learned
# position table wpe (block_size, C) exists but is unused with RoPE, as in ours (counted in the parameters).
GPT_VOCAB = 87
GPT_MODELS = {  # name -> (n_layer, n_head, n_embd, T = block size)
    "gpt-nano": (3, 3, 48, 128),
    "gpt-micro": (4, 4, 128, 128),
}
GPT_DROPOUT = 0.1


class RMSNorm(nn.Module):
    def __init__(self, d, eps=1e-6):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(d))

    def forward(self, x):
        # as F.rmsNorm: x * (mean(x^2) + eps)^-1/2 * weight
        return x * (x * x).mean(-1, keepdim=True).add(self.eps).pow(-0.5) * self.weight


def rope_tables(t, d):
    """cos and sin (T, d/2) of RoPE: pair i of a position p is rotated by p * 10000^(-2i/d) (F.rope's angles)."""
    inv = 10000.0 ** (-torch.arange(0, d, 2, dtype=torch.float64) / d)
    ang = torch.arange(t, dtype=torch.float64)[:, None] * inv[None, :]
    return ang.cos().float(), ang.sin().float()


def rope(x, cos, sin):
    # x (B, h, T, d); pairs of ADJACENT channels (2i, 2i+1), as F.rope (RoFormer / LLaMA pairing):
    # y[2i] = x[2i] cos - x[2i+1] sin, y[2i+1] = x[2i] sin + x[2i+1] cos
    x1 = x[..., 0::2]
    x2 = x[..., 1::2]
    return torch.stack((x1 * cos - x2 * sin, x1 * sin + x2 * cos), dim=-1).flatten(-2)


class CausalSelfAttention(nn.Module):
    def __init__(self, n_head, c, t, p):
        super().__init__()
        self.n_head = n_head
        self.c_attn = nn.Linear(c, 3 * c)
        self.c_proj = nn.Linear(c, c)
        self.attn_dropout = nn.Dropout(p)
        self.resid_dropout = nn.Dropout(p)
        self.register_buffer("mask", torch.tril(torch.ones(t, t, dtype=torch.bool)))
        cos, sin = rope_tables(t, c // n_head)
        self.register_buffer("cos", cos)
        self.register_buffer("sin", sin)

    def forward(self, x):
        b, t, c = x.shape
        q, k, v = self.c_attn(x).split(c, dim=2)
        q = q.view(b, t, self.n_head, c // self.n_head).transpose(1, 2)  # (B, nh, T, hs)
        k = k.view(b, t, self.n_head, c // self.n_head).transpose(1, 2)
        v = v.view(b, t, self.n_head, c // self.n_head).transpose(1, 2)
        q = rope(q, self.cos[:t], self.sin[:t])
        k = rope(k, self.cos[:t], self.sin[:t])
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
        att = att.masked_fill(~self.mask[:t, :t], float("-inf"))
        att = self.attn_dropout(F.softmax(att, dim=-1))
        y = (att @ v).transpose(1, 2).contiguous().view(b, t, c)
        return self.resid_dropout(self.c_proj(y))


class GptBlock(nn.Module):
    def __init__(self, n_head, c, t, p):
        super().__init__()
        self.ln_1 = RMSNorm(c)
        self.attn = CausalSelfAttention(n_head, c, t, p)
        self.ln_2 = RMSNorm(c)
        self.mlp = nn.Sequential(nn.Linear(c, 4 * c), nn.GELU(approximate="tanh"), nn.Linear(4 * c, c), nn.Dropout(p))

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class Gpt(nn.Module):
    def __init__(self, n_layer, n_head, c, t, vocab, p):
        super().__init__()
        self.wte = nn.Embedding(vocab, c)
        self.wpe = nn.Embedding(t, c)  # unused with RoPE, kept as ours keeps it
        self.drop = nn.Dropout(p)
        self.h = nn.ModuleList([GptBlock(n_head, c, t, p) for _ in range(n_layer)])
        self.ln_f = RMSNorm(c)
        self.lm_head = nn.Linear(c, vocab, bias=False)
        # GPT.resetParameters: Linear/Embedding weights N(0, 0.02), biases 0, norms 1; residual projections
        # N(0, 0.02 / sqrt(2 n_layer))
        for m in self.modules():
            if isinstance(m, (nn.Linear, nn.Embedding)):
                nn.init.normal_(m.weight, 0.0, 0.02)
                if getattr(m, "bias", None) is not None:
                    nn.init.zeros_(m.bias)
        for name, prm in self.named_parameters():
            if name.endswith("c_proj.weight") or name.endswith("mlp.2.weight"):
                nn.init.normal_(prm, 0.0, 0.02 / math.sqrt(2 * n_layer))

    def forward(self, idx):
        x = self.drop(self.wte(idx))
        for block in self.h:
            x = block(x)
        return self.lm_head(self.ln_f(x))


def gpt_param_count(n_layer, c, t, vocab):
    """The parameter count of dlcourse.models.GPT for this config (its numParameters())."""
    block = 2 * c + (c * 3 * c + 3 * c) + (c * c + c) + (c * 4 * c + 4 * c) + (4 * c * c + c)
    return vocab * c + t * c + n_layer * block + c + c * vocab


def gpt_step(model, opt, x, y):
    # forward, cross-entropy over all B*T tokens, zero_grad, backward, clip 1.0, AdamW
    logits = model(x)
    loss = F.cross_entropy(logits.view(-1, logits.size(-1)), y.view(-1))
    opt.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()


def build_gpt(name, batch, seed):
    n_layer, n_head, c, t = GPT_MODELS[name]
    torch.manual_seed(seed)
    model = Gpt(n_layer, n_head, c, t, GPT_VOCAB, GPT_DROPOUT)
    model.train()
    n = sum(p.numel() for p in model.parameters())
    expected = gpt_param_count(n_layer, c, t, GPT_VOCAB)
    assert n == expected, "%s: %d parameters, dlcourse.models.GPT has %d" % (name, n, expected)
    print("  PyTorch %s: %d parameters (equal to dlcourse.models.GPT's count)" % (name, n), file=sys.stderr)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)  # betas (0.9, 0.999), eps 1e-8, weight decay 0.01
    x = torch.randint(0, GPT_VOCAB, (batch, t))
    y = torch.randint(0, GPT_VOCAB, (batch, t))
    return lambda: gpt_step(model, opt, x, y)



# Sequence models: their own inputs and optimizer (Adam), so each builds its own step (SEQUENCE_CASES below).

def sinusoidal(length, d):
    pos = torch.arange(length, dtype=torch.float64)[:, None]
    i = torch.arange(d // 2, dtype=torch.float64)[None, :]
    angle = pos / torch.pow(10000.0, 2 * i / d)
    pe = torch.zeros(length, d, dtype=torch.float64)
    pe[:, 0::2] = torch.sin(angle)
    pe[:, 1::2] = torch.cos(angle)
    return pe.float()


class VitBlock(nn.Module):
    def __init__(self, embed, heads, mlp_hidden):
        super().__init__()
        self.norm1 = nn.LayerNorm(embed)
        self.attn = nn.MultiheadAttention(embed, heads, batch_first=True)
        self.norm2 = nn.LayerNorm(embed)
        self.mlp = nn.Sequential(nn.Linear(embed, mlp_hidden), nn.GELU(), nn.Linear(mlp_hidden, embed))

    def forward(self, x):
        h = self.norm1(x)
        x = x + self.attn(h, h, h, need_weights=False)[0]
        return x + self.mlp(self.norm2(x))


class ViT(nn.Module):
    # rdfia-basics, chapter 3; dlcourse.models.ViT.
    def __init__(self, embed=32, patch=7, blocks=2, heads=4, mlp_hidden=128, channels=1, image=28, classes=10):
        super().__init__()
        self.patch_embed = nn.Conv2d(channels, embed, patch, stride=patch)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, embed))
        self.register_buffer("pos_embed", sinusoidal((image // patch) ** 2 + 1, embed))
        self.blocks = nn.Sequential(*[VitBlock(embed, heads, mlp_hidden) for _ in range(blocks)])
        self.norm = nn.LayerNorm(embed)
        self.head = nn.Linear(embed, classes)

    def forward(self, x):
        p = self.patch_embed(x).flatten(2).transpose(1, 2)
        h = torch.cat([self.cls_token.expand(x.shape[0], -1, -1), p], 1) + self.pos_embed
        return self.head(self.norm(self.blocks(h))[:, 0])


class Captioner(nn.Module):
    # ist-dl-hw2, Q3 (course template); dlcourse.models.Captioner.
    def __init__(self, enc=512, embed=100, hidden=256, att=100, vocab=190, dropout=0.5):
        super().__init__()
        self.embedding = nn.Embedding(vocab, embed)
        self.init_h = nn.Linear(enc, hidden)
        self.init_c = nn.Linear(enc, hidden)
        self.att_enc = nn.Linear(enc, att)
        self.att_hid = nn.Linear(hidden, att)
        self.att_score = nn.Linear(att, 1)
        self.cell = nn.LSTMCell(embed + enc, hidden)
        self.dropout = nn.Dropout(dropout)
        self.out = nn.Linear(hidden, vocab)

    def forward(self, features, tokens):
        projected = self.att_enc(features)  # (B, R, A), once per sequence
        mean = features.mean(1)
        h, c = self.init_h(mean), self.init_c(mean)
        logits, weights = [], []
        for t in range(tokens.shape[1]):
            a = F.relu(projected + self.att_hid(h).unsqueeze(1))
            w = self.att_score(a).squeeze(2).softmax(1)  # (B, R)
            ctx = torch.bmm(w.unsqueeze(1), features).squeeze(1)  # (B, E)
            h, c = self.cell(torch.cat([self.embedding(tokens[:, t]), ctx], 1), (h, c))
            logits.append(self.out(self.dropout(h)))
            weights.append(w)
        return torch.stack(logits, 1), torch.stack(weights, 1)


# name -> (factory, expected parameter count, builder of the step closure from (model, batch))
VIT_PARAMS = 27434
CAPTIONER_PARAMS = 1298467
CAPTION_STEPS = 22


def vit_step_builder(model, batch):
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    x = torch.randn(batch, 1, 28, 28)
    y = torch.randint(0, 10, (batch,))
    return lambda: step(model, opt, x, y)


def captioner_step_builder(model, batch):
    opt = torch.optim.Adam(model.parameters(), lr=4e-4)
    features = torch.randn(batch, 256, 512)
    caption = torch.randint(0, 190, (batch, CAPTION_STEPS + 1))
    inputs, targets = caption[:, :-1], caption[:, 1:].reshape(-1)

    def run():
        opt.zero_grad(set_to_none=True)
        logits, _ = model(features, inputs)
        F.cross_entropy(logits.reshape(-1, 190), targets).backward()
        torch.nn.utils.clip_grad_value_(model.parameters(), 5)
        opt.step()
    return run


SEQUENCE_CASES = {
    "vit": (ViT, VIT_PARAMS, vit_step_builder),
    "captioner": (Captioner, CAPTIONER_PARAMS, captioner_step_builder),
}


OP_CHAIN = 100


def step(model, opt, x, y):
    opt.zero_grad(set_to_none=True)
    loss = F.cross_entropy(model(x), y)
    loss.backward()
    opt.step()


def op_cost_step(x, c):
    # The fixed cost per op: 100 tiny adds, a sum and the backward pass through all of them.
    x.grad = None
    y = x
    for _ in range(OP_CHAIN):
        y = y + c
    y.sum().backward()


class _DlInfo(ctypes.Structure):
    _fields_ = [("dli_fname", ctypes.c_char_p), ("dli_fbase", ctypes.c_void_p),
                ("dli_sname", ctypes.c_char_p), ("dli_saddr", ctypes.c_void_p)]


def mapped_file(addr, maps="/proc/self/maps"):
    """The file mapped at address addr in maps (the kernel's path: symlinks resolved), or None."""
    with open(maps) as f:
        for line in f:
            parts = line.split()
            if len(parts) < 6:
                continue
            lo, hi = (int(v, 16) for v in parts[0].split("-"))
            if lo <= addr < hi:
                return parts[5]
    return None


def blas_like_files(maps="/proc/self/maps"):
    """Every mapped file whose name looks like a BLAS, in load order, without repeats."""
    seen = []
    with open(maps) as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 6 and re.search(r"blas|mkl|blis|atlas", os.path.basename(parts[5])) \
                    and parts[5] not in seen:
                seen.append(parts[5])
    return seen


def blas_info(threads):
    """Where this process's sgemm_ comes from, after a matmul has run.

    Debian's torch is built with BLAS_INFO=generic: Linear/matmul call sgemm_ of the libblas.so.3 the dynamic
    loader found (the alternatives symlink, or an LD_PRELOAD). dlopen with RTLD_NOLOAD returns that loaded
    object; the address of its sgemm_ is looked up in /proc/self/maps, which names the real file."""
    a = torch.randn(1024, 1024)
    b = torch.randn(1024, 1024)
    out = torch.empty(1024, 1024)
    torch.mm(a, b, out=out)
    info = {"threads": threads, "loader_name": None, "file": None, "error": None}
    try:
        lib = ctypes.CDLL("libblas.so.3", mode=os.RTLD_NOLOAD | os.RTLD_LAZY)
        addr = ctypes.cast(lib.sgemm_, ctypes.c_void_p).value
        dl = _DlInfo()
        if ctypes.CDLL(None).dladdr(ctypes.c_void_p(addr), ctypes.byref(dl)):
            info["loader_name"] = dl.dli_fname.decode()
        info["file"] = mapped_file(addr)
    except (OSError, AttributeError) as e:
        info["error"] = "%s: %s" % (type(e).__name__, e)
    info["mapped"] = blas_like_files()
    times = []
    for _ in range(2 + 7):
        t0 = time.perf_counter()
        torch.mm(a, b, out=out)
        times.append(time.perf_counter() - t0)
    times = sorted(times[2:])
    info["gflops"] = 2 * 1024 ** 3 / times[len(times) // 2] / 1e9
    return info


def main():
    threads = int(sys.argv[1])
    torch.set_num_threads(threads)
    built = {}  # name -> a function running one step
    models = {}  # name -> (model, opt, x, y) for profile
    for line in sys.stdin:
        cmd = line.split()
        if not cmd:
            continue
        if cmd[0] == "quit":
            break
        if cmd[0] == "info":
            print("torch %s, %d threads, %s" % (torch.__version__, torch.get_num_threads(),
                                                "mkldnn" if torch.backends.mkldnn.is_available() else "no mkldnn"))
        elif cmd[0] == "blas":
            print(json.dumps(blas_info(threads)))
        elif cmd[0] == "build":
            name, batch, seed = cmd[1], int(cmd[2]), int(cmd[3])
            if name == "op-cost":
                torch.manual_seed(seed)
                x = torch.randn(4, 4, requires_grad=True)
                c = torch.randn(4, 4)
                built[name] = lambda: op_cost_step(x, c)
                print("ok")
                sys.stdout.flush()
                continue
            if name in GPT_MODELS:
                built[name] = build_gpt(name, batch, seed)
                print("ok")
                sys.stdout.flush()
                continue
            if name in SEQUENCE_CASES:
                factory, params, builder = SEQUENCE_CASES[name]
                torch.manual_seed(seed)
                model = factory()
                count = sum(p.numel() for p in model.parameters())
                assert count == params, "%s: %d parameters, expected %d" % (name, count, params)
                built[name] = builder(model, batch)
                print("ok")
                sys.stdout.flush()
                continue
            if name not in MODELS:
                print("error: unknown model %r, expected one of %s" % (name, sorted(MODELS)))
                sys.stdout.flush()
                continue
            factory, shape, classes = MODELS[name]
            torch.manual_seed(seed)
            model = factory()
            opt = torch.optim.SGD(model.parameters(), lr=0.01)
            x = torch.randn(batch, *shape)
            y = torch.randint(0, classes, (batch,))
            built[name] = lambda model=model, opt=opt, x=x, y=y: step(model, opt, x, y)
            models[name] = (model, opt, x, y)
            print("ok")
        elif cmd[0] == "run":
            run_step = built[cmd[1]]
            times = []
            for _ in range(int(cmd[2])):
                t0 = time.perf_counter()
                run_step()
                times.append((time.perf_counter() - t0) * 1e3)
            print(" ".join("%.3f" % t for t in times))
        elif cmd[0] == "profile":
            run_step = built[cmd[1]]
            steps = int(cmd[2])
            with torch.autograd.profiler.profile() as prof:
                t0 = time.perf_counter()
                for _ in range(steps):
                    run_step()
                total = (time.perf_counter() - t0) * 1e3 / steps
            rows = []
            for e in prof.key_averages():
                # self time: the op's own work, so that nested ops are not counted twice
                rows.append([e.key, e.self_cpu_time_total / 1e3 / steps, e.count // steps])
            rows.sort(key=lambda r: -r[1])
            print(json.dumps({"step_ms": total, "ops": rows[:25]}))
        else:
            print("error: unknown command %r" % cmd[0])
        sys.stdout.flush()


if __name__ == "__main__":
    main()
