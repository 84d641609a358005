#!/usr/bin/env python3
"""The `airbench` and `fast` presets against their anchor, airbench94: accuracy over seeds, passes, seconds, overhead.

    python benchmarks/airbench.py --data DIR [--presets airbench fast] [--seeds 0 1 2] [--passes P] [--out OUT]

1. Runs: each preset and seed trains with `cifar_learn_train`'s own code (`run_training`) for `--passes`
   passes over the training images (default: `airbench` 9.9, airbench94's own count, whatever the size of the
   data; other presets their own steps), evaluating once per pass. A run whose
   folder `OUT/<preset>-seed<N>` already holds `metrics.json` and the same `config.json` is read, not
   repeated, so the benchmark can be stopped and continued (or fed a run made with `cifar_learn_train --out`).
2. The loop's own overhead, in this process, for each preset: images/s of `train` (TensorLoader with the
   preset's augmentation, meters, schedule, lookahead; the evaluations excluded, as in a history's `seconds`)
   against a bare loop of the same model, batch, precision and optimizer on one fixed batch (forward,
   backward, step, nothing else). Target: the loop at >= 0.9x the bare loop.
3. Precision on this machine: training images/s in fp32 and in bf16 autocast of each preset's model at its own
   batch size, and of each model of the zoo at its default widths, and what `precision='auto'` picks. Target:
   `auto` within 5% of the faster of the two on the presets' models.
4. With CUDA and `pip install airbench` (and `--airbench-repo`, a checkout of KellerJordan/cifar10-airbench,
   for airbench94_muon.py), airbench94 and airbench94_muon on the same data and GPU, side by side. They run
   from their own package and checkout, never from code copied here.

It writes OUT/results.md (the tables, with date, hardware and data) and OUT/results.json. Say beside any
figure which data it used: a dev copy is not the official test set.
"""
import argparse, dataclasses, importlib.util, json, math, os, platform, statistics, subprocess, sys, tempfile, time
from datetime import date
from pathlib import Path

import torch

from cifar_learn.config import TrainingConfig, preset
from cifar_learn.data import find_cifar10
from cifar_learn.dataset import CIFAR10, TensorLoader
from cifar_learn.model import MODELS, create_model
from cifar_learn.run import make_loaders, run_training
from cifar_learn.training import set_seed, train
from cifar_learn.optimizers import create_optimizer
from cifar_learn.devices import amp_dtype, autocast

def cpu_name():
    try: return next(l.split(':', 1)[1].strip() for l in open('/proc/cpuinfo') if l.startswith('model name'))
    except (OSError, StopIteration): return platform.processor() or platform.machine()

def hardware(device):
    gpu = torch.cuda.get_device_name(device) if device.type == 'cuda' else None
    return f"{gpu}; " * bool(gpu) + f"{cpu_name()}, {os.cpu_count()} cores; torch {torch.__version__}"

PASSES = {'airbench': 9.9}   # airbench94's epoch count: its 476 steps are 9.9 passes over 50,000 images, not over other data

def steps_per_pass(cfg:TrainingConfig, n_train:int) -> int:
    "Optimizer steps in one pass over `n_train` images (the short batch counted unless `drop_last`)."
    return n_train // cfg.batch_size if cfg.drop_last else math.ceil(n_train / cfg.batch_size)

def run_config(name, seed, passes, n_train, device, out) -> TrainingConfig:
    "The preset's config for one benchmark run: `passes` passes (or the preset's steps), one evaluation per pass."
    cfg = preset(name, seed=seed, device=device, out_dir=str(out / f'{name}-seed{seed}'))
    per = steps_per_pass(cfg, n_train)
    if per == 0: sys.exit(f"preset {name!r}: its batches of {cfg.batch_size} drop the short one, and {n_train} training images make none")
    passes = passes or PASSES.get(name)
    steps = math.ceil(passes * per) if passes else cfg.steps
    return dataclasses.replace(cfg, steps=steps, eval_every=min(per, steps))

def run_or_read(cfg:TrainingConfig, data):
    "Train `cfg` unless its folder already holds a finished run of exactly this config; its history, metrics and wall seconds."
    out = Path(cfg.out_dir)
    if (out / 'metrics.json').exists():
        saved = TrainingConfig.load(out / 'config.json')
        if saved != cfg: sys.exit(f"{out} holds a run of another config; move it away or choose another --out")
        print(f"{out}: finished run found, read", flush=True)
        wall = None
    else:
        t0 = time.perf_counter(); run_training(cfg, data, quiet=True); wall = time.perf_counter() - t0
    return json.loads((out / 'history.json').read_text()), json.loads((out / 'metrics.json').read_text()), wall

def loop_images_per_second(cfg, train_ds, test_ds, steps) -> float:
    "Images/s of `train` over `steps` steps after `steps` warm-up steps (the time between its two evaluations)."
    c = dataclasses.replace(cfg, steps=2 * steps, eval_every=steps, checkpoint_every=10**6, lookahead=cfg.lookahead,
                            out_dir=tempfile.mkdtemp(), tta=0)
    set_seed(c.seed)
    net = create_model(c.model, **c.model_args, label_smoothing=c.label_smoothing).init_from_data(train_ds.images[:5000])
    train_dl, _, _ = make_loaders(c, train_ds, test_ds)
    one = TensorLoader((test_ds.images[:c.batch_size], test_ds.labels[:c.batch_size]), c.batch_size, shuffle=False,
                       device=c.resolved_device())   # a small evaluation: its time is excluded anyway
    h = train(net, train_dl, one, create_optimizer(net, c), c, quiet=True)
    return steps * c.batch_size / (h['seconds'][1] - h['seconds'][0])

def bare_images_per_second(cfg, model, precision, steps, batch_size=None, x=None, y=None) -> float:
    "Images/s of forward, backward and optimizer step on one fixed batch: no loader, no meters, no schedule."
    device, bs = cfg.resolved_device(), batch_size or cfg.batch_size
    net = model.to(device)
    if cfg.channels_last: net = net.to(memory_format=torch.channels_last)
    x = (torch.rand(bs, 3, 32, 32) if x is None else x).to(device)
    if cfg.channels_last: x = x.contiguous(memory_format=torch.channels_last)
    y = (torch.randint(0, 10, (bs,)) if y is None else y).to(device)
    opt = create_optimizer(net, cfg)
    scaler = torch.amp.GradScaler(device.type, enabled=amp_dtype(device, precision) == torch.float16)
    def step():
        with autocast(device, precision): _, loss = net(x, y)
        opt.zero_grad(set_to_none=True); scaler.scale(loss).backward(); scaler.step(opt); scaler.update()
        return loss
    for _ in range(steps): step()
    if device.type == 'cuda': torch.cuda.synchronize()
    t = time.perf_counter()
    for _ in range(steps): loss = step()
    loss.item()                                   # wait for the device
    return steps * bs / (time.perf_counter() - t)

def precision_table(device, presets, zoo_batch, steps) -> list:
    "Training images/s in fp32 and in bf16 autocast: each preset's model at its batch size, each zoo model at `zoo_batch`."
    auto = {None: 'fp32', torch.bfloat16: 'bf16', torch.float16: 'fp16'}[amp_dtype(device, 'auto')]
    cases = [(f"{name}: {cfg.model} {cfg.model_args.get('widths', '')}", cfg) for name in presets for cfg in [preset(name, device=str(device))]]
    cases += [(f"{name} (default widths)", TrainingConfig(model=name, device=str(device), batch_size=zoo_batch)) for name in sorted(MODELS)]
    rows = []
    for label, cfg in cases:
        speed = {}
        for p in ('fp32', 'bf16'):
            torch.manual_seed(0)
            speed[p] = bare_images_per_second(cfg, create_model(cfg.model, **cfg.model_args), p, steps)
        rows.append(dict(model=label, batch_size=cfg.batch_size, fp32=speed['fp32'], bf16=speed['bf16'], auto=auto,
                         auto_vs_best=speed.get(auto, float('nan')) / max(speed.values())))
        print(f"{label}, batch {cfg.batch_size}: fp32 {speed['fp32']:.0f}, bf16 {speed['bf16']:.0f} images/s; auto runs {auto}", flush=True)
    return rows

def airbench_side_by_side(root, repo, seeds) -> list:
    "airbench94 (from the `airbench` package) and airbench94_muon (from a checkout) on the same data, on this GPU."
    work = Path(tempfile.mkdtemp()); (work / 'cifar10').mkdir()
    for split, is_train in (('train', True), ('test', False)):   # airbench reads cifar10/{train,test}.pt from its working folder
        ds = CIFAR10(root, train=is_train)
        torch.save({'images': ds.images.permute(0, 2, 3, 1).contiguous(), 'labels': ds.labels, 'classes': ds.classes},
                   work / 'cifar10' / f'{split}.pt')
    code = ("import time, torch, airbench; accs = []\n"
            f"for run in range({len(seeds)}):\n"
            "    torch.cuda.synchronize(); t = time.perf_counter(); accs.append(airbench.train94(run=run, verbose=False))\n"
            "    torch.cuda.synchronize(); print('RUN', accs[-1], time.perf_counter() - t, flush=True)\n")
    rows = []
    r = subprocess.run([sys.executable, '-c', code], cwd=work, capture_output=True, text=True)
    if r.returncode: print(f"airbench94 failed: {r.stderr.strip().splitlines()[-1:]}")
    for line in r.stdout.splitlines():
        if line.startswith('RUN'): _, acc, sec = line.split(); rows.append(dict(name='airbench94 (pip airbench)', accuracy=float(acc), wall_seconds=float(sec)))
    if repo:
        t = time.perf_counter()
        r = subprocess.run([sys.executable, str(Path(repo) / 'airbench94_muon.py')], cwd=work, capture_output=True, text=True)
        print(r.stdout[-2000:])
        if r.returncode: print(f"airbench94_muon failed: {r.stderr.strip().splitlines()[-1:]}")
        else: rows.append(dict(name='airbench94_muon (checkout)', output_tail=r.stdout[-400:], wall_seconds=time.perf_counter() - t))
    return rows

def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--data', required=True, help='a cifar-10-batches-py folder, or the folder holding it')
    p.add_argument('--data-label', default='dev copy', help="what the data is, for the tables (e.g. 'dev copy', 'CIFAR-10')")
    p.add_argument('--presets', nargs='*', default=['airbench', 'fast'])
    p.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    p.add_argument('--passes', type=float, default=None, help="passes over the training images, for every preset (default: PASSES, else the preset's steps)")
    p.add_argument('--overhead-steps', type=int, default=5, help='timed steps of the loop-vs-bare comparison (0: skip it)')
    p.add_argument('--precision-batch', type=int, default=64, help="the zoo models' batch in the fp32-vs-bf16 table (0: skip the table)")
    p.add_argument('--precision-steps', type=int, default=3, help='timed steps per entry of that table (after as many untimed ones)')
    p.add_argument('--airbench-repo', help='a checkout of KellerJordan/cifar10-airbench, for airbench94_muon.py (CUDA only)')
    p.add_argument('--device', default='auto')
    p.add_argument('--out', default='results/airbench')
    a = p.parse_args()
    out = Path(a.out); out.mkdir(parents=True, exist_ok=True)
    root = find_cifar10(a.data)
    train_ds, test_ds = CIFAR10(root), CIFAR10(root, train=False)
    device = TrainingConfig(device=a.device).resolved_device()
    hw = hardware(device)
    report = dict(date=date.today().isoformat(), hardware=hw, data=a.data_label, runs=[], overhead=[], precision=[], airbench=[])
    save = lambda: (out / 'results.json').write_text(json.dumps(report, indent=1) + '\n')

    for name in a.presets:
        for seed in a.seeds:
            base = preset(name)
            cfg = run_config(name, seed, a.passes, len(train_ds) - base.val_size, str(device) if a.device != 'auto' else 'auto', out)
            h, m, wall = run_or_read(cfg, a.data)
            n_train = len(train_ds) - cfg.val_size
            report['runs'].append(dict(preset=name, seed=seed, steps=cfg.steps, batch_size=cfg.batch_size,
                                       passes=cfg.steps / steps_per_pass(cfg, n_train), images=cfg.steps * cfg.batch_size,
                                       train_seconds=h['seconds'][-1], wall_seconds=wall, accuracy=m['accuracy'],
                                       accuracy_no_tta=h['eval_accuracies'][-1], tta=cfg.tta,
                                       curve=list(zip(h['steps'], h['seconds'], h['eval_accuracies']))))
            print(f"{name} seed {seed}: {m['accuracy']:.4f} (TTA), {h['eval_accuracies'][-1]:.4f} without, {cfg.steps} steps, "
                  f"{h['seconds'][-1]:.0f} s of training", flush=True)
            save()

    if a.overhead_steps:
        for name in a.presets:
            cfg = preset(name, device=a.device)
            loop = loop_images_per_second(cfg, train_ds, test_ds, a.overhead_steps)
            torch.manual_seed(0)
            x, y = next(iter(TensorLoader(train_ds, cfg.batch_size, seed=0, device=device)))
            bare = bare_images_per_second(cfg, create_model(cfg.model, **cfg.model_args, label_smoothing=cfg.label_smoothing),
                                          cfg.precision, a.overhead_steps, x=x, y=y)
            report['overhead'].append(dict(preset=name, loop=loop, bare=bare, ratio=loop / bare, steps=a.overhead_steps))
            print(f"{name}: loop {loop:.0f} images/s, bare {bare:.0f} images/s ({loop / bare:.2f}x)", flush=True)
            save()

    if a.precision_batch: report['precision'] = precision_table(device, a.presets, a.precision_batch, a.precision_steps); save()
    if device.type == 'cuda':
        spec = importlib.util.find_spec('airbench')   # the package, not this file (whose folder is first on sys.path)
        if spec is None or Path(spec.origin).resolve() == Path(__file__).resolve():
            print('airbench is not installed (pip install airbench): no side-by-side run')
        else: report['airbench'] = airbench_side_by_side(root, a.airbench_repo, a.seeds); save()   # run in a subprocess

    lines = [f"Measured {report['date']} on {hw}; data: {a.data_label} ({len(train_ds):,} training images, "
             f"{len(test_ds):,} test images).", '']
    if report['runs']:
        lines += ['| preset | seeds | steps × batch | passes | training s, per seed | accuracy, TTA (mean ± sd) | without TTA | per seed |',
                  '|---|---|---|---:|---:|---:|---:|---|']
        for name in a.presets:
            rs = [r for r in report['runs'] if r['preset'] == name]
            acc = [r['accuracy'] for r in rs]
            sd = f" ± {statistics.stdev(acc):.2%}" if len(acc) > 1 else ' (one seed)'
            seconds = ', '.join(f"{r['train_seconds']:.0f}" for r in rs)
            lines.append(f"| {name} | {', '.join(str(r['seed']) for r in rs)} | {rs[0]['steps']} × {rs[0]['batch_size']} | "
                         f"{rs[0]['passes']:.1f} | {seconds} | {statistics.mean(acc):.2%}{sd} | "
                         f"{statistics.mean(r['accuracy_no_tta'] for r in rs):.2%} | {', '.join(f'{x:.2%}' for x in acc)} |")
        lines.append('')
    if report['overhead']:
        lines += ['| preset | loop images/s | bare images/s | loop / bare |', '|---|---:|---:|---:|']
        lines += [f"| {o['preset']} | {o['loop']:.0f} | {o['bare']:.0f} | {o['ratio']:.2f} |" for o in report['overhead']] + ['']
    if report['precision']:
        lines += ["Training images/s by precision (forward, backward and step on one batch):", '',
                  '| model | batch | fp32 | bf16 | auto runs | auto / best |', '|---|---:|---:|---:|---|---:|']
        lines += [f"| {r['model']} | {r['batch_size']} | {r['fp32']:.0f} | {r['bf16']:.0f} | {r['auto']} | {r['auto_vs_best']:.2f} |"
                  for r in report['precision']] + ['']
    if report['airbench']:
        lines += ['| airbench | accuracy | seconds |', '|---|---:|---:|']
        lines += [f"| {r['name']} | {r.get('accuracy', float('nan')):.4f} | {r['wall_seconds']:.1f} |" for r in report['airbench']] + ['']
    (out / 'results.md').write_text('\n'.join(lines) + '\n')
    save()
    print('\n'.join(lines))

if __name__ == '__main__': main()
