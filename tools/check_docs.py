#!/usr/bin/env python3
"""Check the documentation contract of the package: every exported function and class has a
docstring, every parameter a docments comment, and a `show_doc` in the notebook it comes from.

    python tools/check_docs.py      # exit 1 and list what is missing
"""
import dataclasses, importlib, inspect, json, re, sys
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

if __name__ == '__main__':
    ps = problems()
    print('\n'.join(ps) or 'every exported function and class has a docstring, documented parameters and a show_doc')
    sys.exit(1 if ps else 0)
