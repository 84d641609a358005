#!/usr/bin/env python3
"""Images per second of three ways to feed CIFAR-10 batches, measured in one run on one machine.

    python benchmarks/loaders.py --data DIR/cifar-10-batches-py [--batch-size 512] [--device cuda]
    python benchmarks/loaders.py            # no --data: a generated 50,000-image set in the official format

(a) the seed tutorial's Dataset (whole split divided by 255 up front, float64) through a DataLoader,
    as the seed uses it (shuffle, no worker processes);
(b) torchvision's CIFAR10 with RandomCrop(32, padding=4), RandomHorizontalFlip, ToTensor, Normalize,
    through a DataLoader with 2 workers;
(c) cifar_learn's TensorLoader with the same augmentation (flip + translate by up to 4 pixels), on
    the CPU, and on the GPU when there is one.
Each is timed over whole batches after one warm-up batch; say beside any figure which data it used
(the dev copy, real CIFAR-10 or generated).
"""
import argparse, os, pickle, platform, tempfile
from pathlib import Path
from unittest import mock

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

from cifar_learn.data import load_split
from cifar_learn.dataset import CIFAR10, CIFAR10_MEAN, CIFAR10_STD, TensorLoader, images_per_second
from cifar_learn.fakedata import fake_cifar10

class SeedCIFAR10(Dataset):
    "The seed tutorial's Dataset: plain unpickling, the whole array divided by 255 (float64) in __init__."
    def __init__(self, root, train=True):
        files = [f'data_batch_{i}' for i in range(1, 6)] if train else ['test_batch']
        batches = [pickle.load(open(Path(root) / f, 'rb'), encoding='bytes') for f in files]
        self.data = np.vstack([b[b'data'] for b in batches]).reshape(-1, 3, 32, 32) / 255
        self.labels = [l for b in batches for l in b[b'labels']]
    def __len__(self): return len(self.labels)
    def __getitem__(self, i): return torch.tensor(self.data[i], dtype=torch.float32), self.labels[i]

def torchvision_cifar10(root):
    "torchvision's CIFAR10 on `root` (a cifar-10-batches-py folder), with the classic augmentation."
    from torchvision import datasets, transforms as T
    tf = T.Compose([T.RandomCrop(32, padding=4), T.RandomHorizontalFlip(), T.ToTensor(), T.Normalize(CIFAR10_MEAN, CIFAR10_STD)])
    # It checks each file against the official md5s, which a copy in the official format cannot match.
    with mock.patch('torchvision.datasets.cifar.check_integrity', return_value=True):
        return datasets.CIFAR10(Path(root).parent, train=True, transform=tf)

def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--data', help='a cifar-10-batches-py folder (default: generate 50,000 images)')
    p.add_argument('--batch-size', type=int, default=512)
    p.add_argument('--batches', type=int, default=60, help='batches timed for (a) and (b)')
    p.add_argument('--device', default=None, help="extra device for (c), e.g. cuda (default: cuda if available)")
    a = p.parse_args()
    torch.manual_seed(0)
    if a.data: root, data = Path(a.data), f'{a.data}'
    else:
        root, data = fake_cifar10(tempfile.mkdtemp(), n_train=50_000, n_test=10), 'generated (cifar_learn.fakedata, 50,000 images)'
    n_train = len(load_split(root).labels)
    bs = a.batch_size
    print(f'data: {data} ({n_train:,} training images); batch size {bs}; torch {torch.__version__}; '
          f'{os.cpu_count()} CPUs ({platform.processor() or platform.machine()}); torch threads {torch.get_num_threads()}')
    res = {}
    res['(a) seed Dataset + DataLoader'] = images_per_second(DataLoader(SeedCIFAR10(root), bs, shuffle=True), a.batches)
    res['(b) torchvision CIFAR10 + DataLoader, 2 workers'] = images_per_second(
        DataLoader(torchvision_cifar10(root), bs, shuffle=True, num_workers=2, persistent_workers=False), a.batches)
    ds = CIFAR10(root)
    tl_batches = 4 * (n_train // bs)
    res['(c) TensorLoader, augment, cpu'] = images_per_second(TensorLoader(ds, bs, augment=True, device='cpu', seed=0), tl_batches)
    dev = a.device or ('cuda' if torch.cuda.is_available() else None)
    if dev and dev != 'cpu':
        res[f'(c) TensorLoader, augment, {dev}'] = images_per_second(TensorLoader(ds, bs, augment=True, device=dev, seed=0), tl_batches)
    w = max(map(len, res))
    base = res['(b) torchvision CIFAR10 + DataLoader, 2 workers']
    print(f"\n| {'loader':{w}} |   images/s | vs (b) |\n|{'-' * (w + 2)}|-----------:|-------:|")
    for k, v in res.items(): print(f'| {k:{w}} | {v:>10,.0f} | {v / base:5.1f}x |')

if __name__ == '__main__': main()
