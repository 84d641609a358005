#!/usr/bin/env python3
"""Run every chapter as a learner on a fresh Colab or Kaggle session does: top to bottom, unedited.

    python tools/colab_sim.py                      # test mode (IN_TEST=1), every notebook of nbs/
    python tools/colab_sim.py nbs/02_model.ipynb   # some of them
    python tools/colab_sim.py --full --data DIR --write   # full size on the CIFAR-10 folder DIR; keep the outputs
    python tools/colab_sim.py --gpu t4 nbs/04_training.ipynb   # as on a Colab T4, simulated (tools/cuda_sim.py)
    python tools/colab_sim.py --jobs 2             # two notebooks at a time (each in its own kernel), after the first

What it builds, in a temporary folder:
- a fresh virtualenv holding only what those platforms have preinstalled that matters here (`--platform`:
  torch, torchvision, numpy, matplotlib, pillow, tqdm, ipykernel, ipywidgets, nbclient and a current fastcore 2.x; no
  nbdev, no cifar_learn);
- a wheelhouse with the current nbdev, its dependencies and setuptools (to build cifar_learn from its source);
- a local stand-in for the GitHub repository: a git repository of this working tree, tagged with the release the
  setup cells pin (tools/setup_cell.py), which git is told to use instead of github.com (`url.<...>.insteadOf`);
- a copy of nbs/ (with DIR linked as its `data/cifar-10-batches-py`, where the notebooks look at full size).
First the setup cell runs once with that repository gone: it must stop with one line (no traceback) naming what
failed, and nothing after it may run. Then each notebook runs in a Jupyter kernel of that virtualenv (nbclient, as
Jupyter itself runs one), with pip pointed at the wheelhouse only: its setup cell must install cifar_learn from the
repository at the pinned release (checked in pip's record of where it came from), nbdev from the wheelhouse if the
chapter uses it, and must leave torch, torchvision and fastcore as they were (checked after the run). With `--gpu`, the kernel (and
every process it starts) runs on a simulated GPU of that kind (tools/cuda_sim.py), as a Colab or Kaggle GPU session
would: every model and batch the notebooks put "on CUDA" is checked as CUDA checks it. Nothing in the repository
changes unless `--write` copies the executed notebooks back to nbs/ (run `nbdev_clean` after).
Prints one line per notebook and 'N passed, N failed'; exits 1 if any failed.
"""
import argparse, json, os, shutil, signal, subprocess, sys, tempfile, time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / 'tools'))
import cuda_sim   # its command-line part only: torch is not imported here
import setup_cell
PLATFORM = ['torch', 'torchvision', 'numpy', 'matplotlib', 'pillow', 'tqdm', 'ipykernel', 'ipywidgets', 'nbclient', 'fastcore>=2']
KEPT = ['torch', 'torchvision', 'fastcore']   # what the setup cell must not change (fastcore: not downgrade)

RUNNER = '''
import html, sys, nbformat
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient
path = sys.argv[1]
nb = nbformat.read(path, as_version=4)
# The kernel talks over Unix sockets named after `sys.argv[3]`, not TCP ports: two kernels starting at once can both be
# handed the same "free" port and one dies with "Address already in use" (seen on CI).
km = KernelManager(kernel_name='python3', transport='ipc', ip=sys.argv[3])
try: NotebookClient(nb, km=km, timeout=None, resources={'metadata': {'path': sys.argv[2]}}).execute()
finally:
    # A saved progress widget shows only its first text ("0/2000"); its final state lives in the notebook's widget
    # metadata, which nbdev_clean drops. Write that final state (tqdm's own left|bar|right text) as the output.
    state = nb.metadata.get('widgets', {}).get('application/vnd.jupyter.widget-state+json', {}).get('state', {})
    def text(ref): return html.unescape(state.get(ref[len('IPY_MODEL_'):], {}).get('state', {}).get('value', '')).replace('\u2007', ' ')
    for c in nb.cells:
        for o in c.get('outputs', []):
            view = o.get('data', {}).get('application/vnd.jupyter.widget-view+json')
            kids = state.get(view['model_id'], {}).get('state', {}).get('children', []) if view else []
            if len(kids) != 3: continue
            bar = state.get(kids[1][len('IPY_MODEL_'):], {}).get('state', {})
            filled = round(10 * bar.get('value', 0) / bar['max']) if bar.get('max') else 0
            o['data'] = {'text/plain': f"{text(kids[0])}|{'█' * filled}{' ' * (10 - filled)}| {text(kids[2])}"}
    nbformat.write(nb, path)
'''

FAILED_INSTALL = '''
import json, sys, nbformat
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(open(sys.argv[1]).read()), nbformat.v4.new_code_cell("print('ran on')")])
km = KernelManager(kernel_name='python3', transport='ipc', ip=sys.argv[2])   # Unix sockets, as in RUNNER
try: NotebookClient(nb, km=km, timeout=600).execute(); raised = False
except CellExecutionError: raised = True
print(json.dumps({'raised': raised, 'outputs': [c.get('outputs', []) for c in nb.cells]}))
'''

def sh(*cmd, **kw):
    "Run `cmd` (away from the repository, whose egg-info would count as installed), failing loudly with its output."
    r = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, cwd=tempfile.gettempdir(), **kw)
    if r.returncode: sys.exit(f"{' '.join(map(str, cmd))} failed (exit {r.returncode}):\n{r.stdout[-3000:]}{r.stderr[-3000:]}")
    return r.stdout

def versions(py) -> dict:
    "The installed versions of `KEPT` (and nbdev, cifar_learn) in the environment of the interpreter `py`."
    code = ("import json, importlib.metadata as m\nout = {}\nfor p in %r:\n    try: out[p] = m.version(p)\n"
            "    except m.PackageNotFoundError: out[p] = None\nprint(json.dumps(out))") % (KEPT + ['nbdev', 'cifar_learn'],)
    return json.loads(sh(py, '-c', code))

def installed_from(py) -> dict:
    "pip's record of where cifar_learn came from in the environment of `py` (PEP 610's direct_url.json), or {}."
    code = ("import importlib.metadata as m\ntry: print(m.distribution('cifar_learn').read_text('direct_url.json') or '{}')\n"
            "except m.PackageNotFoundError: print('{}')")
    return json.loads(sh(py, '-c', code))

def repository(tmp, ref) -> Path:
    "A git repository standing in for GitHub's: this working tree committed and tagged `ref` (a commit: this one's history)."
    if not ref.startswith('v'): return ROOT   # a pinned commit must be one of this repository's
    repo = tmp / 'repository'
    files = sh('git', '-C', ROOT, 'ls-files', '-z', '--cached', '--others', '--exclude-standard').split('\0')
    for f in filter(None, files):
        if (ROOT / f).is_file(): (repo / f).parent.mkdir(parents=True, exist_ok=True); shutil.copy2(ROOT / f, repo / f)
    git = ['git', '-C', repo, '-c', 'user.name=colab_sim', '-c', 'user.email=colab_sim@localhost']
    sh('git', 'init', '-q', repo); sh(*git, 'add', '-A'); sh(*git, 'commit', '-q', '-m', 'the working tree'); sh(*git, 'tag', ref)
    return repo

def git_redirect(env, url, to) -> dict:
    "`env` with git told to fetch `url` from `to` instead (GIT_CONFIG_* variables: no file is written)."
    env = {k: v for k, v in env.items() if not k.startswith('GIT_CONFIG_')}
    return {**env, 'GIT_CONFIG_COUNT': '1', 'GIT_CONFIG_KEY_0': f'url.{Path(to).as_uri()}.insteadOf', 'GIT_CONFIG_VALUE_0': url}

def failed_install_problems(py, cell, env, tmp) -> list:
    "Run the setup `cell` where its repository cannot be reached: it must stop with one line, and nothing after it run."
    (tmp / 'setup.py').write_text(cell); (tmp / 'failed_install.py').write_text(FAILED_INSTALL)
    r = json.loads(sh(py, tmp / 'failed_install.py', tmp / 'setup.py', tmp / 'kernels' / 'failed-install', env=env))
    setup, after = r['outputs']
    errors = [o for o in setup if o.get('output_type') == 'error']
    tb = errors[0].get('traceback', []) if errors else []
    if not r['raised'] or len(errors) != 1 or len(tb) != 1 or not tb[0].startswith('SetupError: pip could not install git+'):
        return [f'a failed install did not stop the setup cell with one line: {json.dumps(setup)[:1500]}']
    if 'not appear to be a git repository' not in tb[0]: return [f"a failed install's line does not say why (git's reason): {tb[0]}"]
    if after: return [f'a failed setup cell did not stop the notebook: the next cell ran ({after})']
    print(f'a failed install stops the setup cell with: {tb[0]}', flush=True)
    return []

def batches_folder(data) -> Path:
    "The `cifar-10-batches-py` folder given as itself or as its parent."
    data = Path(data).expanduser().resolve()
    folder = data if data.name == 'cifar-10-batches-py' else data / 'cifar-10-batches-py'
    if not (folder / 'data_batch_1').is_file(): sys.exit(f'--data {data}: no cifar-10-batches-py folder with data_batch_1 there')
    return folder

def setup_output(notebook) -> str:
    "The line of the executed `notebook` that says which device it trains on (its setup cell prints it)."
    for cell in json.loads(Path(notebook).read_text())['cells']:
        for o in cell.get('outputs', []):
            text = ''.join(o.get('text', '')) + ''.join(o.get('data', {}).get('text/plain', ''))
            if 'training device:' in text: return next(l for l in text.splitlines() if 'training device:' in l)
    return ''

def on_gpu(notebook, name:str) -> bool:
    "Whether the executed `notebook`'s setup cell printed a CUDA training device called `name`."
    return setup_output(notebook).startswith(f'training device: cuda {name}')

def older(a, b) -> bool:
    "Is version string `a` older than `b`? (numeric parts only, enough for fastcore)"
    num = lambda v: tuple(int(''.join(ch for ch in p if ch.isdigit()) or 0) for p in v.split('+')[0].split('.'))
    return num(a) < num(b)

def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('notebooks', nargs='*', help='notebooks to run (default: every nbs/*.ipynb)')
    p.add_argument('--full', action='store_true', help='full size: no IN_TEST (needs --data, since nothing is downloaded)')
    p.add_argument('--data', help='a CIFAR-10 folder (cifar-10-batches-py or its parent), linked where the notebooks look')
    p.add_argument('--write', action='store_true', help='copy the executed notebooks back into nbs/')
    p.add_argument('--venv', help='create this virtualenv and keep it (a later run returns it to its fresh state) instead of a throwaway one')
    p.add_argument('--gpu', choices=sorted(cuda_sim.GPUS), help='run the kernels on this simulated GPU (tools/cuda_sim.py), as on Colab\'s T4')
    p.add_argument('--platform', nargs='+', default=PLATFORM, help='what the fresh virtualenv is given before the notebooks run')
    p.add_argument('--jobs', type=int, default=1, help='notebooks run at once, after the first (which installs the package)')
    a = p.parse_args()
    if a.full and not a.data: p.error('--full needs --data: the simulation has no network to download CIFAR-10')
    if a.jobs < 1: p.error(f'--jobs {a.jobs}: must be at least 1')
    data = batches_folder(a.data) if a.data else None
    nbs = [Path(n).resolve() for n in a.notebooks] or sorted((ROOT / 'nbs').glob('*.ipynb'))
    if missing := [str(n) for n in nbs if not n.is_file()]: p.error(f"no such notebook: {', '.join(missing)}")

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))   # so that `finally` removes the temporary folder
    tmp = Path(tempfile.mkdtemp(prefix='colab-sim-'))
    (tmp / 'kernels').mkdir()   # the kernels' Unix sockets (RUNNER)
    try:
        venv = Path(a.venv) if a.venv else tmp / 'venv'
        py = venv / 'bin' / 'python'
        t0 = time.perf_counter()
        platform = venv / 'colab-sim-platform.txt'   # `pip freeze` of the fresh platform, to return a reused venv to it
        if not platform.exists():
            if venv.exists(): sys.exit(f'--venv {venv} exists but was not made by this script: give a new folder')
            sh(sys.executable, '-m', 'venv', venv)
            sh(py, '-m', 'pip', 'install', '-q', '--upgrade', 'pip')
            sh(py, '-m', 'pip', 'install', '-q', *a.platform)
            platform.write_text(sh(py, '-m', 'pip', 'freeze', '--exclude-editable'))
        else:                                         # undo what an earlier run's setup cells installed
            name = lambda line: line.split('==')[0].split(' @ ')[0].strip().lower().replace('_', '-')
            base = {name(l) for l in platform.read_text().splitlines() if l.strip()}
            extra = [n for n in map(name, sh(py, '-m', 'pip', 'freeze').splitlines()) if n and n not in base]
            if extra: sh(py, '-m', 'pip', 'uninstall', '-q', '-y', *extra)
            sh(py, '-m', 'pip', 'install', '-q', '-r', platform)
        before = versions(py)
        if before['nbdev'] or before['cifar_learn']: sys.exit(f'the platform already holds nbdev or cifar_learn: {before}')
        wheels = tmp / 'wheelhouse'
        sh(py, '-m', 'pip', 'download', '-q', '-d', wheels, 'nbdev', 'setuptools>=64')   # setuptools: cifar_learn's build backend
        ref, pypi = setup_cell.pinned()
        if pypi: sys.exit(f'the setup cells install cifar_learn=={ref[1:]} from PyPI, which this simulation cannot reach')
        url, repo = setup_cell.repository_url(), repository(tmp, ref)
        sim = f'; simulated GPU: {a.gpu}' if a.gpu else ''
        print(f'platform {before}{sim}; wheelhouse of {len(list(wheels.iterdir()))} files; {time.perf_counter() - t0:.0f} s', flush=True)

        work = tmp / 'nbs'
        shutil.copytree(ROOT / 'nbs', work, ignore=shutil.ignore_patterns('data', 'runs', '_proc', '.ipynb_checkpoints'))
        if data: (work / 'data').mkdir(); (work / 'data' / 'cifar-10-batches-py').symlink_to(data)
        env = {k: v for k, v in os.environ.items() if k not in ('VIRTUAL_ENV', 'PYTHONPATH', 'IN_TEST') and not k.startswith('PIP_')}
        env.update(PATH=f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}", PIP_NO_INDEX='1', PIP_FIND_LINKS=str(wheels),
                   PIP_DISABLE_PIP_VERSION_CHECK='1', **({} if a.full else {'IN_TEST': '1'}))
        if a.gpu: env = cuda_sim.environment(a.gpu, env=env)   # CUDA_SIM, and its loader first on PYTHONPATH
        nbdev = {nb: setup_cell.needs_nbdev(setup_cell.code_cells(nb)) for nb in nbs}   # which setup cells install nbdev
        first = next((nb for nb in nbs if nbdev[nb]), nbs[0])   # it installs what the others need: run it alone, first
        nbs = [first] + [nb for nb in nbs if nb != first]
        setup = next((s for s in setup_cell.code_cells(first) if setup_cell.is_setup(s)), None)
        problems = ([f'{first.name}: no setup cell (tools/setup_cell.py writes it)'] if setup is None else
                    failed_install_problems(py, setup, git_redirect(env, url, tmp / 'no-repository'), tmp))
        if versions(py)['cifar_learn']: problems.append('a failed setup cell left cifar_learn installed')
        env = git_redirect(env, url, repo)
        (tmp / 'runner.py').write_text(RUNNER)
        failed = []   # notebooks that failed; `problems`: what else went wrong with the environment
        def run(nb):
            copy = work / nb.name
            if nb.parent != ROOT / 'nbs': shutil.copy(nb, copy)   # a notebook from elsewhere runs beside the chapters
            t = time.perf_counter()
            r = subprocess.run([py, tmp / 'runner.py', copy, work, tmp / 'kernels' / nb.stem], cwd=work, env=env, capture_output=True, text=True)
            ok = r.returncode == 0
            if ok and a.gpu and not on_gpu(copy, cuda_sim.GPUS[a.gpu]['name']):   # a GPU run must have seen the GPU
                ok, r = False, subprocess.CompletedProcess(r.args, 1, '', f"its setup cell did not report the simulated {a.gpu}: {setup_output(copy)!r}")
            print(f"{'ok  ' if ok else 'FAIL'} {nb.name} in {time.perf_counter() - t:.0f} s", flush=True)
            if not ok: failed.append(nb.name); print((r.stderr or r.stdout)[-4000:], flush=True)
            if a.write and ok and nb.parent == ROOT / 'nbs': shutil.copy(copy, ROOT / 'nbs' / nb.name)
        # The first notebook runs alone: its setup cell installs cifar_learn and nbdev into the shared virtualenv, which
        # the others then find there (two pip installs into one environment at once would race).
        run(nbs[0])
        with ThreadPoolExecutor(a.jobs) as pool: list(pool.map(run, nbs[1:]))

        after = versions(py)
        for k in ('torch', 'torchvision'):
            if after[k] != before[k]: problems.append(f'{k} changed: {before[k]} -> {after[k]}')
        if before['fastcore'] and older(after['fastcore'], before['fastcore']):
            problems.append(f"fastcore downgraded: {before['fastcore']} -> {after['fastcore']}")
        if not after['cifar_learn'] or bool(after['nbdev']) != any(nbdev.values()):
            problems.append(f"the setup cells did not install cifar_learn{', nbdev' if any(nbdev.values()) else ' (without nbdev)'}: {after}")
        source = installed_from(py)
        if source.get('url') != url or source.get('vcs_info', {}).get('requested_revision') != ref:
            problems.append(f'cifar_learn was not installed from {url} at {ref}: {source}')
        print(f'after the run: {after}')
        for f in problems: print('FAIL', f)
        print(f'{len(nbs) - len(failed)} passed, {len(failed) + len(problems)} failed')
        return 1 if failed or problems else 0
    finally: shutil.rmtree(tmp, ignore_errors=True)

if __name__ == '__main__': sys.exit(main())
