"""Loads the simulated GPU of `tools/cuda_sim.py` into this Python process when the environment names one (CUDA_SIM=t4).

`tools/cuda_sim.py` puts this folder first on PYTHONPATH, so every Python process started under it, and every process
those start, runs this file at start-up. The simulation itself is installed when the process imports torch."""
import importlib.machinery, importlib.util, os, sys

def _load():
    here = os.path.dirname(os.path.abspath(__file__))
    spec = importlib.util.spec_from_file_location('cuda_sim', os.path.join(os.path.dirname(here), 'cuda_sim.py'))
    module = importlib.util.module_from_spec(spec)
    sys.modules['cuda_sim'] = module
    spec.loader.exec_module(module)
    module.install_on_torch_import(os.environ['CUDA_SIM'])

def _chain():
    "Run the sitecustomize this file hides, if the interpreter has one further down its path."
    here = os.path.dirname(os.path.abspath(__file__))
    spec = importlib.machinery.PathFinder.find_spec('sitecustomize', [p for p in sys.path if os.path.abspath(p or '.') != here])
    if spec is not None and spec.loader is not None:
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)

if os.environ.get('CUDA_SIM'): _load()
_chain()
