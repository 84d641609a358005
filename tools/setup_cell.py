#!/usr/bin/env python3
"""The setup cell every notebook opens with, and the release it pins.

A learner opens a chapter from its Colab or Kaggle badge and runs it top to bottom. The badge opens the notebook
of one release (`blob/<ref>/nbs/...`), and the setup cell installs the library of that same release
(`git+<git_url>.git@<ref>`), never a name from the package index that this project may not own. `<ref>` is a
version tag (`v0.0.1`) or a commit. Once the project owns `cifar_learn` on PyPI, `--pypi` makes the cells install
`cifar_learn==<version>` from there instead.

    python tools/setup_cell.py --check              # exit 1, naming the notebook, if a cell or badge is off
    python tools/setup_cell.py --ref v0.0.2         # rewrite every setup cell and badge for release v0.0.2
    python tools/setup_cell.py --ref v0.0.2 --pypi  # the same, installing cifar_learn==0.0.2 from PyPI
    python tools/setup_cell.py --check --ref "$TAG" # what the release workflow runs: the tag is the pinned one

Standard library only (the release workflow runs it before installing anything).
"""
import argparse, configparser, json, re, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SETUP = '''#@title Setup (Colab, Kaggle): installs what this chapter needs {{ display-mode: "form" }}
# Installs only what is missing: cifar_learn at this chapter's release{nbdev_why}; torch and
# torchvision stay exactly as they are, fastcore at least as new. A failed install stops here, with one line.
import importlib.util, importlib.metadata as meta, subprocess, sys, tempfile
NEEDS = {{'cifar_learn': '{spec}'{nbdev}}}
class SetupError(Exception):
    def _render_traceback_(self): return [f'SetupError: {{self}}']   # Jupyter shows this line, not a traceback
if missing := [spec for module, spec in NEEDS.items() if importlib.util.find_spec(module) is None]:
    keep = [f'{{p}}{{op}}{{meta.version(p)}}' for p, op in [('torch', '=='), ('torchvision', '=='), ('fastcore', '>=')]
            if importlib.util.find_spec(p)]
    with tempfile.NamedTemporaryFile('w', suffix='.txt') as f:
        f.write('\\n'.join(keep)); f.flush()
        pip = subprocess.run([sys.executable, '-m', 'pip', 'install', '-q', '--no-color', '-c', f.name, *missing],
                             capture_output=True, text=True)
    if pip.returncode:   # pip's own reason: git's or pip's error line
        said = [l.strip() for l in pip.stderr.splitlines() if l.strip()] or ['no message']
        why = next((l for l in said if l.startswith(('fatal:', 'error: ')) and 'subprocess' not in l), said[-1])
        raise SetupError(f"pip could not install {{' '.join(missing)}}: {{why}} (Kaggle: is Internet on in Settings?)")
    importlib.invalidate_caches()
import torch
from cifar_learn.devices import get_device
device = get_device()
print('training device:', device, torch.cuda.get_device_name(device) if device.type == 'cuda' else '')'''

REF_RE = r'v\d+(?:\.\d+)*|[0-9a-f]{40}'   # a version tag or a full commit hash: a pin, not a branch

def settings():
    "settings.ini's [DEFAULT] section."
    ini = configparser.ConfigParser(); ini.read(ROOT / 'settings.ini')
    return ini['DEFAULT']

def spec_for(ref, pypi=False) -> str:
    "What the setup cell gives pip for cifar_learn: the repository at `ref`, or (`pypi`) the release `ref` names on PyPI."
    if not re.fullmatch(REF_RE, ref): raise ValueError(f'--ref {ref!r}: not a version tag (v0.0.1) nor a 40-digit commit')
    if pypi:
        if not ref.startswith('v'): raise ValueError(f'--pypi needs a version tag, not the commit {ref}')
        return f'cifar_learn=={ref[1:]}'
    return f"git+{repository_url()}@{ref}"

def repository_url() -> str: return f"{settings()['git_url']}.git"   # what the setup cells clone

def code_cells(nb) -> list:
    "The sources of the code cells of notebook file `nb`."
    return [''.join(c['source']) for c in json.loads(Path(nb).read_text())['cells'] if c['cell_type'] == 'code']

def needs_nbdev(code) -> bool:
    "Does a notebook with these code cells (sources) use nbdev (`show_doc`) outside its setup cell?"
    return any(re.search(r'^\s*(from|import) nbdev', s, re.M) for s in code if not is_setup(s))

def setup_cell(ref, pypi=False, nbdev=True, hide=False) -> str:
    "The setup cell's source for release `ref` (`nbdev`: the chapter uses it; `hide`: not shown by the docs, as in index)."
    s = SETUP.format(spec=spec_for(ref, pypi), nbdev=", 'nbdev': 'nbdev'" if nbdev else '',
                     nbdev_why=' and nbdev (for `show_doc`)' if nbdev else '')
    return ('#| hide\n' if hide else '') + s

def is_setup(source) -> bool: return re.sub(r'^#\| hide\n', '', source).startswith('#@title Setup')

def badge_re(name): return re.compile(r'(github/[^/\s)]+/[^/\s)]+/blob/|src=https://github\.com/[^/\s)]+/[^/\s)]+/blob/)([^/\s)]+)(/nbs/'
                                      + re.escape(name) + r')')

def notebooks(): return sorted((ROOT / 'nbs').glob('*.ipynb'))

def expected(nb, cells, ref, pypi):
    "The setup cell notebook `nb` should have, given its code `cells`."
    return setup_cell(ref, pypi, nbdev=needs_nbdev(cells), hide=nb.name == 'index.ipynb')

def pinned():
    "The release chapter 00's setup cell pins, and whether from PyPI: `(ref, pypi)`."
    s = next((s for s in code_cells(ROOT / 'nbs' / '00_data.ipynb') if is_setup(s)), '')
    m = re.search(r"'cifar_learn': '(?:git\+\S+?\.git@(" + REF_RE + r")|cifar_learn==(\d\S*))'", s)
    if not m: raise SystemExit('nbs/00_data.ipynb: no setup cell pinning a release of cifar_learn')
    return (m.group(1), False) if m.group(1) else (f'v{m.group(2)}', True)

def problems(ref=None, pypi=False) -> list:
    "Notebooks whose setup cell or badges do not pin `ref` (default: what chapter 00 pins) as every other one does."
    if ref is None: ref, pypi = pinned()
    out = []
    for nb in notebooks():
        cells = json.loads(nb.read_text())['cells']
        code = [''.join(c['source']) for c in cells if c['cell_type'] == 'code']
        setups = [s for s in code if is_setup(s)]
        if setups != [expected(nb, code, ref, pypi)]:
            out.append(f'nbs/{nb.name}: {len(setups)} setup cells, not one pinning {ref} as tools/setup_cell.py writes it'
                       if len(setups) != 1 else f'nbs/{nb.name}: its setup cell is not the one tools/setup_cell.py writes for {ref}')
        text = ''.join(''.join(c['source']) for c in cells if c['cell_type'] == 'markdown')
        refs = {m.group(2) for m in badge_re(nb.name).finditer(text)}
        if nb.name != 'index.ipynb' and refs != {ref}:
            out.append(f'nbs/{nb.name}: its Colab and Kaggle badges open {sorted(refs) or "nothing"}, not {ref}')
    return out

def rewrite(ref, pypi):
    "Make every notebook's setup cell and badges pin `ref`; returns the notebooks changed."
    changed = []
    for nb in notebooks():
        d = json.loads(nb.read_text())
        code = [''.join(c['source']) for c in d['cells'] if c['cell_type'] == 'code']
        want = expected(nb, code, ref, pypi)
        for c in d['cells']:
            s = ''.join(c['source'])
            new = want if c['cell_type'] == 'code' and is_setup(s) else badge_re(nb.name).sub(lambda m: m.group(1) + ref + m.group(3), s)
            if new != s:
                lines = new.split('\n'); c['source'] = [l + '\n' for l in lines[:-1]] + [lines[-1]]   # its output stays
                changed.append(nb.name)
        if nb.name in changed: nb.write_text(json.dumps(d, indent=1, ensure_ascii=False) + '\n')
    return sorted(set(changed))

def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--ref', help='the release to pin: a version tag (v0.0.1) or a 40-digit commit (default: what chapter 00 pins)')
    p.add_argument('--pypi', action='store_true', help='install cifar_learn==<version> from PyPI, once the project owns the name')
    p.add_argument('--check', action='store_true', help='change nothing; exit 1 if a notebook does not pin --ref')
    a = p.parse_args()
    ref, pypi = (a.ref, a.pypi) if a.ref else pinned()
    try: spec_for(ref, pypi)
    except ValueError as e: p.error(str(e))
    if a.check:
        ps = problems(ref, pypi)
        print('\n'.join(ps) or f'every notebook pins {ref}')
        return 1 if ps else 0
    changed = rewrite(ref, pypi)
    print(f"pinned {ref} in {len(changed)} notebooks{': ' + ', '.join(changed) if changed else ''}")
    return 0

if __name__ == '__main__': sys.exit(main())
