#!/usr/bin/env python3
"""Steps/s and images/s of the seed tutorial's training loop against cifar_learn's `train`, in one run.

    python benchmarks/train_loop.py --data DIR/cifar-10-batches-py [--batch-sizes 64 512] [--device cpu]

Same ConvNet, same Adam settings, same data, same machine. The seed loop is the seed tutorial's:
its Dataset (whole split divided by 255 up front) through a shuffled DataLoader, a new iterator every
step (`next(iter(loader))`), and `.item()` every step for the running loss and accuracy. Ours is
`cifar_learn.training.train` with a `TensorLoader`, timed end to end (one evaluation on one small
batch and one checkpoint at the end included). Each loop runs a few warm-up steps first. Say beside
any figure which data it used.
"""
import argparse, os, sys, tempfile, time
from pathlib import Path

import torch
from torch.utils.data import DataLoader

sys.path.insert(0, str(Path(__file__).parent))
from loaders import SeedCIFAR10
from cifar_learn.config import TrainingConfig
from cifar_learn.dataset import CIFAR10, TensorLoader
from cifar_learn.devices import get_device
from cifar_learn.fakedata import fake_cifar10
from cifar_learn.model import create_model
from cifar_learn.training import set_seed, train
from cifar_learn.optimizers import create_optimizer

def seed_loop(net, loader, optimizer, steps, device):
    "The seed's loop, timing only: a new iterator each step, .item() each step."
    net.train(); running_loss = running_acc = 0.0
    for step in range(steps):
        x, y = next(iter(loader))
        x, y = x.to(device), y.to(device)
        logits, loss = net(x, y)
        optimizer.zero_grad(); loss.backward(); optimizer.step()
        running_loss += loss.item(); running_acc += (logits.argmax(1) == y).float().mean().item()
    return running_loss / steps

def time_seed(root, bs, steps, device, warmup=3):
    set_seed(0); net = create_model('convnet').to(device)
    cfg = TrainingConfig(batch_size=bs)
    opt = create_optimizer(net, cfg)
    loader = DataLoader(SeedCIFAR10(root), batch_size=bs, shuffle=True, pin_memory=device.type == 'cuda')
    seed_loop(net, loader, opt, warmup, device)
    if device.type == 'cuda': torch.cuda.synchronize()
    t0 = time.perf_counter(); seed_loop(net, loader, opt, steps, device)
    if device.type == 'cuda': torch.cuda.synchronize()
    return time.perf_counter() - t0

def time_ours(root, bs, steps, device, warmup=3):
    ds = CIFAR10(root)
    small_test = [(ds.images[:bs].float() / 255, ds.labels[:bs])]
    def run(n):
        out = tempfile.mkdtemp()
        cfg = TrainingConfig(model='convnet', batch_size=bs, steps=n, eval_every=n, checkpoint_every=n, device=str(device), out_dir=out)
        set_seed(0); net = create_model('convnet')
        tl = TensorLoader(ds, bs, device=device, seed=0)
        t0 = time.perf_counter()
        train(net, tl, small_test, create_optimizer(net, cfg), cfg, quiet=True)
        if device.type == 'cuda': torch.cuda.synchronize()
        return time.perf_counter() - t0
    run(warmup)
    return run(steps)

def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--data', help='a cifar-10-batches-py folder (default: generate 50,000 images)')
    p.add_argument('--batch-sizes', type=int, nargs='+', default=[64, 512])
    p.add_argument('--seconds', type=float, default=20, help='rough time budget per measurement, to choose the step count')
    p.add_argument('--device', default='auto')
    a = p.parse_args()
    device = get_device(a.device)
    root = Path(a.data) if a.data else fake_cifar10(tempfile.mkdtemp(), n_train=50_000, n_test=10)
    print(f"data: {a.data or 'generated (cifar_learn.fakedata)'}; device {device}; torch {torch.__version__}; "
          f"{os.cpu_count()} CPUs; torch threads {torch.get_num_threads()}")
    print('| batch | loop | steps | seconds | steps/s | images/s | ours vs seed |\n|---:|---|---:|---:|---:|---:|---:|')
    for bs in a.batch_sizes:
        probe = time_seed(root, bs, 2, device)                      # rough cost of a step, to size the run
        steps = max(5, int(a.seconds / max(probe / 2, 1e-4)))
        ts, to = time_seed(root, bs, steps, device), time_ours(root, bs, steps, device)
        for name, t in [('seed', ts), ('cifar_learn', to)]:
            print(f'| {bs} | {name} | {steps} | {t:.1f} | {steps / t:.2f} | {steps * bs / t:,.0f} | {"" if name == "seed" else f"{ts / to:.2f}x"} |')

if __name__ == '__main__': main()
