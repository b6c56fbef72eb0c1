"""PyTorch side of `./dlcourse bench`: the reference models and a line protocol on stdin.

Started by dlcourse.train.bench.Bench with the same thread count as ND4J, so that both sides are measured
in alternating rounds in one run. Commands, one per line:
  info                         -> one line: versions and threads
  blas                         -> one JSON line: the BLAS library this process's sgemm_ runs in (see blas_info)
                                  and the GFLOP/s of a 1024x1024 float32 matmul
  build NAME BATCH SEED        -> builds the model and a random batch, prints "ok"; NAME "op-cost" is no model
                                  but a chain of 100 adds on (4, 4) tensors, then sum and backward (BATCH unused)
  run NAME STEPS               -> runs STEPS training steps, prints their times in ms, space-separated
  profile NAME STEPS           -> runs STEPS steps under torch.autograd.profiler, prints one JSON line:
                                  {"step_ms": mean, "ops": [[op name, ms per step, calls per step], ...]}
  quit
"""
import ctypes
import json
import os
import re
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def mnist_cnn():
    # HOMEWORK.md section 2, Q7: 29,066 parameters.
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(576, 10))


def cifar_cnn():
    # HOMEWORK.md section 4, chapter 2.
    return nn.Sequential(
        nn.Conv2d(3, 32, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(64, 64, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(1024, 1000), nn.ReLU(), nn.Linear(1000, 10))


def cifar_bn_dropout():
    # HOMEWORK.md section 4, chapter 2, Q29-Q34: BN after each conv, dropout after fc4 (before fc5).
    return nn.Sequential(
        nn.Conv2d(3, 32, 5, padding=2), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 5, padding=2), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(64, 64, 5, padding=2), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(1024, 1000), nn.ReLU(), nn.Dropout(0.5), nn.Linear(1000, 10))


def padding_net1(mode):
    # HOMEWORK.md section 1, Q1.1, Net1 with pad 2 ("fconv" for zeros).
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
            model, opt, x, y = models[cmd[1]]
            steps = int(cmd[2])
            with torch.autograd.profiler.profile() as prof:
                t0 = time.perf_counter()
                for _ in range(steps):
                    step(model, opt, x, y)
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
