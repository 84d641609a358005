#!/usr/bin/env python3
"""Check the documentation contract of the package: every exported function and class has a
docstring, every parameter a docments comment, and a `show_doc` in the notebook it comes from; and
every notebook opens with the setup cell tools/setup_cell.py writes (hidden in index.ipynb), which installs
cifar_learn at the release its badges open, so that a learner on Colab or Kaggle can run any chapter from its badge; and
every number marked in prose as coming from an output (`89.96%<!--out-->`) is in that output; and
what the repository needs on GitHub: a LICENSE matching settings.ini, and workflows that are valid YAML
(docs with nbdev 2's quarto-ghp, tests on min_python and Colab's Python with a pip cache, release to PyPI).

    python tools/check_docs.py              # exit 1 and list what is missing
    python tools/check_docs.py --self-test  # the marked-number check catches a drifted number
"""
import configparser, dataclasses, importlib, inspect, json, re, sys
from pathlib import Path
from fastcore.docments import docments

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT)); sys.path.insert(0, str(ROOT / 'tools'))

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
    "Notebooks whose setup cell or badges do not pin chapter 00's release as tools/setup_cell.py writes them."
    import setup_cell
    return setup_cell.problems()

# A number in prose that an output shows is marked where it stands, `89.96%<!--out-->` (invisible on every page), or
# `89.96%<!--out:cell-id-->` to name the code cell whose output shows it; the check finds it there, verbatim.
MARKED = re.compile(r'(\d[\d,]*(?:\.\d+)?(?:\s?(?:%|s|ms|min|x|×|MiB|GiB|images/s))?)<!--\s*out(?::\s*([\w-]+))?\s*-->')

def output_text(cell) -> str:
    "What a code cell's outputs show, as text (streams, plain text, Markdown and HTML), spaces made plain."
    parts = [''.join(o.get('text', '')) for o in cell.get('outputs', [])]
    parts += [''.join(o.get('data', {}).get(k, '')) for o in cell.get('outputs', []) for k in ('text/plain', 'text/markdown', 'text/html')]
    return ' '.join(parts).replace('\u00a0', ' ').replace('\u2007', ' ').replace('\u202f', ' ')

def marked_problems(nbs=None) -> list:
    "Numbers marked in a notebook's prose as coming from an output that no output (or not the cell named) shows."
    out = []
    for nb in nbs or sorted((ROOT / 'nbs').glob('*.ipynb')):
        cells = json.loads(nb.read_text())['cells']
        shown = {c.get('id'): output_text(c) for c in cells if c['cell_type'] == 'code'}
        everything = ' '.join(shown.values())
        for c in cells:
            if c['cell_type'] != 'markdown': continue
            for m in MARKED.finditer(''.join(c['source'])):
                number, cid = m.groups()
                if cid and cid not in shown: out.append(f'nbs/{nb.name}: {number} is marked as from cell {cid}, which is no code cell here')
                elif number not in (shown[cid] if cid else everything):
                    where = f"cell {cid}'s output does not show it" if cid else 'no output shows it'
                    out.append(f"nbs/{nb.name}: the prose says {number} (markdown cell {c.get('id')}), but {where}")
    return out

def test_marked():
    "The check of marked numbers can fail: a number an output shows passes; a changed one, or a wrong cell, fails."
    import tempfile
    def nb(prose):
        cells = [{'cell_type': 'code', 'id': 'run', 'source': ['train()'], 'metadata': {}, 'execution_count': 1,
                  'outputs': [{'output_type': 'stream', 'name': 'stdout', 'text': ['test accuracy 64.45% after 46.4 s\n']}]},
                 {'cell_type': 'markdown', 'id': 'prose', 'source': [prose], 'metadata': {}}]
        path = Path(tempfile.mkdtemp()) / 'marked.ipynb'; path.write_text(json.dumps({'cells': cells})); return path
    assert marked_problems([nb('It reached 64.45%<!--out--> in 46.4 s<!--out:run-->, near 64%.')]) == []
    assert len(marked_problems([nb('It reached 65.30%<!--out--> in 46.4 s<!--out-->.')])) == 1      # drifted
    assert len(marked_problems([nb('It reached 64.45%<!--out:other--> in 46.4 s.')])) == 1           # no such cell
    print('marked numbers: a drifted number and a wrong cell are caught')

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
    if sys.argv[1:] == ['--self-test']: test_marked(); sys.exit(0)
    ps = problems() + setup_problems() + marked_problems() + repo_problems()
    print('\n'.join(ps) or 'every exported function and class has a docstring, documented parameters and a show_doc; '
          'every notebook has the setup cell; every number marked in prose is in its output; LICENSE and workflows as settled')
    sys.exit(1 if ps else 0)
