#!/usr/bin/env python3
"""Time-to-accuracy of the `seed` and `fast` presets in one run on one machine, and chapter 07's ablation table.

    python benchmarks/recipe.py --data DIR [--budget 900] [--seeds 0] [--presets seed fast] [--ablation [--rows R S]] [--out results]

Each preset trains with `cifar_learn_train`'s own code (`run_training`) for its own number of steps, or
fewer when that would take longer than `--budget` seconds of training (the step time is measured first,
on a short probe run, and the schedule is fitted to the steps that fit). With `--ablation` it first trains
every row of `cifar_learn.recipe.ABLATION` at the chapter's fixed budget (156 steps of 512 images).

It writes `OUT/results.md` (the tables, with hardware, data, seeds and date), `OUT/results.json`,
`OUT/accuracy_vs_time.png` (test accuracy against training seconds) and each run's folder (history.json,
metrics.json). Training time counts optimizer steps only; evaluations are excluded, as in the history's
`seconds`; the wall-clock time of each whole run (data, evaluations, report) is reported beside it. Say
beside any figure which data it used (a dev copy is not the official test set).
"""
import argparse, dataclasses, json, os, platform, statistics, tempfile, time
from datetime import date
from pathlib import Path

import torch

from cifar_learn.config import preset
from cifar_learn.recipe import ablation_configs, time_to_accuracy
from cifar_learn.report import plot_runs, save_figure
from cifar_learn.run import run_training

TARGETS = (0.6, 0.8, 0.9, 0.94)   # time-to-accuracy columns

def cpu_name():
    try: return next(l.split(':', 1)[1].strip() for l in open('/proc/cpuinfo') if l.startswith('model name'))
    except (OSError, StopIteration): return platform.processor() or platform.machine()

def hardware(device):
    gpu = torch.cuda.get_device_name() if device.startswith('cuda') or (device == 'auto' and torch.cuda.is_available()) else None
    return f"{gpu}; " * bool(gpu) + f"{cpu_name()}, {os.cpu_count()} cores; torch {torch.__version__}"

def fitted(name, data, budget, seed, device, out):
    "The preset's config, its steps cut to what fits in `budget` training seconds."
    cfg = preset(name, seed=seed, device=device, out_dir=str(out / f'{name}-seed{seed}'))
    probe = preset(name, seed=seed, device=device, steps=12, eval_every=6, checkpoint_every=12, tta=0, out_dir=tempfile.mkdtemp())
    run_training(probe, data, quiet=True)
    s = json.loads((Path(probe.out_dir) / 'history.json').read_text())['seconds']
    per_step = (s[1] - s[0]) / 6   # the second six steps: the first ones include one-time setup
    steps = min(cfg.steps, max(10, int(budget / per_step)))
    evals = min(20, max(10, steps // cfg.eval_every))   # 10 to 20 points on the accuracy-vs-time curve
    return preset(name, seed=seed, device=device, out_dir=cfg.out_dir, steps=steps, eval_every=max(1, steps // evals),
                  checkpoint_every=steps)

def timed_run(cfg, data):
    "Train `cfg`; its history, final metrics and wall-clock seconds."
    t0 = time.perf_counter()
    m = run_training(cfg, data, quiet=True)
    wall = time.perf_counter() - t0
    return json.loads((Path(cfg.out_dir) / 'history.json').read_text()), m, wall

def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--data', required=True, help='a cifar-10-batches-py folder, or the folder holding it')
    p.add_argument('--data-label', default='dev copy', help="what the data is, for the table (e.g. 'dev copy', 'CIFAR-10')")
    p.add_argument('--budget', type=float, default=900, help='largest training time per preset run, in seconds')
    p.add_argument('--presets', nargs='*', default=['seed', 'fast'])
    p.add_argument('--seeds', type=int, nargs='+', default=[0])
    p.add_argument('--ablation', action='store_true', help="also train chapter 07's ablation rows (seed 0)")
    p.add_argument('--ablation-images', type=int, default=156 * 512, help='training images of each ablation row (its budget)')
    p.add_argument('--rows', nargs='*', help='train only these ablation rows (e.g. R S T; default: all of them)')
    p.add_argument('--device', default='auto')
    p.add_argument('--out', default='results')
    a = p.parse_args()
    out = Path(a.out); out.mkdir(parents=True, exist_ok=True)
    hw = hardware(a.device)
    lines = [f"Measured {date.today().isoformat()} on {hw}; data: {a.data_label}.", '']
    report = {'hardware': hw, 'data': a.data_label, 'date': date.today().isoformat(), 'budget': a.budget}

    if a.ablation:
        abl = []
        for row, change, cfg in ablation_configs(a.ablation_images, device=a.device, checkpoint_every=10**6):
            if a.rows and row not in a.rows: continue
            h, m, wall = timed_run(dataclasses.replace(cfg, out_dir=str(out / 'ablation' / row)), a.data)
            abl.append(dict(row=row, change=change, accuracy=m['accuracy'], accuracy_no_tta=h['eval_accuracies'][-1],
                            tta=cfg.tta, train_seconds=h['seconds'][-1], wall_seconds=round(wall, 1)))
            print(f"{row} {change}: {m['accuracy']:.4f} ({h['seconds'][-1]:.0f} s of training)", flush=True)
        report['ablation'] = abl
        lines += [f"Ablation: {a.ablation_images:,} training images per row ({a.ablation_images // 512} steps of 512), seed 0; each row keeps the rows above.", '',
                  '| | change | test accuracy | training seconds |', '|---|---|---:|---:|']
        lines += [f"| {r['row']} | {r['change']} | {r['accuracy']:.2%} | {r['train_seconds']:.0f} |" for r in abl] + ['']

    rows, histories = [], {}
    for name in a.presets:
        for seed in a.seeds:
            cfg = fitted(name, a.data, a.budget, seed, a.device, out)
            h, m, wall = timed_run(cfg, a.data)
            histories[f'{name} seed {seed}'] = h
            rows.append(dict(preset=name, seed=seed, steps=cfg.steps, batch_size=cfg.batch_size, train_seconds=h['seconds'][-1],
                             wall_seconds=round(wall, 1), accuracy_no_tta=h['eval_accuracies'][-1], accuracy=m['accuracy'], tta=cfg.tta,
                             reached={t: time_to_accuracy(h, t) for t in TARGETS},
                             curve=list(zip(h['seconds'], h['eval_accuracies']))))
            print(f"{name} seed {seed}: {m['accuracy']:.4f} after {cfg.steps} steps, {h['seconds'][-1]:.0f} s of training", flush=True)
    if rows:
        report['runs'] = rows
        reach = lambda rs, t: (f"{statistics.mean(r['reached'][t][1] for r in rs):.0f} s" if all(r['reached'][t] for r in rs) else 'not reached')
        lines += [f"Presets: training-time budget {a.budget:.0f} s per run; seeds {', '.join(map(str, a.seeds))}; time to an accuracy "
                  "is the training time at the first evaluation that reached it (without test-time augmentation).", '',
                  '| preset | seeds | steps × batch | training s | wall-clock s | test accuracy | without TTA | ' +
                  ' | '.join(f'time to {t:.0%}' for t in TARGETS) + ' |', '|---|---|---|---:|---:|---:|---:|' + '---:|' * len(TARGETS)]
        for name in a.presets:
            rs = [r for r in rows if r['preset'] == name]
            acc = [r['accuracy'] for r in rs]
            spread = f" ± {statistics.stdev(acc):.2%}" if len(acc) > 1 else ''
            lines.append(f"| {name} | {len(rs)} | {rs[0]['steps']} × {rs[0]['batch_size']} | {statistics.mean(r['train_seconds'] for r in rs):.0f} | "
                         f"{statistics.mean(r['wall_seconds'] for r in rs):.0f} | {statistics.mean(acc):.2%}{spread} | "
                         f"{statistics.mean(r['accuracy_no_tta'] for r in rs):.2%} | " + ' | '.join(reach(rs, t) for t in TARGETS) + ' |')
        fig = plot_runs(histories, x='seconds')
        fig.axes[0].set_title(f'{a.data_label}, {hw}', fontsize=8)
        save_figure(fig, out / 'accuracy_vs_time', formats=('png',))
    (out / 'results.md').write_text('\n'.join(lines) + '\n')
    (out / 'results.json').write_text(json.dumps(report, indent=1) + '\n')
    print('\n'.join(lines))

if __name__ == '__main__': main()
