"""Q1.1's PyTorch cross-check (notebooks/uva-dl1-hw2/q1_1_padding.ipynb, run through dlcourse.train.TorchScript).

Trains Net1 with fconv (zero padding 2) in PyTorch on the notebook's data with the notebook's settings: Adadelta
(lr 1, rho 0.9, eps 1e-6, weight decay 5e-5), batch 200 without shuffling, early stopping on validation loss
(patience 8), validation = the first 1000 training images. The notebook writes train_x/y, test_x/y and, for
init "ours", its seed-0 initial weights (init_<state_dict key>.npy) into DIR.

usage: python3 net1_fconv.py DIR SEED EPOCHS TRAIN_SIZE ours|torch
prints: epochs_run best_epoch val_accuracy test_accuracy
"""
import copy, sys
import numpy as np, torch
from torch import nn
d, seed, epochs, train_size, init = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
torch.set_num_threads(1)
torch.manual_seed(seed)
load = lambda n: torch.from_numpy(np.load(f"{d}/{n}.npy").astype(np.float32))
x, y = load("train_x"), load("train_y").long().view(-1)
val_x, val_y = x[:1000], y[:1000]                       # the original's re-seeding: val = first 1000 training images
train_x, train_y = x[:train_size], y[:train_size]
test_x, test_y = load("test_x"), load("test_y").long().view(-1)
layers = []
for cin, cout, stride in [(3, 32, 1), (32, 32, 2), (32, 64, 2), (64, 64, 2)]:
    layers += [nn.Conv2d(cin, cout, 3, stride, padding=2, bias=False), nn.ReLU()]   # fconv: zero padding 2
net = nn.Sequential(nn.Sequential(*layers), nn.AdaptiveMaxPool2d(1), nn.Flatten(), nn.Linear(64, 2))
if init == "ours":                                       # our parameter names are PyTorch's state_dict keys
    net.load_state_dict({k: load("init_" + k) for k in net.state_dict()})
opt = torch.optim.Adadelta(net.parameters(), lr=1.0, rho=0.9, eps=1e-6, weight_decay=5e-5)
loss_fn = nn.CrossEntropyLoss()
def evaluate(x, y):
    with torch.no_grad():
        out = torch.cat([net(x[i:i + 200]) for i in range(0, len(x), 200)])
    return loss_fn(out, y).item(), 100.0 * (out.argmax(1) == y).double().mean().item()
best, state, best_epoch, waited, epoch = float("inf"), None, 0, 0, 0
for epoch in range(1, epochs + 1):
    for i in range(0, len(train_x), 200):                # batch 200, no shuffling
        opt.zero_grad()
        loss_fn(net(train_x[i:i + 200]), train_y[i:i + 200]).backward()
        opt.step()
    val_loss = evaluate(val_x, val_y)[0]
    if val_loss < best:
        best, state, best_epoch, waited = val_loss, copy.deepcopy(net.state_dict()), epoch, 0
    else:
        waited += 1
        if waited >= 8:                                  # early stopping on val loss, patience 8
            break
net.load_state_dict(state)
print(epoch, best_epoch, evaluate(val_x, val_y)[1], evaluate(test_x, test_y)[1])
