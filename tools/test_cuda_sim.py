#!/usr/bin/env python3
"""Tests of the CUDA simulation (tools/cuda_sim.py), and of cifar_learn's GPU path under it.

    python tools/test_cuda_sim.py              # every group, each in a process of its own on its simulated GPU(s)
    python tools/test_cuda_sim.py t4 a100      # some groups

A group is a `unittest.TestCase` below, run under `tools/cuda_sim.py --gpu KIND` (see `GROUPS`); every test first
asserts that it really runs on the simulated GPU, so none passes on the CPU by accident. Prints unittest's report for
each group and a closing 'N passed, N failed'; exits 1 if any test failed.
"""
import json, os, signal, subprocess, sys, tempfile, time, unittest, warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SIM = ROOT / 'tools' / 'cuda_sim.py'
GIB = 1024 ** 3


def on_sim(*args, gpu='t4', count=1, **kw):
    "Run `python *args` on a simulated GPU, as a subprocess; returns the finished process (output as text)."
    return subprocess.run([sys.executable, SIM, '--gpu', gpu, '--count', str(count), *map(str, args)],
                          capture_output=True, text=True, **kw)


def without_sim(*args, **kw):
    "Run `python *args` on this plain CPU-only machine (no simulation in its environment)."
    env = {k: v for k, v in os.environ.items() if k not in ('CUDA_SIM', 'PYTHONPATH')}
    return subprocess.run([sys.executable, *map(str, args)], capture_output=True, text=True, env=env, **kw)


_data = {}
def data() -> Path:
    "A small generated CIFAR-10 folder, made once per process."
    if 'root' not in _data:
        from cifar_learn.fakedata import fake_cifar10
        _data['root'] = fake_cifar10(tempfile.mkdtemp(prefix='cuda-sim-data-'), n_train=400, n_test=100)
    return _data['root']


def small_config(**kw):
    "A run that takes seconds: the seed ConvNet (its Dropout draws from the GPU's generator), batches of 32."
    from cifar_learn.config import TrainingConfig
    return TrainingConfig(**{**dict(model='convnet', optimizer='adam', lr=1e-3, steps=8, eval_every=4, batch_size=32, val_size=0,
                                    checkpoint_every=2, out_dir=tempfile.mkdtemp(prefix='cuda-sim-run-'), device='cuda'), **kw})


def run_small(cfg, stop_at=None, restore_cuda_rng=True):
    """Train (or resume) `small_config`-style `cfg` with the library's own `train`; with `stop_at`, a SIGINT (Ctrl-C) arrives
    during that step of the run, as a learner's would, and the run stops after it. Returns the final weights, or the step it
    stopped at."""
    from cifar_learn import checkpoints, optimizers, training
    from cifar_learn.dataset import CIFAR10, TensorLoader
    from cifar_learn.model import create_model
    training.set_seed(cfg.seed)
    net = create_model(cfg.model, **cfg.model_args)
    device = cfg.resolved_device()
    train_dl = TensorLoader(CIFAR10(data()), cfg.batch_size, seed=cfg.seed, device=device)
    test_dl = TensorLoader(CIFAR10(data(), train=False), 100, shuffle=False, device=device)
    done = [ck.step if cfg.resume and (ck := checkpoints.resume_checkpoint(cfg)) else 0]   # steps before this process
    def ctrl_c(module, args):
        if not module.training: return
        done[0] += 1
        if done[0] == stop_at: signal.raise_signal(signal.SIGINT)
    net.register_forward_pre_hook(ctrl_c)
    real = training.set_rng_state
    if not restore_cuda_rng: training.set_rng_state = lambda s: real({**s, 'cuda': []})   # the control: forget the GPU's generator
    try: training.train(net, train_dl, test_dl, optimizers.create_optimizer(net, cfg), cfg, quiet=True)
    except training.TrainingInterrupted as e: return e.step
    finally: training.set_rng_state = real
    return {k: v.cpu() for k, v in net.state_dict().items()}


class OnSimulatedGPU(unittest.TestCase):
    "Base of every group: the process must be on the simulated GPU the group names."
    gpu = None
    def setUp(self):
        import torch
        kind = os.environ.get('CUDA_SIM', '').split(':')[0]
        self.assertEqual(kind, self.gpu, 'this group must run under tools/cuda_sim.py --gpu ' + str(self.gpu))
        self.assertTrue(torch.cuda.is_available())
        self.assertTrue(torch.ones(1, device='cuda').is_cuda)


class T4(OnSimulatedGPU):
    "The simulation itself, on a T4, and the library's GPU branches there."
    gpu = 't4'

    def test_reports_itself_as_a_t4(self):
        import torch
        self.assertEqual((torch.cuda.get_device_name(), torch.cuda.get_device_capability(), torch.cuda.device_count()),
                         ('Tesla T4', (7, 5), 1))
        self.assertAlmostEqual(torch.cuda.get_device_properties(0).total_memory / GIB, 14.75, places=2)
        x = torch.zeros(3, device='cuda')
        self.assertEqual((x.device, x.is_cuda, x.type()), (torch.device('cuda', 0), True, 'torch.cuda.FloatTensor'))
        self.assertIn("device='cuda:0'", repr(x))
        net = torch.nn.Linear(2, 2)
        p = net.weight
        net.cuda()
        self.assertIs(net.weight, p, 'Module.cuda() keeps the parameter objects, as torch does')
        self.assertEqual(p.device.type, 'cuda')
        self.assertEqual(torch.randn(2, 2).to('cuda').device.type, 'cuda')
        self.assertFalse(torch.cuda.is_bf16_supported(including_emulation=False))

    def test_mixing_devices_fails_as_on_cuda(self):
        import torch
        gpu, cpu = torch.ones(3, device='cuda'), torch.ones(3)
        for op in (lambda: gpu + cpu, lambda: torch.nn.Linear(3, 1)(gpu), lambda: torch.nn.Linear(3, 1).cuda()(cpu),
                   lambda: torch.cat([gpu, cpu]), lambda: gpu.index_select(0, torch.tensor([0]))):
            with self.assertRaisesRegex(RuntimeError, 'Expected all tensors to be on the same device'): op()
        self.assertEqual((gpu * torch.tensor(2.0)).tolist(), [2.0] * 3)   # a 0-dim CPU tensor is a scalar, as on CUDA
        self.assertEqual(gpu[torch.tensor([0, 2])].device.type, 'cuda')   # CPU indices are accepted, as on CUDA
        w = torch.ones(3, device='cuda', requires_grad=True)
        with self.assertRaisesRegex(RuntimeError, 'same device'): (w * cpu).sum().backward()

    def test_host_transfers(self):
        import numpy as np, torch
        x = torch.arange(4.0, device='cuda')
        c = x.cpu(); c[0] = 9
        self.assertEqual((type(c), c.device.type, x[0].item()), (torch.Tensor, 'cpu', 0.0))   # a copy, not a view
        self.assertEqual(x.tolist(), [0.0, 1.0, 2.0, 3.0])
        self.assertEqual(f'{x.sum():.1f}', '6.0')
        with self.assertRaisesRegex(TypeError, "can't convert cuda:0 device type tensor to numpy"): x.numpy()
        with self.assertRaises(TypeError): np.asarray(x)
        w = torch.ones(2, device='cuda', requires_grad=True)
        (w.cpu() * 3).sum().backward()                                    # .cpu() is differentiable, as on CUDA
        self.assertEqual((w.grad.device.type, w.grad.tolist()), ('cuda', [3.0, 3.0]))

    def test_the_gpu_has_its_own_random_generator(self):
        import torch
        cpu_state = torch.get_rng_state()
        state = torch.cuda.get_rng_state()
        a = torch.nn.functional.dropout(torch.ones(1000, device='cuda'), 0.5)
        torch.cuda.set_rng_state(state)
        b = torch.nn.functional.dropout(torch.ones(1000, device='cuda'), 0.5)
        self.assertTrue(torch.equal(a, b))
        self.assertTrue(torch.equal(cpu_state, torch.get_rng_state()), 'random numbers on the GPU leave the CPU generator alone')
        torch.manual_seed(3); a = torch.rand(5, device='cuda')
        torch.manual_seed(3); b = torch.rand(5, device='cuda')
        self.assertTrue(torch.equal(a, b), 'torch.manual_seed seeds the GPU too')
        self.assertFalse(torch.equal(a.cpu(), (torch.manual_seed(3), torch.rand(5))[1]), 'the GPU stream is not the CPU one')

    def test_autocast_and_grad_scaler(self):
        import torch
        net = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.Flatten(), torch.nn.Linear(4 * 6 * 6, 2)).cuda()
        x, y = torch.rand(4, 3, 8, 8, device='cuda'), torch.tensor([0, 1, 0, 1], device='cuda')
        scaler, opt = torch.amp.GradScaler('cuda'), torch.optim.SGD(net.parameters(), lr=0.1)
        self.assertTrue(scaler.is_enabled())
        with torch.autocast('cuda'):                                     # CUDA's default: fp16
            out = net(x); loss = torch.nn.functional.cross_entropy(out, y)
        self.assertEqual((out.dtype, loss.dtype), (torch.float16, torch.float32))
        scaler.scale(loss).backward(); scaler.step(opt); scaler.update()
        self.assertEqual(scaler.state_dict()['scale'], 65536.0)
        self.assertEqual(net[0].weight.grad.dtype, torch.float32)

    def test_memory_counts_and_runs_out(self):
        import torch
        base = torch.cuda.memory_allocated()
        x = torch.empty(25 * 2**20, dtype=torch.float32, device='cuda')   # 100 MiB
        self.assertEqual(torch.cuda.memory_allocated() - base, 100 * 2**20)
        v = x[:10]                                                       # a view allocates nothing
        self.assertEqual(torch.cuda.memory_allocated() - base, 100 * 2**20)
        del x, v
        self.assertEqual(torch.cuda.memory_allocated(), base)
        self.assertGreaterEqual(torch.cuda.max_memory_allocated() - base, 100 * 2**20)
        with self.assertRaisesRegex(torch.OutOfMemoryError, 'CUDA out of memory.*total capacity of 14.75 GiB'):
            torch.empty(15 * GIB, dtype=torch.uint8, device='cuda')     # the T4 has 14.75 GiB (pages never touched here)

    def test_pinned_memory(self):
        import torch
        from torch.utils.data import DataLoader, TensorDataset
        ds = TensorDataset(torch.rand(8, 3), torch.arange(8))
        for workers in (0, 1):                                          # pinned in this thread, and in the loader's own
            x, _ = next(iter(DataLoader(ds, 4, pin_memory=True, num_workers=workers)))
            self.assertTrue(x.is_pinned(), f'num_workers={workers}')
            self.assertEqual(x.to('cuda', non_blocking=True).device.type, 'cuda')
        self.assertFalse(torch.rand(2).is_pinned())

    def test_a_saved_gpu_tensor_is_a_cuda_storage(self):
        import torch
        f = Path(tempfile.mkdtemp()) / 'w.pt'
        torch.save({'w': torch.arange(3.0, device='cuda')}, f)
        self.assertEqual(torch.load(f, map_location='cpu')['w'].tolist(), [0.0, 1.0, 2.0])
        with self.assertRaisesRegex(NotImplementedError, 'without a map_location'): torch.load(f)
        code = ("import sys, torch\ntry: torch.load(sys.argv[1])\nexcept RuntimeError as e: print('refused:', e)\n"
                "print(torch.load(sys.argv[1], map_location='cpu')['w'].tolist())")
        p = without_sim('-c', code, f)                                   # a real CPU-only torch reads it as a GPU's file
        self.assertIn('refused: Attempting to deserialize object on a CUDA device', p.stdout, p.stderr)
        self.assertIn('[0.0, 1.0, 2.0]', p.stdout)

    def test_what_is_not_simulated_fails_loudly(self):
        import torch
        net = torch.nn.Linear(2, 2).cuda()
        for what, call in [('torch.cuda.CUDAGraph', torch.cuda.CUDAGraph), ('torch.cuda.memory_summary', torch.cuda.memory_summary),
                           ('torch.compile of a model on simulated CUDA', lambda: torch.compile(net)),
                           ('DistributedDataParallel', lambda: torch.nn.parallel.DistributedDataParallel(net))]:
            with self.assertRaisesRegex(NotImplementedError, 'cuda_sim: ' + what): call()
        e0, e1 = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        e0.record(); time.sleep(0.05); e1.record(); torch.cuda.synchronize()
        self.assertGreater(e0.elapsed_time(e1), 40)

    # --- the library ---
    def test_a_cpu_model_on_gpu_batches_fails(self):
        "The bug chapters 02 and 04 had (a model left on the CPU, batches on the GPU) fails here; the fixed code trains."
        import torch
        from cifar_learn.dataset import CIFAR10, TensorLoader
        from cifar_learn.model import create_model
        net, batches = create_model('convnet'), TensorLoader(CIFAR10(data()), 16, device='auto')   # 'auto' is the GPU here
        x, y = next(iter(batches))
        with self.assertRaisesRegex(RuntimeError, 'Expected all tensors to be on the same device'): net(x, y)
        device = torch.device('cuda')
        net, batches = create_model('convnet').to(device), TensorLoader(CIFAR10(data()), 16, device=device)
        x, y = next(iter(batches))
        _, loss = net(x, y); loss.backward()
        self.assertEqual(net.conv1.weight.grad.device.type, 'cuda')
        self.assertEqual(TensorLoader(CIFAR10(data()), 16).device, torch.device('cpu'), "torch's convention: the CPU by default")

    def test_precision_on_a_t4_is_fp16_with_a_scaler(self):
        import torch
        from cifar_learn.training import train
        from cifar_learn.optimizers import create_optimizer
        from cifar_learn.devices import amp_dtype
        from cifar_learn.dataset import CIFAR10, TensorLoader
        from cifar_learn.model import create_model
        cuda = torch.device('cuda')
        self.assertEqual(amp_dtype(cuda, 'auto'), torch.float16)         # the real capability, nothing faked
        with self.assertRaisesRegex(ValueError, r"precision='bf16' needs a GPU with native bf16.*Tesla T4 is 7.5"): amp_dtype(cuda, 'bf16')
        cfg = small_config(steps=2, eval_every=2)
        net = create_model('convnet')
        seen = []
        net.register_forward_hook(lambda m, a, out: seen.append(out[0].dtype) if m.training else None)
        train(net, TensorLoader(CIFAR10(data()), 32, device=cuda), TensorLoader(CIFAR10(data(), train=False), 100, device=cuda),
              create_optimizer(net, cfg), cfg, quiet=True)
        self.assertEqual(seen, [torch.float16, torch.float16])
        state = torch.load(Path(cfg.checkpoint_path) / 'latest.pt', map_location='cpu', weights_only=True)
        self.assertEqual(set(state['scaler']), {'scale', 'growth_factor', 'backoff_factor', 'growth_interval', '_growth_tracker'})
        self.assertEqual(len(state['rng']['cuda']), 1, "the GPU's random state is in the checkpoint")

    def test_fp16_resume_is_exact_and_needs_the_gpu_generator(self):
        "Ctrl-C at step 5 of 8, resume: the same weights as without the stop; forgetting the GPU's generator changes them."
        import torch
        whole = run_small(small_config())
        for restore in (True, False):
            cfg = small_config()
            self.assertEqual(run_small(cfg, stop_at=5), 5, 'the stop interrupted training')
            resumed = run_small(small_config(out_dir=cfg.out_dir, resume=True), restore_cuda_rng=restore)
            same = all(torch.equal(whole[k], resumed[k]) for k in whole)
            self.assertEqual(same, restore, 'resumed weights equal the uninterrupted ones exactly when the GPU generator is restored')

    def test_a_gpu_checkpoint_resumes_on_the_cpu_and_back(self):
        import torch
        out = tempfile.mkdtemp(prefix='cuda-sim-run-')
        leg = lambda device, stop, run: run(__file__, '--leg', device, stop, out, data())
        precisions = []   # the precision each leg trained in, as its checkpoint records it
        for device, stop, run in [('cuda', 3, on_sim), ('cpu', 6, without_sim), ('cuda', 0, on_sim)]:
            p = leg(device, stop, run)
            self.assertEqual(p.returncode, 0, p.stderr[-3000:])
            said = json.loads(p.stdout.splitlines()[-1]); precisions.append(said.pop('precision'))
            self.assertEqual(said, {'device': device, 'step': stop or 8})
        state = torch.load(Path(out) / 'checkpoints' / 'latest.pt', map_location='cpu', weights_only=True)
        self.assertEqual((state['step'], state['config']['device']), (8, 'cuda'))
        # the T4's fp16 is not native on a CPU: the CPU leg chose its own (fp32, or bf16 on a CPU with bf16 instructions
        # where the probe measures it faster) and recorded it; the last leg kept that where the T4 runs it natively
        # (fp32), else chose the T4's own fp16 again
        self.assertEqual(precisions[0], 'fp16'); self.assertIn(precisions[1], ('fp32', 'bf16'))
        self.assertEqual(precisions[2], 'fp32' if precisions[1] == 'fp32' else 'fp16')
        self.assertEqual(state['precision'], precisions[2])

    def test_pinned_batches_from_make_loaders(self):
        from cifar_learn.dataset import CIFAR10
        from cifar_learn.run import make_loaders
        cfg = small_config(loader='dataloader', num_workers=1, pin_memory=True)
        train_dl, _, _ = make_loaders(cfg, CIFAR10(data()), CIFAR10(data(), train=False))
        x, _ = next(iter(train_dl))
        self.assertTrue(x.is_pinned())

    def test_compile_and_sync_batchnorm_checks(self):
        import torch
        from cifar_learn.devices import check_compile
        from cifar_learn.distributed import check_sync_batchnorm
        check_compile(torch.device('cuda'))                              # a T4 (7.5) with Triton, as on Colab: allowed
        check_sync_batchnorm(small_config(sync_batchnorm=True), 2)        # on CUDA: accepted

    def test_the_command_on_cuda(self):
        import torch
        out = Path(tempfile.mkdtemp()) / 'run'
        p = on_sim('cifar_learn_train', '--data', data(), '--device', 'cuda', '--model', 'convnet', '--steps', 2, '--eval-every', 2,
                   '--batch-size', 32, '--quiet', '--out', out)
        self.assertEqual(p.returncode, 0, p.stderr[-3000:])
        self.assertEqual(json.loads((out / 'config.json').read_text())['device'], 'cuda')
        self.assertIn('scale', torch.load(out / 'checkpoints' / 'latest.pt', map_location='cpu', weights_only=True)['scaler'])


class A100(OnSimulatedGPU):
    "An Ampere GPU: bf16 autocast, no gradient scaler."
    gpu = 'a100'

    def test_precision_on_an_a100_is_bf16(self):
        import torch
        from cifar_learn.training import TrainState
        from cifar_learn.devices import amp_dtype
        from cifar_learn.dataset import TensorLoader
        from cifar_learn.model import create_model
        self.assertEqual(amp_dtype(torch.device('cuda'), 'auto'), torch.bfloat16)
        self.assertEqual(amp_dtype(torch.device('cuda'), 'bf16'), torch.bfloat16)
        cfg = small_config()
        state = TrainState(create_model('convnet').cuda(), torch.optim.SGD([torch.zeros(1)], lr=1), cfg,
                           TensorLoader((torch.zeros(4, 3, 32, 32, dtype=torch.uint8), torch.zeros(4)), 2))
        self.assertFalse(state.scaler.is_enabled())
        with torch.autocast('cuda', dtype=torch.bfloat16): self.assertEqual(torch.nn.Linear(2, 2).cuda()(torch.ones(1, 2, device='cuda')).dtype, torch.bfloat16)


class P100(OnSimulatedGPU):
    "Kaggle's P100: capability 6.0, fp16, too old for Triton."
    gpu = 'p100'

    def test_precision_and_compile_on_a_p100(self):
        import torch
        from cifar_learn.devices import amp_dtype, check_compile
        self.assertEqual(amp_dtype(torch.device('cuda'), 'auto'), torch.float16)
        with self.assertRaisesRegex(RuntimeError, 'compute capability 7.0 or newer for Triton; this one is 6.0'):
            check_compile(torch.device('cuda'))

    def test_torch_warns_when_its_build_has_no_kernels_for_the_gpu(self):
        "This torch (CUDA 13) has no kernels for capability 6.0, and says so, as it would on Kaggle's P100."
        import torch
        built = torch.cuda.get_arch_list()
        p = on_sim(__file__, '--probe', 'import', gpu='p100')
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn('Tesla P100-PCIE-16GB', p.stdout)
        self.assertEqual('does not include kernels for this GPU' in p.stderr or 'is not compatible' in p.stderr,
                         not any(a in built for a in ('sm_60', 'sm_61')), p.stderr[-2000:])


class TwoT4s(OnSimulatedGPU):
    "Kaggle's two T4s under torchrun: NCCL chosen on CUDA, each process on its own GPU."
    gpu = 't4'

    def torchrun(self, probe):
        return subprocess.run([sys.executable, '-m', 'torch.distributed.run', '--standalone', '--nproc_per_node', '2', __file__,
                               '--probe', probe], capture_output=True, text=True, timeout=300)

    def test_nccl_on_two_gpus(self):
        import torch
        self.assertEqual(torch.cuda.device_count(), 2)
        p = self.torchrun('nccl')
        self.assertEqual(p.returncode, 0, p.stdout[-2000:] + p.stderr[-3000:])
        self.assertEqual(sorted(l for l in p.stdout.splitlines() if l.startswith('rank')),
                         ['rank 0: nccl cuda:0 sum 3.0, cpu refused', 'rank 1: nccl cuda:1 sum 3.0, cpu refused'])

    def test_two_processes_on_one_gpu_are_refused(self):
        p = self.torchrun('same-gpu')
        self.assertNotEqual(p.returncode, 0)
        self.assertIn('Duplicate GPU detected', p.stderr)


def probe(kind):
    "What each torchrun process of `TwoT4s` runs."
    import torch, torch.distributed as dist
    from cifar_learn.config import TrainingConfig
    from cifar_learn.distributed import all_reduce_, broadcast, init_distributed
    if kind == 'import':                         # what importing torch says on this GPU
        print(torch.cuda.get_device_name())
        return
    if kind == 'same-gpu':                       # every process on cuda:0: NCCL refuses at its first collective
        dist.init_process_group('nccl')
        dist.all_reduce(torch.ones(1, device='cuda'))
        return
    device = TrainingConfig(device='cuda').resolved_device()   # cuda:LOCAL_RANK
    rank, size = init_distributed(device)
    t = all_reduce_(torch.full((), rank + 1.0, device=device))
    assert broadcast({'from': rank})['from'] == 0
    try: all_reduce_(torch.ones(1)); cpu = 'cpu accepted'
    except RuntimeError as e: cpu = 'cpu refused' if 'No backend type associated with device type cpu' in str(e) else str(e)
    print(f'rank {rank}: {dist.get_backend()} {t.device} sum {t.item()}, {cpu}', flush=True)
    dist.destroy_process_group()


def leg(device, stop, out, root):
    "One leg of `test_a_gpu_checkpoint_resumes_on_the_cpu_and_back`: resume the run in `out` on `device`, stop after `stop`."
    import torch
    _data['root'] = Path(root)
    cfg = small_config(device=device, out_dir=out, resume=True)
    r = run_small(cfg, stop_at=int(stop) or None)
    precision = torch.load(cfg.checkpoint_path / 'latest.pt', map_location='cpu', weights_only=True)['precision']
    print(json.dumps({'device': cfg.resolved_device().type, 'step': r if isinstance(r, int) else 8, 'precision': precision}))


GROUPS = {'t4': ('t4', 1, [T4]), 'a100': ('a100', 1, [A100]), 'p100': ('p100', 1, [P100]), 't4x2': ('t4', 2, [TwoT4s])}


def run_group(name) -> int:
    "Run group `name` in this process (which must be on its simulated GPU); print its counts as the last line."
    warnings.simplefilter('ignore')
    suite = unittest.TestSuite(unittest.defaultTestLoader.loadTestsFromTestCase(c) for c in GROUPS[name][2])
    r = unittest.TextTestRunner(verbosity=2, stream=sys.stdout).run(suite)
    failed = len(r.failures) + len(r.errors)
    print(f'GROUP {name}: {r.testsRun - failed} passed, {failed} failed', flush=True)
    return 1 if failed or not r.testsRun else 0


def main(argv):
    if argv[:1] == ['--group']: return run_group(argv[1])
    if argv[:1] == ['--probe']: return probe(argv[1])
    if argv[:1] == ['--leg']: return leg(*argv[1:])
    names = argv or list(GROUPS)
    passed = failed = 0
    for name in names:
        kind, count, _ = GROUPS[name]
        t = time.perf_counter()
        p = on_sim(__file__, '--group', name, gpu=kind, count=count)
        print(p.stdout + p.stderr[-5000:], flush=True)
        counts = [l for l in p.stdout.splitlines() if l.startswith(f'GROUP {name}:')]
        if counts: n_pass, n_fail = (int(w) for w in counts[-1].split()[2:5:2])
        else: n_pass, n_fail = 0, 1                                      # the group died before it could count
        print(f'group {name} ({count} x {kind}): {n_pass} passed, {n_fail} failed, {time.perf_counter() - t:.0f} s', flush=True)
        passed, failed = passed + n_pass, failed + n_fail
    print(f'{passed} passed, {failed} failed')
    return 1 if failed else 0


if __name__ == '__main__': sys.exit(main(sys.argv[1:]))
