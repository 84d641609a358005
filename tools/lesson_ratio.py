#!/usr/bin/env python3
"""How much of what a learner reads is tests: per chapter, the code lines outside the exported library that a reader
of the notebook sees (every cell but the folded ones); of those, the lines of checks themselves (an `assert`, or a call
of fastcore's `test_*`, every line it spans) and the lines of test cells (every code line of a shown cell that holds a
check: the set-up a check needs is test code too); the `show_doc` lines; and the folded cells' lines, for comparison.

A folded cell is out of the reader's way everywhere: `#| hide` (not on the docs site), a `#@title ... { display-mode:
"form" }` line with the cell metadata `cellView: form` (Colab shows the title, not the code) and `jupyter.source_hidden`
(JupyterLab and Notebook 7 fold the code). A cell that is only `#| hide` counts as shown: Colab shows it.

    python tools/lesson_ratio.py                  # the table, every notebook in nbs/
    python tools/lesson_ratio.py --max 0.25       # exit 1 if a chapter's test cells exceed a quarter of its shown code
                                                  # or a `#| hide` cell with checks is not folded
    python tools/lesson_ratio.py --self-test      # the check fails where it should (an unfolded test, a bare hide)

A line counts once: blank lines, comments and cell directives (`#| ...`) are not code. Cells that do not parse as
Python (shell or magic lines) are read with those lines blanked.
"""
import argparse, ast, json, re, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

def directives(source:str) -> set:
    "The `#| ...` directives of a cell, as words ('export', 'hide', ...)."
    return {w for l in source.splitlines() if (m := re.match(r'\s*#\|\s*(.*)', l)) for w in m.group(1).split()}

def is_check(node) -> bool:
    "An `assert`, or an expression that calls `test_*` (fastcore.test)."
    if isinstance(node, ast.Assert): return True
    if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
        f = node.value.func
        return (f.id if isinstance(f, ast.Name) else getattr(f, 'attr', '')).startswith('test_')
    return False

def is_show_doc(node) -> bool:
    return (isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)
            and getattr(node.value.func, 'id', '') == 'show_doc')

def count(source:str) -> tuple:
    "(code lines, check lines, show_doc lines) of one cell."
    lines = source.splitlines()
    text = '\n'.join('' if l.lstrip().startswith(('!', '%')) else l for l in lines)
    try: tree = ast.parse(text)
    except SyntaxError: return 0, 0, 0
    code = {i for i, l in enumerate(lines, 1) if l.strip() and not l.lstrip().startswith('#')}
    checks, docs = set(), set()
    for node in ast.walk(tree):
        span = set(range(node.lineno, node.end_lineno + 1)) if hasattr(node, 'lineno') else set()
        if is_check(node): checks |= span
        elif is_show_doc(node): docs |= span
    return len(code), len(checks & code), len(docs & code)

def folded(cell) -> bool:
    "Out of the reader's way: hidden on the docs site and folded in Colab and Jupyter (see the module's docstring)."
    s, md = ''.join(cell['source']), cell.get('metadata', {})
    return ('hide' in directives(s) and md.get('cellView') == 'form' and md.get('jupyter', {}).get('source_hidden') is True
            and bool(re.search(r'^#@title .*\{ *display-mode: *"form" *\}', s, re.M)))

def chapter(path:Path) -> dict:
    "Counts of one notebook's non-exported code cells, shown and folded apart; `unfolded`: hidden cells with checks."
    r = dict(shown=0, checks=0, test_cells=0, show_doc=0, folded=0, folded_checks=0, unfolded=[])
    for i, c in enumerate(json.loads(path.read_text())['cells']):
        if c['cell_type'] != 'code': continue
        s = ''.join(c['source']); d = directives(s)
        if d & {'export', 'exports', 'exporti'}: continue
        n, t, sd = count(s)
        if folded(c): r['folded'] += n; r['folded_checks'] += t; continue
        r['shown'] += n; r['checks'] += t; r['test_cells'] += n if t else 0; r['show_doc'] += sd
        if t and 'hide' in d: r['unfolded'].append(i)
    return r

def self_test():
    "The counts on a made-up notebook: a shown test cell counts whole, a folded one not, a bare `#| hide` one is flagged."
    import tempfile
    code = lambda s, **md: {'cell_type': 'code', 'source': s, 'metadata': md, 'outputs': []}
    fold = {'cellView': 'form', 'jupyter': {'source_hidden': True}}
    cells = [code('x = 1\ny = 2\nprint(x + y)'),                                         # 3 lines of lesson
             code('z = x * 2\nassert z == 2'),                                              # a shown test cell: 2 lines
             code('#| hide\n#@title Tests: z { display-mode: "form" }\nassert z == 2\nw = 3', **fold),   # folded: not shown
             code('#| hide\nassert y == 2'),                                                # hidden on the site, shown on Colab
             code('#| export\ndef f(): assert True')]                                       # the library: not counted
    with tempfile.TemporaryDirectory() as d:
        nb = Path(d) / 'x.ipynb'; nb.write_text(json.dumps({'cells': cells}))
        r = chapter(nb)
    want = dict(shown=6, checks=2, test_cells=3, show_doc=0, folded=2, folded_checks=1, unfolded=[3])
    if r != want: sys.exit(f'lesson_ratio self-test: {r} != {want}')
    print('lesson_ratio self-test: passed')

def main():
    if sys.argv[1:] == ['--self-test']: return self_test()
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('notebooks', nargs='*', type=Path, help='default: every notebook in nbs/')
    ap.add_argument('--max', type=float, help="fail if a chapter's test-cell lines exceed this share of its shown code")
    a = ap.parse_args()
    paths = a.notebooks or sorted((ROOT / 'nbs').glob('*.ipynb'))
    print(f"{'notebook':24} {'shown':>6} {'checks':>6} {'test cells':>10} {'share':>6} {'show_doc':>8} {'folded':>7} "
          f"{'f.checks':>8}")
    over = []
    for p in paths:
        r = chapter(p); share = r['test_cells'] / r['shown'] if r['shown'] else 0.0
        print(f"{p.name:24} {r['shown']:6} {r['checks']:6} {r['test_cells']:10} {share:6.0%} {r['show_doc']:8} "
              f"{r['folded']:7} {r['folded_checks']:8}")
        if a.max is not None and share > a.max:
            over.append(f"{p.name}: {share:.0%} of its shown code lines are in cells that test (at most {a.max:.0%})")
        if a.max is not None and r['unfolded']:
            over.append(f"{p.name}: cells {r['unfolded']} are `#| hide` with checks but not folded (Colab shows them)")
    for o in over: print(o, file=sys.stderr)
    return 1 if over else 0

if __name__ == '__main__': sys.exit(main())
