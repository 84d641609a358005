#!/usr/bin/env python3
"""Time-to-accuracy of the `seed` and `fast` presets, in one run on one machine, and a results table.

    python benchmarks/recipe.py --data DIR [--budget 900] [--seeds 0] [--presets seed fast] [--out results]

Each preset trains with `cifar_learn_train`'s own code (`run_training`) for its own number of steps, or
fewer when that would take longer than `--budget` seconds of training (the step time is measured first,
on a short probe run, and the schedule is fitted to the steps that fit). It writes `OUT/results.md` (the
table, with hardware, data, seeds and date) and `OUT/results.json`, plus each run's folder (history.json
gives accuracy against training seconds). Training time counts optimizer steps only; evaluations are
excluded, as in the history's `seconds`. Say beside any figure which data it used (a dev copy is not
the official test set).
"""
import argparse, json, os, platform, statistics, tempfile, time
from datetime import date
from pathlib import Path

import torch

from cifar_learn.config import preset
from cifar_learn.training import run_training

def cpu_name():
    try: return next(l.split(':', 1)[1].strip() for l in open('/proc/cpuinfo') if l.startswith('model name'))
    except (OSError, StopIteration): return platform.processor() or platform.machine()

def hardware(device):
    gpu = torch.cuda.get_device_name() if device.startswith('cuda') or (device == 'auto' and torch.cuda.is_available()) else None
    return f"{gpu}; " * bool(gpu) + f"{cpu_name()}, {os.cpu_count()} cores; torch {torch.__version__}"

def fitted(name, data, budget, seed, device, out):
    "The preset's config, its steps cut to what fits in `budget` training seconds."
    cfg = preset(name, seed=seed, device=device, out_dir=str(out / f'{name}-seed{seed}'))
    probe = preset(name, seed=seed, device=device, steps=6, eval_step=6, checkpoint_every=6, tta=False,
                   out_dir=tempfile.mkdtemp())
    run_training(probe, data, quiet=True)
    h = json.loads((Path(probe.out_dir) / 'history.json').read_text())
    per_step = h['seconds'][-1] / 6
    steps = min(cfg.steps, max(10, int(budget / per_step)))
    evals = max(1, min(20, steps // max(1, cfg.eval_step)))
    return preset(name, seed=seed, device=device, out_dir=cfg.out_dir, steps=steps, eval_step=max(1, steps // evals),
                  checkpoint_every=steps), per_step

def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--data', required=True, help='a cifar-10-batches-py folder, or the folder holding it')
    p.add_argument('--data-label', default='dev copy', help="what the data is, for the table (e.g. 'dev copy', 'CIFAR-10')")
    p.add_argument('--budget', type=float, default=900, help='largest training time per run, in seconds')
    p.add_argument('--presets', nargs='+', default=['seed', 'fast'])
    p.add_argument('--seeds', type=int, nargs='+', default=[0])
    p.add_argument('--device', default='auto')
    p.add_argument('--out', default='results')
    a = p.parse_args()
    out = Path(a.out); out.mkdir(parents=True, exist_ok=True)
    rows = []
    for name in a.presets:
        for seed in a.seeds:
            cfg, per_step = fitted(name, a.data, a.budget, seed, a.device, out)
            t0 = time.perf_counter()
            m = run_training(cfg, a.data, quiet=True)
            wall = time.perf_counter() - t0
            h = json.loads((Path(cfg.out_dir) / 'history.json').read_text())
            rows.append(dict(preset=name, seed=seed, steps=cfg.steps, batch_size=cfg.batch_size, train_seconds=h['seconds'][-1],
                             wall_seconds=round(wall, 1), accuracy_no_tta=h['test_accuracies'][-1], accuracy=m['accuracy'], tta=cfg.tta,
                             curve=list(zip(h['seconds'], h['test_accuracies']))))
            print(f"{name} seed {seed}: {m['accuracy']:.4f} after {cfg.steps} steps, {h['seconds'][-1]:.0f} s of training", flush=True)
    hw = hardware(a.device)
    lines = [f"Measured {date.today().isoformat()} on {hw}; data: {a.data_label}; training-time budget {a.budget:.0f} s per run; "
             f"seeds {', '.join(map(str, a.seeds))}.", '',
             '| preset | seeds | steps × batch | training time (s) | test accuracy | without TTA |', '|---|---|---|---:|---:|---:|']
    for name in a.presets:
        rs = [r for r in rows if r['preset'] == name]
        acc = [r['accuracy'] for r in rs]
        spread = f" ± {statistics.stdev(acc):.2%}" if len(acc) > 1 else ''
        lines.append(f"| {name} | {len(rs)} | {rs[0]['steps']} × {rs[0]['batch_size']} | {statistics.mean(r['train_seconds'] for r in rs):.0f} | "
                     f"{statistics.mean(acc):.2%}{spread} | {statistics.mean(r['accuracy_no_tta'] for r in rs):.2%} |")
    (out / 'results.md').write_text('\n'.join(lines) + '\n')
    (out / 'results.json').write_text(json.dumps({'hardware': hw, 'data': a.data_label, 'date': date.today().isoformat(),
                                                  'budget': a.budget, 'runs': rows}, indent=1) + '\n')
    print('\n'.join(lines))

if __name__ == '__main__': main()
