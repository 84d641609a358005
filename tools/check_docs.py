#!/usr/bin/env python3
"""Check the documentation contract of the package: every exported function and class has a
docstring, every parameter a docments comment, and a `show_doc` in the notebook it comes from; and
every notebook opens with the same setup cell (hidden in index.ipynb), whose fallback URL is
settings.ini's git_url, so that a learner on Colab or Kaggle can run any chapter from its badge; and
what the repository needs on GitHub: a LICENSE matching settings.ini, and workflows that are valid YAML
(docs with nbdev 2's quarto-ghp, tests on min_python and Colab's Python with a pip cache, release to PyPI).

    python tools/check_docs.py      # exit 1 and list what is missing
"""
import configparser, dataclasses, importlib, inspect, json, re, sys
from pathlib import Path
from fastcore.docments import docments

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

def notebook_of(mod):
    first = Path(mod.__file__).read_text().split('\n')[:3]
    m = next((re.search(r'File to edit: (\S+?)\.?$', l) for l in first if 'File to edit' in l), None)
    return (Path(mod.__file__).parent / m.group(1)).resolve()

def problems():
    from cifar_learn import _modidx
    out = []
    for name in sorted(_modidx.d['syms']):
        mod = importlib.import_module(name)
        nb_src = ''.join(''.join(c['source']) for c in json.loads(notebook_of(mod).read_text())['cells'])
        for sym in getattr(mod, '__all__', []):
            obj = getattr(mod, sym)
            if not (inspect.isfunction(obj) or inspect.isclass(obj)): continue
            if not inspect.getdoc(obj): out.append(f'{name}.{sym}: no docstring')
            if f'show_doc({sym})' not in nb_src: out.append(f'{name}.{sym}: no show_doc({sym}) in {notebook_of(mod).name}')
            target = obj if dataclasses.is_dataclass(obj) or not inspect.isclass(obj) else obj.__init__
            if target is object.__init__: continue
            try: docs = docments(target, full=True)
            except Exception as e: out.append(f'{name}.{sym}: docments failed ({e})'); continue
            sig = inspect.signature(target)
            var = {n for n, q in sig.parameters.items() if q.kind in (q.VAR_POSITIONAL, q.VAR_KEYWORD)}  # documented in the docstring
            for p, d in docs.items():
                if p in ('self', 'return') or p in var or p.startswith('_'): continue
                if not d['docment']: out.append(f'{name}.{sym}: parameter {p!r} has no docments comment')
    return out

def settings():
    "settings.ini's [DEFAULT] section."
    ini = configparser.ConfigParser(); ini.read(ROOT / 'settings.ini')
    return ini['DEFAULT']

def setup_problems():
    "Notebooks whose setup cell differs from chapter 00's, or names another repository than settings.ini."
    cells = lambda nb: [''.join(c['source']) for c in json.loads(nb.read_text())['cells'] if c['cell_type'] == 'code']
    ref = next((s for s in cells(ROOT / 'nbs' / '00_data.ipynb') if s.startswith('# Setup')), None)
    if ref is None: return ['nbs/00_data.ipynb: no setup cell (a code cell starting with "# Setup")']
    url = f"git+{settings()['git_url']}.git"
    out = [] if url in ref else [f"the setup cell's fallback is not {url}"]
    for nb in sorted((ROOT / 'nbs').glob('*.ipynb')):
        want = ('#| hide\n' if nb.name == 'index.ipynb' else '') + ref
        if want not in cells(nb): out.append(f'nbs/{nb.name}: no setup cell, or one that differs from nbs/00_data.ipynb\'s')
    return out

COLAB_PYTHON = '3.13'   # what Colab runs today

def repo_problems():
    "LICENSE and .github/workflows: present, valid YAML, and on the versions the project settled on."
    import yaml
    cfg = settings()
    out = []
    lic = ROOT / 'LICENSE'
    if cfg['license'] != 'apache2' or not lic.exists() or 'Apache License' not in lic.read_text()[:200]:
        out.append(f"LICENSE is missing or is not the Apache-2.0 text that settings.ini's license={cfg['license']} says")
    flows = {}
    for name in ('deploy.yaml', 'test.yaml', 'release.yaml'):
        try: flows[name] = yaml.safe_load((ROOT / '.github' / 'workflows' / name).read_text())
        except (OSError, yaml.YAMLError) as e: out.append(f'.github/workflows/{name}: {e}')
    text = lambda name: json.dumps(flows.get(name))
    if not re.search(r'answerdotai/workflows/quarto-ghp@[0-9a-f]{40}', text('deploy.yaml')):
        out.append('deploy.yaml: not answerdotai/workflows/quarto-ghp (the nbdev 2 action) pinned to a commit')
    versions = flows.get('test.yaml', {}).get('jobs', {}).get('test', {}).get('strategy', {}).get('matrix', {}).get('python-version', [])
    if set(versions) != {cfg['min_python'], COLAB_PYTHON}: out.append(f"test.yaml: tests Python {versions}, not {cfg['min_python']} and {COLAB_PYTHON}")
    if '"cache": "pip"' not in text('test.yaml'): out.append('test.yaml: no pip cache')
    if 'pypa/gh-action-pypi-publish' not in text('release.yaml') or '"id-token": "write"' not in text('release.yaml'):
        out.append('release.yaml: no trusted publishing to PyPI (pypa/gh-action-pypi-publish with id-token: write)')
    return out

if __name__ == '__main__':
    ps = problems() + setup_problems() + repo_problems()
    print('\n'.join(ps) or 'every exported function and class has a docstring, documented parameters and a show_doc; '
          'every notebook has the setup cell; LICENSE and workflows as settled')
    sys.exit(1 if ps else 0)
