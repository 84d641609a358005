#!/usr/bin/env python3
"""Execute notebooks and save their outputs in place, the way they are committed.

    python tools/run_nb.py nbs/00_data.ipynb [more.ipynb ...]

Runs in test mode (IN_TEST=1) unless --full is given, in the notebook's own folder, with
execnb (the engine nbdev_test uses). Then run `nbdev_clean`. Say beside any figure that came
from test mode or from a reduced run; never commit outputs made from data that may not be shared.
"""
import os, sys
from pathlib import Path

if __name__ == '__main__':
    args = [a for a in sys.argv[1:] if a != '--full']
    if not args: sys.exit(__doc__)
    if '--full' not in sys.argv: os.environ['IN_TEST'] = '1'
    from execnb.shell import CaptureShell
    for nb in [Path(a).resolve() for a in args]:
        os.chdir(nb.parent)
        CaptureShell(nb).execute(nb, nb, exc_stop=True)
        print(f'executed {nb}')
