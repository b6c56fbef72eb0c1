"""PyTorch side of `./dlcourse bench`: the reference models and a line protocol on stdin.

Started by dlcourse.train.bench.Bench with the same thread count as ND4J, so that both sides are measured
in alternating rounds in one run. Commands, one per line:
  info                         -> one line: versions and threads
  build NAME BATCH SEED        -> builds the model and a random batch, prints "ok"
  run NAME STEPS               -> runs STEPS training steps, prints their times in ms, space-separated
  profile NAME STEPS           -> runs STEPS steps under torch.autograd.profiler, prints one JSON line:
                                  {"step_ms": mean, "ops": [[op name, ms per step, calls per step], ...]}
  quit
"""
import json
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
    "net1-zeros": (lambda: padding_net1("zeros"), (3, 32, 32), 2),
    "net1-reflect": (lambda: padding_net1("reflect"), (3, 32, 32), 2),
    "net1-replicate": (lambda: padding_net1("replicate"), (3, 32, 32), 2),
    "net1-circular": (lambda: padding_net1("circular"), (3, 32, 32), 2),
}


def step(model, opt, x, y):
    opt.zero_grad(set_to_none=True)
    loss = F.cross_entropy(model(x), y)
    loss.backward()
    opt.step()


def main():
    threads = int(sys.argv[1])
    torch.set_num_threads(threads)
    built = {}
    for line in sys.stdin:
        cmd = line.split()
        if not cmd:
            continue
        if cmd[0] == "quit":
            break
        if cmd[0] == "info":
            print("torch %s, %d threads, %s" % (torch.__version__, torch.get_num_threads(),
                                                "mkldnn" if torch.backends.mkldnn.is_available() else "no mkldnn"))
        elif cmd[0] == "build":
            name, batch, seed = cmd[1], int(cmd[2]), int(cmd[3])
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
            built[name] = (model, opt, x, y)
            print("ok")
        elif cmd[0] == "run":
            model, opt, x, y = built[cmd[1]]
            times = []
            for _ in range(int(cmd[2])):
                t0 = time.perf_counter()
                step(model, opt, x, y)
                times.append((time.perf_counter() - t0) * 1e3)
            print(" ".join("%.3f" % t for t in times))
        elif cmd[0] == "profile":
            model, opt, x, y = built[cmd[1]]
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
