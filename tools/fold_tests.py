#!/usr/bin/env python3
"""Fold test cells out of the reader's way, in place: each named cell (and every `#| hide` cell that holds a check)
becomes `#| hide` (not on the docs site), gets a `#@title <title> { display-mode: "form" }` line (Colab shows the
title instead of the code) and the metadata `cellView: form` and `jupyter.source_hidden` (JupyterLab, Notebook 7).
The cell's code, its place and its outputs are unchanged, so `nbdev_test` runs it exactly as before.

    python tools/fold_tests.py nbs/00_data.ipynb --cells 'id1=Tests: a truncated archive is refused' ...
    python tools/fold_tests.py nbs/*.ipynb          # only the hidden cells with checks

`tools/lesson_ratio.py` counts folded cells apart from the code a reader sees. Run `nbdev_clean` afterwards
(`settings.ini` keeps the two metadata keys).
"""
import argparse, json, re, sys
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parent))
from lesson_ratio import count, directives, folded

def title_of(source:str) -> str:
    "A default title for a hidden test cell: its first plain comment (to its first ':', ';' or '('), else a generic one."
    for l in source.splitlines():
        if l.startswith('#|'): continue
        m = re.match(r'#\s*(.+)', l)
        if not m: return 'Tests: more checks of the cells above'
        words = re.split(r'[:;(]', m.group(1))[0].rstrip('., ')
        return 'Tests: ' + (words if len(words) <= 70 else words[:70].rsplit(' ', 1)[0] + '...')
    return 'Tests: more checks of the cells above'

def fold(cell, title:str):
    "Make `cell` a folded cell titled `title` (see the module's docstring)."
    lines = ''.join(cell['source']).splitlines(keepends=True)
    body = [l for l in lines if not re.match(r'#\|\s*hide\s*$', l) and not l.startswith('#@title')]
    dirs = [l for l in body if l.startswith('#|')]
    rest = body[len(dirs):] if body[:len(dirs)] == dirs else body
    src = ['#| hide\n', *dirs, f'#@title {title} {{ display-mode: "form" }}\n', *rest]
    cell['source'] = src
    cell.setdefault('metadata', {}).update(cellView='form', jupyter={'source_hidden': True})

def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('notebooks', nargs='+', type=Path)
    ap.add_argument('--cells', nargs='*', default=[], help="ID=TITLE: fold the cell with this id under this title")
    a = ap.parse_args()
    if bad := [c for c in a.cells if '=' not in c]: sys.exit(f'--cells wants ID=TITLE, got {bad[0]!r}')
    named = dict(c.split('=', 1) for c in a.cells)
    nbs = {p: json.loads(p.read_text()) for p in a.notebooks}
    ids = {c.get('id') for nb in nbs.values() for c in nb['cells']}
    if missing := [i for i in named if i not in ids]: sys.exit(f'no such cell in {", ".join(map(str, nbs))}: {", ".join(missing)}')
    for p, nb in nbs.items():   # every check above ran before the first notebook is written
        n = 0
        for c in nb['cells']:
            if c['cell_type'] != 'code' or folded(c): continue
            s = ''.join(c['source']); d = directives(s)
            if c.get('id') in named: fold(c, named.pop(c['id'])); n += 1
            elif 'hide' in d and not d & {'export', 'exports', 'exporti'} and count(s)[1]: fold(c, title_of(s)); n += 1
        if n: p.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + '\n')
        print(f'{p}: {n} cells folded')

if __name__ == '__main__': main()
