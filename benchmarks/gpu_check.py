#!/usr/bin/env python3
"""The GPU check: what this project claims about a GPU, measured on one, in one command sized to take about 8 minutes.

    python benchmarks/gpu_check.py --data DIR                 # on a machine with a GPU; DIR: a cifar-10-batches-py folder
    python benchmarks/gpu_check.py --npz PATH                 # or the dev copy's .npz (decoded with its make_cifar10_dev.py)
    python tools/cuda_sim.py --gpu t4 benchmarks/gpu_check.py --dry --data DIR   # the dry mode: tiny sizes, a simulated T4

Prints (and writes to --out, default results/gpu_check/) a markdown table:
1. the machine: GPU, compute capability, memory, torch and CUDA versions, driver;
2. every chapter in test mode on that GPU (`nbdev_test`, the README's test command; skipped if nbdev is missing);
3. the default preset (`airbench`) on the data, for each seed, with `compile` off and on: accuracy (TTA), training
   seconds (the history's, evaluations excluded) and images/s;
4. airbench94 on the same GPU and data, side by side, from the `airbench` package (`pip install airbench`; run from its
   package, never copied here; skipped where it is not installed);
5. kill -9 and resume on CUDA against the uninterrupted run, and the uninterrupted run against itself: the largest
   weight difference of each, so that a resume difference can be told from the GPU's own run-to-run nondeterminism;
6. the T4's path on this GPU: the default preset with `precision='fp16'` (fp16 autocast and a gradient scaler).
Each section that fails is a row saying why, and the exit status is 1; a section skipped for a missing package is not a
failure. Say beside any figure which data it ran on: the dev copy is not the official test set.

On this project's lent GPU machine (the `device` tool), the dev copy goes with the repository in an ignored folder:
    mkdir -p .devdata && cp ../shared/data/cifar10-train-jpeg.npz ../shared/data/make_cifar10_dev.py .devdata/
    run(command="python3 benchmarks/gpu_check.py --npz .devdata/cifar10-train-jpeg.npz --out $OUT", carry=[".devdata"])
(carry wheels of nbdev's toolchain in `.whl/` too for section 2; see the device tool's README).
"""
import argparse, importlib.util, json, os, shutil, signal, statistics, subprocess, sys, tempfile, time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))          # cifar_learn from this checkout, also where it is not installed
ENV = {**os.environ, 'PYTHONPATH': os.pathsep.join(p for p in [str(ROOT), os.environ.get('PYTHONPATH', '')] if p)}   # for subprocesses

import torch

from cifar_learn.config import preset
from cifar_learn.data import find_cifar10
from cifar_learn.run import run_training
from cifar_learn.checkpoints import compare_states, load_checkpoint

SMALL = {'batch_size': 64, 'model_args': {'widths': [8, 16, 16], 'bn_eps': 1e-12, 'whiten_bias_epochs': 1}}
SIZES = {   # what each section runs: full size (meant to take about 8 minutes on one GPU) and the dry mode's (a minute on a CPU)
    'full': dict(seeds=[0, 1, 2], steps=None, kill_steps=200, kill_after=60, chapters=True, overrides={}),   # not yet timed on a GPU
    'dry': dict(seeds=[0], steps=3, kill_steps=12, kill_after=4, chapters=False, overrides=SMALL),
}


def machine() -> dict:
    "What this GPU and its software are."
    d = torch.device('cuda')
    p = torch.cuda.get_device_properties(d)
    smi = shutil.which('nvidia-smi')
    driver = subprocess.run([smi, '--query-gpu=driver_version', '--format=csv,noheader'], capture_output=True,
                            text=True).stdout.strip() if smi else 'unknown (no nvidia-smi)'
    return dict(gpu=p.name, capability='.'.join(map(str, torch.cuda.get_device_capability(d))), memory_gib=round(p.total_memory / 2**30, 2),
                torch=torch.__version__, cuda=torch.version.cuda, driver=driver, simulated=bool(os.environ.get('CUDA_SIM')),
                date=date.today().isoformat())


def chapters(out:Path, timeout:int) -> dict:
    "Every notebook in test mode, on this GPU: the README's test command."
    if importlib.util.find_spec('nbdev') is None: return dict(skipped='nbdev is not installed here')
    t = time.perf_counter()
    p = subprocess.run(['nbdev_test', '--do_print', '--timing'], cwd=ROOT, capture_output=True, text=True, env=ENV, timeout=timeout)
    (out / 'nbdev_test.log').write_text(p.stdout + p.stderr)
    failed = [l.strip() for l in (p.stdout + p.stderr).split('Failed On The Following Notebooks:')[-1].splitlines()
              if l.strip().endswith('.ipynb')] if p.returncode else []
    return dict(ok=p.returncode == 0, seconds=round(time.perf_counter() - t), failed=failed)


def default_preset(data, out:Path, seeds, steps, compile:bool, **overrides) -> list:
    "The `airbench` preset, once per seed: accuracy, training seconds, images/s."
    rows = []
    for seed in seeds:
        cfg = preset('airbench', seed=seed, device='cuda', compile=compile, out_dir=str(out / f"airbench-c{int(compile)}-{seed}"),
                     **overrides, **({'steps': steps, 'eval_every': steps} if steps else {}))
        m = run_training(cfg, data, quiet=True)
        h = json.loads((Path(cfg.out_dir) / 'history.json').read_text())
        rows.append(dict(seed=seed, accuracy=m['accuracy'], train_seconds=h['seconds'][-1],
                         images_per_second=cfg.steps * cfg.batch_size / h['seconds'][-1], steps=cfg.steps))
    return rows


def kill_and_resume(data, out:Path, steps:int, kill_after:int, overrides:dict) -> dict:
    "SIGKILL a CUDA run after its checkpoint of step `kill_after`, resume it; compare with the uninterrupted run, and that with a twin."
    args = ['--data', data, '--steps', steps, '--eval-every', steps, '--checkpoint-every', max(1, kill_after // 2), '--quiet', '--device', 'cuda']
    for k, v in overrides.items(): args += [f"--{k.replace('_', '-')}", json.dumps(v) if isinstance(v, dict) else v]
    cli = lambda folder, *more: [sys.executable, '-c', 'from cifar_learn.run import main; main()', *map(str, args), '--out', folder, *more]
    for name in ('whole', 'twin'):
        p = subprocess.run(cli(out / name), capture_output=True, text=True, env=ENV)
        if p.returncode: raise RuntimeError(f"the {name} run failed: {p.stderr.strip().splitlines()[-1:]}")
    p = subprocess.Popen(cli(out / 'killed'), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV, start_new_session=True)
    saved, latest = 0, out / 'killed' / 'checkpoints' / 'latest.pt'
    while p.poll() is None and saved < kill_after:
        try: saved = load_checkpoint(latest).step
        except (FileNotFoundError, RuntimeError): time.sleep(0.01)
    os.killpg(p.pid, signal.SIGKILL); p.wait()
    if p.returncode != -signal.SIGKILL: raise RuntimeError(f"the run ended with status {p.returncode} before the kill")
    if not kill_after <= saved < steps: raise RuntimeError(f"the kill came at step {saved} of {steps}: it did not interrupt training")
    r = subprocess.run(cli(out / 'killed', '--resume'), capture_output=True, text=True, env=ENV)
    if r.returncode: raise RuntimeError(f"the resume failed: {r.stderr.strip().splitlines()[-1:]}")
    states = {n: load_checkpoint(out / n / 'checkpoints' / 'latest.pt').state for n in ('whole', 'twin', 'killed')}
    diff = lambda a, b: max((states[a]['model'][k].float() - states[b]['model'][k].float()).abs().max().item() for k in states[a]['model'])
    return dict(killed_at=saved, steps=steps, resume_vs_whole=diff('killed', 'whole'), twin_vs_whole=diff('twin', 'whole'),
                entries_differing=len(compare_states(states['killed'], states['whole'])))


def side_by_side(root, seeds) -> list:
    "airbench94 from its package, on this GPU and data (benchmarks/airbench.py runs it)."
    spec = importlib.util.find_spec('airbench')   # the package, not benchmarks/airbench.py (this folder is first on sys.path)
    if spec is None or Path(spec.origin).parent == Path(__file__).parent:
        return [dict(skipped='airbench is not installed here (pip install airbench)')]
    spec = importlib.util.spec_from_file_location('airbench_benchmark', ROOT / 'benchmarks' / 'airbench.py')   # not the package
    bench = importlib.util.module_from_spec(spec); spec.loader.exec_module(bench)
    return bench.airbench_side_by_side(root, None, seeds)                # airbench94 runs in a subprocess, from its package


def table(report:dict) -> str:
    "The report as markdown."
    m = report['machine']
    lines = [f"## GPU check: {m['gpu']}{' (simulated, tools/cuda_sim.py)' if m['simulated'] else ''}, {m['date']}", '',
             f"compute capability {m['capability']}, {m['memory_gib']} GiB; torch {m['torch']}, CUDA {m['cuda']}, driver {m['driver']}; "
             f"data: {report['data']}{' (dry mode: tiny sizes, numbers meaningless)' if report['dry'] else ''}", '',
             '| check | result |', '|---|---|']
    def row(name, value): lines.append(f"| {name} | {value} |")
    for name, r in report['sections'].items():
        if 'error' in r: row(name, f"FAILED: {r['error']}"); continue
        if 'skipped' in r: row(name, f"skipped: {r['skipped']}"); continue
        if name == 'chapters': row(name, f"{'all pass' if r['ok'] else 'FAILED: ' + ', '.join(r['failed'])} in {r['seconds']} s")
        elif name.startswith('airbench preset') or name.startswith('fp16'):
            acc = [x['accuracy'] for x in r['runs']]
            sd = f" ± {statistics.stdev(acc):.2%}" if len(acc) > 1 else ''
            row(name, f"{statistics.mean(acc):.2%}{sd} over {len(acc)} seed(s) ({', '.join(f'{a:.2%}' for a in acc)}); "
                      f"{statistics.mean(x['train_seconds'] for x in r['runs']):.1f} s of training, "
                      f"{statistics.mean(x['images_per_second'] for x in r['runs']):,.0f} images/s; {r['runs'][0]['steps']} steps")
        elif name == 'kill -9 and resume':
            row(name, f"killed after step {r['killed_at']} of {r['steps']}, resumed: largest weight difference {r['resume_vs_whole']:.3g} "
                      f"(two uninterrupted runs: {r['twin_vs_whole']:.3g}); {r['entries_differing']} checkpoint entries differ")
        elif name == 'airbench94 side by side':
            row(name, '; '.join(f"{x['name']}: {x.get('accuracy', float('nan')):.2%} in {x['wall_seconds']:.1f} s" for x in r['runs']) or 'no run')
    return '\n'.join(lines) + '\n'


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument('--data', help='a cifar-10-batches-py folder (or its parent)')
    src.add_argument('--npz', help="the dev copy's cifar10-train-jpeg.npz, with make_cifar10_dev.py beside it")
    p.add_argument('--data-label', default='dev copy', help="what the data is, for the table")
    p.add_argument('--dry', action='store_true', help='tiny sizes, to prove the script on a CPU under tools/cuda_sim.py')
    p.add_argument('--out', default='results/gpu_check')
    p.add_argument('--chapters-timeout', type=int, default=240, help='seconds the chapters may take')
    a = p.parse_args()
    if not torch.cuda.is_available(): sys.exit('gpu_check: no CUDA GPU here (on a CPU, run the dry mode under tools/cuda_sim.py)')
    out = Path(a.out); out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix='gpu-check-'))
    if a.npz:
        make = Path(a.npz).parent / 'make_cifar10_dev.py'
        subprocess.run([sys.executable, make, work / 'data'], check=True, capture_output=True)
        a.data = str(work / 'data')
    root = find_cifar10(a.data)
    size = SIZES['dry' if a.dry else 'full']
    report = dict(machine=machine(), data=a.data_label, dry=a.dry, sections={})
    sections = [('chapters', lambda: chapters(out, a.chapters_timeout) if size['chapters'] else dict(skipped='not in the dry mode (CI runs nbdev_test)')),
                ('airbench preset, compile off', lambda: dict(runs=default_preset(root, work, size['seeds'], size['steps'], False, **size['overrides']))),
                ('airbench preset, compile on', lambda: dict(runs=default_preset(root, work, size['seeds'], size['steps'], True, **size['overrides']))),
                ('airbench94 side by side', lambda: dict(runs=side_by_side(root, size['seeds']))),
                ('kill -9 and resume', lambda: kill_and_resume(root, work / 'kill', size['kill_steps'], size['kill_after'], size['overrides'])),
                ('fp16 + GradScaler (the T4 path)', lambda: dict(runs=default_preset(root, work / 'fp16', size['seeds'][:1], size['steps'], False,
                                                                                     precision='fp16', **size['overrides'])))]
    failed = False
    for name, run in sections:
        t = time.perf_counter()
        try: r = run()
        except Exception as e:
            if report['machine']['simulated'] and 'cuda_sim:' in str(e) and 'not simulated' in str(e):
                r = dict(skipped=f"not simulated: {str(e).split('cuda_sim: ')[1].split(' is not simulated')[0]}")
            else: r, failed = dict(error=f"{type(e).__name__}: {' '.join(str(e).split())[:300]}"), True
        if isinstance(r.get('runs'), list) and r['runs'] and 'skipped' in r['runs'][0]: r = r['runs'][0]
        report['sections'][name] = r
        print(f"{name}: {time.perf_counter() - t:.0f} s", file=sys.stderr, flush=True)
        (out / 'gpu_check.json').write_text(json.dumps(report, indent=1) + '\n')
    md = table(report)
    (out / 'gpu_check.md').write_text(md)
    print(md)
    shutil.rmtree(work, ignore_errors=True)
    return 1 if failed else 0


if __name__ == '__main__': sys.exit(main())
