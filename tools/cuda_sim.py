#!/usr/bin/env python3
"""A simulated CUDA GPU for CPU-only machines: run a program's GPU path where no GPU is, and see it fail where a GPU would.

    python tools/cuda_sim.py --gpu t4 SCRIPT [ARGS...]          # as `python SCRIPT ARGS`, on a simulated Tesla T4
    python tools/cuda_sim.py --gpu t4 cifar_learn_train --device cuda --steps 5
    python tools/cuda_sim.py --gpu t4 --count 2 -m torch.distributed.run --nproc_per_node 2 SCRIPT
    CUDA_SIM=t4 PYTHONPATH=tools/cuda_sim_site jupyter ...       # the same in a Jupyter kernel (tools/colab_sim.py --gpu)

The program runs in a new interpreter whose environment (`CUDA_SIM`, and `tools/cuda_sim_site` on PYTHONPATH) loads
the simulation as soon as it imports torch; every Python process it starts (torchrun's ranks, DataLoader workers,
subprocesses) inherits the environment and sees the same kind of GPU, as on a real machine.

What is simulated, and how:
- `torch.cuda`: `is_available()` is True; device count, name, capability, properties, `mem_get_info` and the memory
  counters answer as the chosen GPU would (`GPUS`); `set_device`/`current_device`, `synchronize`, streams, events
  and their timers (wall-clock), `is_bf16_supported` (True through emulation below capability 8.0, as torch says),
  the CUDA random number generators (one per GPU, seeded by `torch.manual_seed` like the real ones, saved and
  restored by `get_rng_state`/`set_rng_state`), and `torch.accelerator`'s view of them.
- Tensors "on CUDA" are `SimTensor`s: their data stays in CPU memory, but they report `device.type == 'cuda'`,
  `is_cuda`, CUDA's `type()` and repr, and every ATen operation on them (forward and backward) checks its operands
  as CUDA does: an operation that mixes a simulated-CUDA tensor with a CPU tensor (other than a 0-dimensional one,
  which CUDA accepts as a scalar, and CPU indices, which indexing accepts) raises CUDA's
  "Expected all tensors to be on the same device" error, so do tensors of two different GPUs. They get there by
  `.to('cuda')`, `.cuda()`, `Module.to`/`.cuda()`, `device=` in any factory (`torch.zeros`, `randn`, `randperm`, ...,
  `torch.set_default_device` too); `.cpu()` and `.to('cpu')` copy back (differentiably), `.item()` and `.tolist()`
  work, `.numpy()` refuses as for a CUDA tensor. Random operations on them draw from the simulated GPU's generator,
  not the CPU's. Allocations count towards the GPU's memory (`memory_allocated`, `max_memory_allocated`), and one
  beyond its capacity raises `torch.OutOfMemoryError` as CUDA does.
- Pinned memory: `pin_memory()` (and the DataLoader's pinning thread) gives a CPU copy that `is_pinned()`.
- Mixed precision: `torch.autocast('cuda', dtype)` runs as the CPU's autocast with that dtype (fp16 by default, as on
  CUDA); the CPU's op lists are close to CUDA's: matrix products and convolutions in the low precision, losses,
  softmax and reductions in fp32. `torch.amp.GradScaler('cuda')` works unchanged (its kernels have CPU versions).
- Checkpoints: `torch.save` tags a simulated tensor's storage 'cuda:N', as it tags a real one, so a file written
  here loads on a CPU-only machine exactly as a real GPU's would: with `map_location`, and not without.
- torchrun: NCCL is reported available; `init_process_group('nccl', device_id=...)` records NCCL and runs Gloo
  underneath, and every collective on that group checks what NCCL checks: its tensors must be on this process's GPU
  (a CPU tensor is refused), and two processes on one GPU are refused ("Duplicate GPU detected").
- Triton and `torch.compile`: `has_triton()` answers as on a Colab GPU, where Triton is installed (True from
  capability 7.0); compiling a module or function that runs on simulated CUDA tensors fails loudly.
- A GPU the installed torch has no kernels for (this torch, built for CUDA 13, starts at capability 7.5; a P100 is
  6.0) gets torch's own warning at start-up, as on that GPU; the simulation then runs it as if torch had them.
- fp16 and bf16 convolutions are computed in fp32 and rounded, as a GPU's tensor cores accumulate in fp32.

What is not simulated fails loudly and names the API: every other `torch.cuda` function or class, a CUDA call that
reaches torch's C++ CUDA runtime (it would need a driver), `DistributedDataParallel` over simulated CUDA tensors
(its C++ reducer needs real device memory), CUDA graphs, loading CUDA storages without `map_location`, kernels that
exist on CUDA only (SyncBatchNorm's statistics kernels, for example: torch's own "Could not run" error names them),
and CUDA generators (`torch.Generator(device='cuda')` fails with torch's own driver error). Not simulated at all:
speed (everything runs at CPU speed), the GPU's exact rounding elsewhere, and asynchrony (every operation is
synchronous, so a missing `synchronize` before a timer goes unnoticed). Under `autocast('cuda')`, CPU tensors are
autocast too (on a GPU they are not).
"""
import argparse, functools, importlib.abc, importlib.machinery, os, shutil, sys, threading, time, warnings, weakref

HERE = os.path.dirname(os.path.abspath(__file__))
SITE = os.path.join(HERE, 'cuda_sim_site')   # holds the sitecustomize.py that loads this module when CUDA_SIM is set

GIB = 1024 ** 3
GPUS = {   # what torch reports on each of these GPUs (memory: the capacity its out-of-memory messages give)
    't4': dict(name='Tesla T4', major=7, minor=5, total_memory=int(14.75 * GIB), multi_processor_count=40),
    'p100': dict(name='Tesla P100-PCIE-16GB', major=6, minor=0, total_memory=int(15.89 * GIB), multi_processor_count=56),
    'a100': dict(name='NVIDIA A100-SXM4-40GB', major=8, minor=0, total_memory=int(39.39 * GIB), multi_processor_count=108),
}

SIM = None   # the simulation's state once installed: a `_Sim`


def not_simulated(api:str):
    "The error for an API this simulation does not provide."
    return NotImplementedError(f"cuda_sim: {api} is not simulated on this CPU-only machine (see tools/cuda_sim.py)")


def parse_spec(spec:str) -> tuple:
    "`'t4'` or `'t4:2'` (GPU kind and count) as `('t4', 2)`."
    kind, _, count = spec.partition(':')
    if kind not in GPUS: raise ValueError(f"CUDA_SIM={spec!r}: unknown GPU {kind!r}; known: {', '.join(GPUS)}")
    if count and not (count.isdigit() and int(count) >= 1): raise ValueError(f"CUDA_SIM={spec!r}: the count must be an integer >= 1")
    return kind, int(count or 1)


# ---------------------------------------------------------------------------------------------------------------------
# Everything below needs torch; it is defined by `install`, so that the command line and the import hook stay cheap.

def install(kind:str='t4', count:int=1):
    "Simulate `count` GPUs of kind `kind` in this process, from now on (idempotent for the same GPU)."
    global SIM
    if SIM is not None:
        if (SIM.kind, SIM.count) != (kind, count): raise RuntimeError(f"cuda_sim: already simulating {SIM.count} x {SIM.kind}")
        return SIM
    import torch
    SIM = _build(torch, kind, count)
    return SIM


def _build(torch, kind, count):
    import torch.distributed as dist, torch.utils._device   # noqa: F401  (the latter: the factories `device=` applies to)
    from torch.overrides import TorchFunctionMode

    Tensor, CONTAINERS = torch.Tensor, (list, tuple, dict)
    def tensors_in(x, out=None) -> list:
        "The tensors in `x`, an argument of an operation: a tensor, or lists, tuples and dicts of them (faster than pytree here)."
        out = [] if out is None else out
        if isinstance(x, Tensor): out.append(x)
        elif type(x) in CONTAINERS:
            for v in (x.values() if type(x) is dict else x):
                if isinstance(v, Tensor): out.append(v)
                elif type(v) in CONTAINERS: tensors_in(v, out)
        return out

    def map_tensors(f, x):
        "`x` with `f` applied to each tensor in it, its lists, tuples and dicts kept."
        if isinstance(x, Tensor): return f(x)
        t = type(x)
        if t is tuple or t is list:
            out = [f(v) if isinstance(v, Tensor) else map_tensors(f, v) if type(v) in CONTAINERS else v for v in x]
            return out if t is list else tuple(out)
        if t is dict: return {k: map_tensors(f, v) for k, v in x.items()}
        return x

    aten = torch.ops.aten
    props = GPUS[kind]

    class GPUGenerator:
        """A simulated GPU's random generator: seeded like CUDA's (same seed, same numbers on every GPU), but a stream of its
        own, not the CPU's for the same seed, as CUDA's Philox generator is not the CPU's Mersenne twister."""
        def __init__(self, seed): self.g = torch.Generator(); self.manual_seed(seed)
        def manual_seed(self, seed):
            self.seed = int(seed)
            self.g.manual_seed((self.seed * 0x9E3779B97F4A7C15 + 0x632BE59BD9B4E019) % 2**64)
            return self
        def seed_(self): return self.manual_seed(torch.Generator().seed()).seed
        def initial_seed(self): return self.seed
        def get_state(self): return self.g.get_state()
        def set_state(self, state): self.g.set_state(state)

    class _Sim:
        "The simulated machine: its GPUs, the current one, their random generators and memory counters."
        def __init__(self):
            self.kind, self.count, self.current = kind, count, 0
            self.generators = [GPUGenerator(torch.initial_seed()) for _ in range(count)]
            self.allocated, self.peak = [0] * count, [0] * count
            self.storages = {}          # data pointer -> [live SimTensors on it, bytes, GPU index]
            self.nccl = None            # under torchrun: {'device': bound GPU index or None} once NCCL was asked for
        def device(self, d=None) -> 'torch.device':
            "A CUDA device as torch normalises it: an index always, the current GPU when none is given; a bad index refused."
            if d is None: i = self.current
            elif isinstance(d, int): i = d
            else:
                d = torch.device(d)
                if d.type != 'cuda': raise ValueError(f"cuda_sim: expected a CUDA device, got {d}")
                i = self.current if d.index is None else d.index
            if not 0 <= i < self.count: raise RuntimeError("CUDA error: invalid device ordinal (cuda_sim: "
                                                           f"{self.count} simulated GPU{'s' if self.count > 1 else ''})")
            return torch.device('cuda', i)
    sim = _Sim()

    def is_cuda(d) -> bool:
        "Whether `d` (a device, string or index) names a CUDA device."
        if isinstance(d, torch.device): return d.type == 'cuda'
        if isinstance(d, str): return d.split(':')[0] == 'cuda'
        return isinstance(d, int) and not isinstance(d, bool)

    class rng_of:
        "Within the block, torch's CPU generator holds GPU `i`'s state: random operations draw from the simulated GPU."
        def __init__(self, i): self.i = i
        def __enter__(self):
            self.saved = torch.default_generator.get_state()
            torch.default_generator.set_state(sim.generators[self.i].get_state())
        def __exit__(self, *exc):
            sim.generators[self.i].set_state(torch.default_generator.get_state())
            torch.default_generator.set_state(self.saved)

    # --- memory: every storage a SimTensor holds is counted once, while any SimTensor holds it ---
    def track(t, i):
        ptr = t.elem.untyped_storage().data_ptr()
        if not ptr: return
        if ptr in sim.storages: sim.storages[ptr][0] += 1
        else:
            nbytes = t.elem.untyped_storage().nbytes()
            if sim.allocated[i] + nbytes > props['total_memory']:
                free = props['total_memory'] - sim.allocated[i]
                raise torch.OutOfMemoryError(
                    f"CUDA out of memory. Tried to allocate {nbytes / 2**20:.2f} MiB. GPU {i} has a total capacity of "
                    f"{props['total_memory'] / GIB:.2f} GiB of which {free / 2**20:.2f} MiB is free. (cuda_sim: a simulated "
                    f"{props['name']})")
            sim.storages[ptr] = [1, nbytes, i]
            sim.allocated[i] += nbytes; sim.peak[i] = max(sim.peak[i], sim.allocated[i])
        weakref.finalize(t.elem, untrack, ptr)   # on the data, not the SimTensor: torch.utils.swap_tensors refuses a tensor with weak references

    def untrack(ptr):
        entry = sim.storages.get(ptr)
        if entry is None: return
        entry[0] -= 1
        if entry[0] == 0:
            del sim.storages[ptr]; sim.allocated[entry[2]] -= entry[1]

    # --- the tensor ---
    SAME_DEVICE_MSG = "Expected all tensors to be on the same device, but found at least two devices, {} and {}!"
    CROSS_DEVICE = {aten.copy_.default, aten._to_copy.default, aten._local_scalar_dense.default}
    CPU_INDICES = {aten.index.Tensor, aten.index_put_.default, aten.index_put.default, aten._index_put_impl_.default}
    # fp16/bf16 convolutions: computed in fp32 and rounded, as a GPU's tensor cores accumulate in fp32 (the CPU's own
    # fp16 convolution is a reference kernel, some 40 times slower than its fp32 one)
    ACCUMULATE_FP32, LOW = {aten.convolution.default, aten.convolution_backward.default}, (torch.float16, torch.bfloat16)
    NOT_SIMULATED = {aten.set_.source_Tensor, aten.set_.source_Storage,
                     aten.set_.source_Storage_storage_offset, aten.set_.default}   # change a tensor's own metadata

    class SimTensor(torch.Tensor):
        "A tensor on a simulated GPU: its data (`elem`) is a CPU tensor; it reports and checks itself as CUDA's."
        @staticmethod
        def __new__(cls, elem, device):
            t = torch.Tensor._make_wrapper_subclass(cls, elem.size(), strides=elem.stride(), storage_offset=elem.storage_offset(),
                                                    dtype=elem.dtype, layout=elem.layout, device='cpu', requires_grad=False)
            t.elem, t.sim_device = elem, device
            track(t, device.index)
            return t

        __torch_function__ = torch._C._disabled_torch_function_impl   # everything is handled below ATen's autograd

        @classmethod
        def __torch_dispatch__(cls, func, types, args=(), kwargs=None):
            with torch._C.DisableTorchFunction():   # what runs below is plain CPU work: it needs no trip through the mode
                return dispatch(func, args, kwargs or {})

        # what CUDA tensors say about themselves
        device = property(lambda self: self.sim_device)
        is_cuda = property(lambda self: True)
        is_cpu = property(lambda self: False)
        def get_device(self): return self.sim_device.index
        def data_ptr(self): return self.elem.data_ptr()
        def untyped_storage(self): return self.elem.untyped_storage()
        def is_pinned(self, device=None): return False
        def pin_memory(self, device=None):
            raise RuntimeError(f"cannot pin '{self.type()}' only dense CPU tensors can be pinned")
        def numpy(self, *, force=False):
            raise TypeError(f"can't convert {self.sim_device} device type tensor to numpy. Use Tensor.cpu() to copy the tensor "
                            "to host memory first.")
        def __array__(self, dtype=None, copy=None): return self.numpy()
        def tolist(self): return self.elem.tolist()
        def __format__(self, spec): return self.item().__format__(spec) if self.dim() == 0 else object.__format__(self, spec)
        def __reduce_ex__(self, protocol): return self.elem.__reduce_ex__(protocol)   # a plain tensor, its storage tagged cuda:N
        def __deepcopy__(self, memo):
            if id(self) not in memo: memo[id(self)] = SimTensor(self.elem.clone(), self.sim_device).requires_grad_(self.requires_grad)
            return memo[id(self)]
        def type(self, dtype=None, non_blocking=False):
            if dtype is None: return super().type().replace('torch.', 'torch.cuda.', 1)
            if isinstance(dtype, str): raise not_simulated(f"Tensor.type({dtype!r})")
            return self.to(dtype)

        @property
        def data(self): return torch.Tensor.data.__get__(self)
        @data.setter
        def data(self, new):
            if not (type(new) is SimTensor and new.shape == self.shape and new.stride() == self.stride() and new.dtype == self.dtype):
                raise not_simulated("assigning .data of another shape, layout, dtype or device to a CUDA tensor")
            self.elem, self.sim_device = new.elem, new.sim_device

        def cpu(self, memory_format=torch.preserve_format): return self.to('cpu', memory_format=memory_format)
        def cuda(self, device=None, non_blocking=False, memory_format=torch.preserve_format):
            return self.to(sim.device(device), memory_format=memory_format)
        def to(self, *args, **kwargs):
            device, dtype, memory_format, copy = parse_to(args, kwargs)
            dtype, mf = dtype or self.dtype, memory_format or torch.preserve_format
            if device is not None and device.type != 'cuda':   # back to the CPU (copied, and differentiable like CUDA's)
                if device.type != 'cpu': raise not_simulated(f"moving a CUDA tensor to {device}")
                return ToCPU.apply(self, dtype, mf)
            target = self.sim_device if device is None else sim.device(device)
            if target != self.sim_device: return ToCUDA.apply(ToCPU.apply(self, dtype, mf), target)
            if dtype == self.dtype and mf in (torch.preserve_format, None) and not copy: return self
            if mf not in (torch.preserve_format, None) and dtype == self.dtype and not copy and self.is_contiguous(memory_format=mf):
                return self
            return aten._to_copy.default(self, dtype=dtype, memory_format=mf)

        def __repr__(self, *, tensor_contents=None):   # as torch prints a CUDA tensor: `tensor([...], device='cuda:0')`
            text = torch._tensor_str._str(self, tensor_contents=tensor_contents)
            if text.startswith('Parameter('): text = text[len('Parameter('):-1]   # torch's form for a subclass's parameter
            lines = text.split('\n')
            text = '\n'.join(['tensor(' + lines[0][len('SimTensor('):]] + [l[3:] if l.startswith(' ' * 10) else l for l in lines[1:]])
            return 'Parameter containing:\n' + text if isinstance(self, torch.nn.Parameter) else text

    def unwrap(t): return t.elem if type(t) is SimTensor else t

    flags = {}   # operation -> what `dispatch` needs to know of it, worked out once
    def flags_of(func):
        f = flags[func] = dict(cross=func in CROSS_DEVICE, cpu_indices=func in CPU_INDICES, accumulate=func in ACCUMULATE_FP32,
                               inplace_view=torch.Tag.inplace_view in func.tags,
                               random=torch.Tag.nondeterministic_seeded in func.tags)
        return f

    def dispatch(func, args, kwargs):
        "An ATen operation on SimTensors: checked as CUDA checks it, run on their CPU data, its results SimTensors."
        if func in NOT_SIMULATED: raise not_simulated(f"{func} on a CUDA tensor")
        f = flags.get(func) or flags_of(func)
        flat = tensors_in((args, kwargs))
        sims = [t for t in flat if type(t) is SimTensor]
        device = sims[0].sim_device
        if not f['cross']:   # CUDA's check: one device; a 0-dim CPU tensor is a scalar; indexing takes CPU indices
            others = {t.sim_device for t in sims if t.sim_device != device}
            checked = flat if not f['cpu_indices'] else tensors_in((args[:1], args[2:], kwargs))
            if any(type(t) is not SimTensor and t.dim() > 0 for t in checked): others.add('cpu')
            if others: raise RuntimeError(SAME_DEVICE_MSG.format(device, sorted(map(str, others))[0]) + f" (cuda_sim: {func})")
        if func is aten.record_stream.default: return None
        if isinstance(kwargs.get('generator'), torch.Generator):   # only the simulated GPU's generator draws for CUDA
            raise RuntimeError("Expected a 'cuda' device type for generator but found 'cpu'")
        if func is aten._to_copy.default and is_cuda(kwargs.get('device')):   # to another GPU
            return SimTensor(func(unwrap(args[0]), **{**kwargs, 'device': torch.device('cpu')}), sim.device(kwargs['device']))
        if func is aten.copy_.default:   # either side may be on the CPU
            dst = args[0]
            unwrap(dst).copy_(unwrap(args[1]))
            return dst
        uargs, ukwargs = map_tensors(unwrap, args), map_tensors(unwrap, kwargs)
        # A device here comes from torch's C++ (autograd's `grad.to(input.options())`, for one), which sees a SimTensor's
        # data as CPU memory: it means "this tensor's device". Python's `.cpu()` and `.to('cpu')` never get here.
        if ukwargs.get('device') is not None: ukwargs['device'] = torch.device('cpu')
        if f['accumulate'] and len(low := {t.dtype for t in tensors_in(uargs) if t.is_floating_point()}) == 1 \
                and (low := low.pop()) in LOW:
            up = lambda t: t.float() if t.dtype == low else t
            out = map_tensors(lambda o: o.to(low) if o.is_floating_point() else o, func(*map_tensors(up, uargs), **ukwargs))
            return map_tensors(lambda o: SimTensor(o, device), out)
        if func is aten.resize_.default:   # the data, then the SimTensor's own sizes (object collectives resize their buffers)
            ptr = args[0].elem.untyped_storage().data_ptr()
            func(*uargs, **ukwargs)
            with torch.utils._mode_utils.no_dispatch(): torch.Tensor.resize_(args[0], *args[1:], **kwargs)
            if args[0].elem.untyped_storage().data_ptr() != ptr: track(args[0], device.index)
            return args[0]
        if f['inplace_view']:   # as_strided_, t_, squeeze_...: the data's view, then the SimTensor's own sizes
            func(*uargs, **ukwargs)
            with torch.utils._mode_utils.no_dispatch():   # as torch's return_and_correct_aliasing does for its subclasses
                meta = torch._C._meta_in_tls_dispatch_include()
                torch._C._set_meta_in_tls_dispatch_include(True)
                try: func(*args, **kwargs)
                finally: torch._C._set_meta_in_tls_dispatch_include(meta)
            return args[0]
        if f['random']:
            with rng_of(device.index): out = func(*uargs, **ukwargs)
        else: out = func(*uargs, **ukwargs)
        mine = {id(t.elem): t for t in sims}   # an in-place operation returns its own argument
        return map_tensors(lambda o: mine[id(o)] if id(o) in mine else SimTensor(o, device), out)

    class ToCPU(torch.autograd.Function):
        "A simulated GPU's tensor copied to the CPU; its gradient goes back to that GPU."
        @staticmethod
        def forward(ctx, x, dtype, memory_format):
            ctx.device, ctx.dtype = x.sim_device, x.dtype
            return x.elem.to(dtype=dtype, memory_format=memory_format, copy=True)
        @staticmethod
        def backward(ctx, g): return SimTensor(g.to(ctx.dtype, copy=True), ctx.device), None, None

    class ToCUDA(torch.autograd.Function):
        "A CPU tensor copied to a simulated GPU; its gradient comes back to the CPU."
        @staticmethod
        def forward(ctx, x, device):
            ctx.dtype = x.dtype
            return SimTensor(x.detach().clone(), device)
        @staticmethod
        def backward(ctx, g): return g.to('cpu').to(ctx.dtype), None

    def parse_to(args, kwargs):
        "`Tensor.to`'s arguments as (device, dtype, memory_format, copy); a tensor argument lends its device and dtype."
        kwargs = dict(kwargs); copy = kwargs.pop('copy', False)
        if args and isinstance(args[0], torch.Tensor):              # .to(other, non_blocking=False, copy=False)
            return args[0].device, args[0].dtype, kwargs.get('memory_format'), copy or (len(args) > 2 and args[2])
        last = 3 if args and isinstance(args[0], torch.dtype) else 4  # .to(dtype, nb, copy) or .to(device, dtype, nb, copy)
        if len(args) == last: copy, args = copy or args[-1], args[:-1]
        device, dtype, _, memory_format = torch._C._nn._parse_to(*args, **kwargs)
        return (sim.device(device) if device is not None and device.type == 'cuda' else device), dtype, memory_format, copy

    # --- how tensors get to the simulated GPU: a mode sees every torch call before torch's CUDA backend would ---
    class CudaSimMode(TorchFunctionMode):
        "Routes what asks for CUDA (`.to('cuda')`, `.cuda()`, `device=` of any factory) to `SimTensor`s."
        def __torch_function__(self, func, types, args=(), kwargs=None):
            kwargs = kwargs or {}
            if func is torch.Tensor.to or func is torch.Tensor.cuda:
                self_, rest = args[0], args[1:]
                if type(self_) is SimTensor: return getattr(SimTensor, func.__name__)(self_, *rest, **kwargs)
                if func is torch.Tensor.cuda:
                    device = sim.device(rest[0] if rest else kwargs.get('device'))
                    return ToCUDA.apply(self_.to(memory_format=kwargs.get('memory_format', torch.preserve_format)), device)
                device, dtype, mf, copy = parse_to(rest, kwargs)
                if device is not None and is_cuda(device):
                    return ToCUDA.apply(self_.to(dtype=dtype or self_.dtype, memory_format=mf or torch.preserve_format), device)
                return func(*args, **kwargs)
            device = kwargs.get('device')
            if device is None and func in FACTORIES and is_cuda(default := torch.utils._device.CURRENT_DEVICE):
                device = default   # torch.set_default_device('cuda') and `with torch.device('cuda')` (their mode runs after ours)
            if device is None or not is_cuda(device):
                if kwargs.get('pin_memory'): return pinned(func(*args, **{**kwargs, 'pin_memory': False}))
                return func(*args, **kwargs)
            device = sim.device(device)
            kwargs = {**kwargs, 'device': torch.device('cpu')}
            if kwargs.get('pin_memory'): raise RuntimeError("Only dense CPU tensors can be pinned")
            with rng_of(device.index): out = func(*args, **kwargs)   # randn, randperm, ... draw from the GPU's generator
            return map_tensors(lambda o: o if type(o) is SimTensor else to_gpu(o, device), out)

    def to_gpu(t, device):
        "A CPU result as the SimTensor it stands for: differentiably if it has a history, a leaf that requires grad if it was one."
        if t.grad_fn is not None: return ToCUDA.apply(t, device)
        return SimTensor(t.detach(), device).requires_grad_(t.requires_grad)

    FACTORIES = torch.utils._device._device_constructors()
    mode = CudaSimMode()

    # --- pinned memory, patched on the class so that it works in every thread (the DataLoader pins in one of its own) ---
    def pinned(t):
        t._cuda_sim_pinned = True
        return t
    plain_is_pinned = torch.Tensor.is_pinned
    def pin_memory(self, device=None):
        if type(self) is SimTensor: return SimTensor.pin_memory(self)
        return self if getattr(self, '_cuda_sim_pinned', False) else pinned(self.clone())
    torch.Tensor.pin_memory = pin_memory
    torch.Tensor.is_pinned = lambda self, device=None: getattr(self, '_cuda_sim_pinned', False) or plain_is_pinned(self)

    # --- torch.cuda ---
    class DeviceProperties:
        "What `torch.cuda.get_device_properties` returns, for the simulated GPU."
        def __init__(self): self.__dict__.update(props, is_integrated=False, is_multi_gpu_board=False, uuid=f'cuda-sim-{kind}')
        def __repr__(self):
            return (f"_CudaDeviceProperties(name='{self.name}', major={self.major}, minor={self.minor}, total_memory="
                    f"{self.total_memory // 2**20}MB, multi_processor_count={self.multi_processor_count}, uuid={self.uuid})")

    class Event:
        "A CUDA event: since every simulated operation is synchronous, `record` notes the wall-clock time."
        def __init__(self, enable_timing=False, blocking=False, interprocess=False, external=False):
            self.enable_timing, self.time = enable_timing, None
        def record(self, stream=None): self.time = time.perf_counter()
        def synchronize(self): pass
        def query(self): return True
        def wait(self, stream=None): pass
        def elapsed_time(self, end):
            if not (self.enable_timing and end.enable_timing):
                raise RuntimeError("Both events must be created with argument 'enable_timing=True'.")
            if self.time is None or end.time is None: raise RuntimeError("Both events must be recorded before calculating elapsed time.")
            return (end.time - self.time) * 1000.0

    class Stream:
        "A CUDA stream: operations are synchronous here, so there is nothing to wait for."
        def __init__(self, device=None, priority=0, **kwargs):
            self.device, self.priority = sim.device(device), priority
            self.device_index, self.device_type, self.cuda_stream = self.device.index, 'cuda', 0
        def synchronize(self): pass
        def is_capturing(self): return False   # no CUDA graphs here
        def query(self): return True
        def wait_stream(self, stream): pass
        def wait_event(self, event): pass
        def record_event(self, event=None):
            event = event or Event(); event.record(self); return event
        def __eq__(self, other): return isinstance(other, Stream) and other.device == self.device
        def __hash__(self): return hash(self.device)
        def __enter__(self): return self
        def __exit__(self, *exc): pass

    class device_ctx:
        "`torch.cuda.device(i)`: the current GPU within the block."
        def __init__(self, device): self.idx = -1 if device is None or (isinstance(device, int) and device < 0) else idx(device)
        def __enter__(self):
            self.prev = sim.current
            if self.idx >= 0: sim.current = self.idx
        def __exit__(self, *exc): sim.current = self.prev

    idx = lambda device=None: sim.device(device).index   # the GPU index that `device` names (the current one for None)
    def memory_stats(device=None):
        i = idx(device)
        return {'allocated_bytes.all.current': sim.allocated[i], 'allocated_bytes.all.peak': sim.peak[i],
                'reserved_bytes.all.current': sim.allocated[i], 'reserved_bytes.all.peak': sim.peak[i], 'num_ooms': 0}

    def set_device(device):
        if not (isinstance(device, int) and device < 0): sim.current = idx(device)   # a negative index is a no-op, as in torch
    def reset_peak(device=None): sim.peak[idx(device)] = sim.allocated[idx(device)]
    def set_rng_state(new_state, device='cuda'): sim.generators[idx(device)].set_state(new_state)
    def set_rng_state_all(new_states):
        for g, state in zip(sim.generators, new_states): g.set_state(state)
    def manual_seed(seed): sim.generators[sim.current].manual_seed(seed)
    def manual_seed_all(seed):
        for g in sim.generators: g.manual_seed(seed)
    def seed(): sim.generators[sim.current].seed_()
    def seed_all(): manual_seed_all(sim.generators[0].seed_())
    streams = {}
    def current_stream(device=None): return streams.setdefault(sim.device(device), Stream(device))
    api = dict(
        is_available=lambda: True, is_initialized=lambda: True, init=lambda: None,
        device_count=lambda: count, current_device=lambda: sim.current, set_device=set_device,
        get_device_name=lambda device=None: idx(device) is not None and props['name'],
        get_device_capability=lambda device=None: idx(device) is not None and (props['major'], props['minor']),
        get_device_properties=lambda device=None: idx(device) is not None and DeviceProperties(),
        is_bf16_supported=lambda including_emulation=True: props['major'] >= 8 or including_emulation,
        is_tf32_supported=lambda: props['major'] >= 8,
        synchronize=lambda device=None: None, ipc_collect=lambda: None, empty_cache=lambda: None,
        is_current_stream_capturing=lambda: False,
        mem_get_info=lambda device=None: (props['total_memory'] - sim.allocated[idx(device)], props['total_memory']),
        memory_allocated=lambda device=None: sim.allocated[idx(device)], max_memory_allocated=lambda device=None: sim.peak[idx(device)],
        memory_reserved=lambda device=None: sim.allocated[idx(device)], max_memory_reserved=lambda device=None: sim.peak[idx(device)],
        reset_peak_memory_stats=reset_peak, reset_max_memory_allocated=reset_peak, memory_stats=memory_stats,
        get_rng_state=lambda device='cuda': sim.generators[idx(device)].get_state(),
        get_rng_state_all=lambda: [g.get_state() for g in sim.generators],
        set_rng_state=set_rng_state, set_rng_state_all=set_rng_state_all, manual_seed=manual_seed, manual_seed_all=manual_seed_all,
        seed=seed, seed_all=seed_all, initial_seed=lambda: sim.generators[sim.current].initial_seed(),
        Event=Event, Stream=Stream, device=device_ctx, current_stream=current_stream, default_stream=current_stream,
        stream=lambda stream: stream if stream is not None else device_ctx(None),
        device_of=lambda obj: device_ctx(obj.get_device() if getattr(obj, 'is_cuda', False) else -1),
    )
    api['default_generators'] = tuple(sim.generators)
    cuda = torch.cuda
    BUILD_FACTS = ('get_arch_list', 'get_gencode_flags')   # what this torch was built for: true here too
    for name in dir(cuda):   # every other public function and class of torch.cuda: a loud refusal
        obj = getattr(cuda, name)
        if name.startswith('_') or name in api or name in BUILD_FACTS or not callable(obj): continue
        if not (getattr(obj, '__module__', None) or '').startswith('torch.cuda'): continue
        if isinstance(obj, type) and issubclass(obj, BaseException): continue    # OutOfMemoryError and its kin stay
        if isinstance(obj, type) and name.endswith(('Tensor', 'Storage')): continue   # legacy type objects (isinstance checks)
        api[name] = refusing(f"torch.cuda.{name}", obj)
    for name, obj in api.items(): setattr(cuda, name, obj)
    cuda.random.__dict__.update({k: api[k] for k in ('get_rng_state', 'get_rng_state_all', 'set_rng_state', 'set_rng_state_all',
                                                     'manual_seed', 'manual_seed_all', 'seed', 'seed_all', 'initial_seed')})
    torch.backends.cudnn.is_available = lambda: True
    torch.backends.cudnn.version = lambda: 91002

    def lazy_init_reached():
        caller = sys._getframe(1)
        raise not_simulated(f"a CUDA call that reached torch's C++ CUDA runtime (from {caller.f_code.co_name} in "
                            f"{os.path.basename(caller.f_code.co_filename)}:{caller.f_lineno})")
    cuda._lazy_init = lazy_init_reached   # what torch's C++ calls before it touches CUDA; nothing of ours gets there

    acc = torch.accelerator   # the device-generic API (the DataLoader's pinning uses it)
    acc_api = dict(is_available=lambda check_available=False: True,
                   current_accelerator=lambda check_available=False: torch.device('cuda'),
                   device_count=lambda: count, current_device_index=lambda: sim.current, current_device_idx=lambda: sim.current,
                   set_device_index=set_device, set_device_idx=set_device, synchronize=lambda device=None: None,
                   current_stream=current_stream,
                   get_device_capability=lambda device=None: {'major': props['major'], 'minor': props['minor']},
                   empty_cache=lambda: None, memory_allocated=api['memory_allocated'], max_memory_allocated=api['max_memory_allocated'],
                   memory_reserved=api['memory_reserved'], reset_peak_memory_stats=reset_peak, memory_stats=memory_stats,
                   get_memory_info=api['mem_get_info'])
    for name in dir(acc):
        obj = getattr(acc, name)
        if not name.startswith('_') and callable(obj) and (getattr(obj, '__module__', None) or '').startswith('torch.accelerator'):
            setattr(acc, name, acc_api.get(name) or refusing(f"torch.accelerator.{name}", obj))

    # --- `Module.to('cuda')` keeps each parameter object (torch moves a dense tensor between devices with `param.data =`, so
    # an optimizer made before the move still holds the model's parameters); here the object is swapped in place ---
    torch.__future__.set_swap_module_params_on_conversion(True)

    # --- mixed precision ---
    from torch.amp import autocast_mode
    autocast_init = autocast_mode.autocast.__init__
    def __init__(self, device_type, dtype=None, enabled=True, cache_enabled=None):
        if device_type != 'cuda': return autocast_init(self, device_type, dtype=dtype, enabled=enabled, cache_enabled=cache_enabled)
        dtype = dtype or cuda_autocast_dtype('cuda')
        if enabled and dtype == torch.bfloat16 and not cuda.is_bf16_supported():
            raise RuntimeError("Current CUDA Device does not support bfloat16. Please switch dtype to float16.")
        if enabled and dtype not in (torch.float16, torch.bfloat16):
            warnings.warn("In CUDA autocast, but the target dtype is not supported. Disabling autocast.\n"
                          "CUDA Autocast only supports dtypes of torch.float16, torch.bfloat16 currently.")
            enabled = False
        autocast_init(self, 'cpu', dtype=dtype, enabled=enabled, cache_enabled=cache_enabled)
        self.simulated_cuda = True
    autocast_mode.autocast.__init__ = __init__
    cuda_autocast_dtype, autocast_enabled = torch.get_autocast_dtype, torch.is_autocast_enabled
    @functools.wraps(autocast_enabled)
    def is_autocast_enabled(device_type='cuda'):   # CUDA's autocast state is the CPU's here
        return autocast_enabled('cpu' if device_type == 'cuda' else device_type)
    @functools.wraps(cuda_autocast_dtype)
    def get_autocast_dtype(device_type):
        if device_type == 'cuda' and autocast_enabled('cpu'): return cuda_autocast_dtype('cpu')
        return cuda_autocast_dtype(device_type)
    torch.is_autocast_enabled, torch.get_autocast_dtype = is_autocast_enabled, get_autocast_dtype

    # --- checkpoints: a simulated tensor's storage is saved as a CUDA storage ---
    import torch.serialization as ser
    def tag(storage):
        entry = sim.storages.get(storage.data_ptr()) if storage.device.type == 'cpu' else None
        return f'cuda:{entry[2]}' if entry else None
    def restore(storage, location):
        if location.startswith('cuda'): raise not_simulated(f"torch.load of a storage saved on {location} without a map_location")
    ser.register_package(1, tag, restore)

    # --- torchrun: NCCL asked for, Gloo underneath, NCCL's checks on every collective ---
    if dist.is_available():
        c10d = dist.distributed_c10d
        real_init = c10d.init_process_group
        @functools.wraps(real_init)
        def init_process_group(backend=None, *args, device_id=None, **kwargs):
            wants_nccl = backend is None or 'nccl' in str(backend)
            if wants_nccl:
                sim.nccl = {'device': sim.device(device_id).index if device_id is not None else None, 'checked': False, 'checking': False}
                backend = 'gloo'
            return real_init(backend, *args, device_id=None if wants_nccl else device_id, **kwargs)
        real_get_backend = c10d.get_backend
        def get_backend(group=None): return 'nccl' if sim.nccl is not None and group in (None, c10d.GroupMember.WORLD) else real_get_backend(group)
        real_coll_device = c10d._get_object_coll_device
        def _get_object_coll_device(group=None): return 'cuda' if sim.nccl is not None else real_coll_device(group)

        def nccl_checked(name, fn):
            @functools.wraps(fn)
            def collective(*args, **kwargs):
                tensors = tensors_in((args, kwargs))
                if sim.nccl is not None and tensors and not sim.nccl['checking']:
                    if any(type(t) is not SimTensor for t in tensors):
                        raise RuntimeError(f"No backend type associated with device type cpu (cuda_sim: {name} on an NCCL process "
                                           "group takes CUDA tensors only)")
                    bound_device(tensors[0].sim_device.index)
                    if any(t.sim_device.index != sim.nccl['device'] for t in tensors):
                        raise RuntimeError(f"cuda_sim: {name}: NCCL's tensors must be on this process's GPU, "
                                           f"cuda:{sim.nccl['device']}")
                with torch._C.DisableTorchFunction():   # torch's collective would hand itself back to the mode, and so to us
                    return fn(*map_tensors(unwrap, args), **map_tensors(unwrap, kwargs))
            return collective

        def bound_device(index):
            "The GPU this process's NCCL communicator is bound to; at the first use, refuse two processes on one GPU (as NCCL does)."
            n = sim.nccl
            if n['device'] is None: n['device'] = index
            if not n['checked']:
                n['checked'] = n['checking'] = True
                devices = [None] * c10d.get_world_size()
                try: real_all_gather_object(devices, n['device'])   # the simulation's own exchange, not the program's
                finally: n['checking'] = False
                seen = {}
                for rank, d in enumerate(devices):
                    if d in seen:
                        raise RuntimeError(f"NCCL error: invalid usage. Last error: Duplicate GPU detected : rank {rank} and rank "
                                           f"{seen[d]} both on CUDA device {d} (cuda_sim: call torch.cuda.set_device(LOCAL_RANK) "
                                           "or pass device_id before the first collective)")
                    seen[d] = rank
            return n['device']

        real_all_gather_object = c10d.all_gather_object
        patched = dict(init_process_group=init_process_group, get_backend=get_backend, is_nccl_available=lambda: True)
        for name in ('all_reduce', 'broadcast', 'all_gather', 'all_gather_into_tensor', 'reduce_scatter', 'reduce_scatter_tensor',
                     'reduce', 'gather', 'scatter', 'all_to_all', 'all_to_all_single', 'send', 'recv', 'isend', 'irecv'):
            if hasattr(c10d, name): patched[name] = nccl_checked(name, getattr(c10d, name))
        for name, fn in patched.items():
            setattr(c10d, name, fn)
            if hasattr(dist, name): setattr(dist, name, fn)
        c10d._get_object_coll_device = _get_object_coll_device

        DDP = torch.nn.parallel.DistributedDataParallel
        ddp_init = DDP.__init__
        @functools.wraps(ddp_init)
        def ddp_refused(self, module, *args, **kwargs):
            if any(type(p) is SimTensor for p in module.parameters()):
                raise not_simulated("DistributedDataParallel over simulated CUDA tensors (its C++ reducer needs real device memory)")
            ddp_init(self, module, *args, **kwargs)
        DDP.__init__ = ddp_refused

    # --- Triton and torch.compile ---
    import torch.utils._triton as triton_utils
    triton_utils.has_triton = lambda *a, **k: (props['major'], props['minor']) >= (7, 0)
    real_compile = torch.compile
    @functools.wraps(real_compile)
    def compile(model=None, **kwargs):
        if model is None: return lambda m: compile(m, **kwargs)
        if isinstance(model, torch.nn.Module) and any(type(t) is SimTensor for t in (*model.parameters(), *model.buffers())):
            raise not_simulated("torch.compile of a model on simulated CUDA (Triton kernels need a real GPU)")
        compiled = real_compile(model, **kwargs)
        if isinstance(model, torch.nn.Module): return compiled
        @functools.wraps(model)
        def checked(*args, **kw):
            if any(type(t) is SimTensor for t in tensors_in((args, kw))):
                raise not_simulated("torch.compile of a function called with simulated CUDA tensors (Triton kernels need a real GPU)")
            return compiled(*args, **kw)
        return checked
    torch.compile = compile

    # --- the mode, in this thread and in every thread started from now on ---
    mode.__enter__()
    bootstrap = threading.Thread._bootstrap_inner
    def _bootstrap_inner(self):
        with mode: bootstrap(self)
    threading.Thread._bootstrap_inner = _bootstrap_inner

    torch.cuda._check_capability(); torch.cuda._check_cubins()   # torch's own warning for a GPU its build has no kernels for
    sim.SimTensor, sim.mode = SimTensor, mode
    return sim


def refusing(api:str, original):
    "A stand-in for `original`, the function or class `api`, that raises `not_simulated` when called (or instantiated)."
    # its name and docstring, and `__wrapped__` (torch._dynamo reads it); a class's namespace is not copied
    @functools.wraps(original, updated=() if isinstance(original, type) else functools.WRAPPER_UPDATES)
    def refuse(*args, **kwargs): raise not_simulated(api)
    return refuse


def is_simulated(t) -> bool:
    "Whether `t` is a tensor on a simulated GPU."
    return SIM is not None and type(t) is SIM.SimTensor


# ---------------------------------------------------------------------------------------------------------------------
# Loading: at torch's import, in every process whose environment has CUDA_SIM

class _AfterTorchImport(importlib.abc.MetaPathFinder):
    "Installs the simulation right after `import torch` has run torch's `__init__`."
    def __init__(self, spec): self.spec = spec
    def find_spec(self, name, path=None, target=None):
        if name != 'torch': return None
        spec = importlib.machinery.PathFinder.find_spec(name, path)   # asked by an import, or by importlib.util.find_spec
        if spec is None or spec.loader is None: return spec
        run = spec.loader.exec_module
        def exec_module(module):
            run(module)
            if self in sys.meta_path: sys.meta_path.remove(self)
            install(*parse_spec(self.spec))
        spec.loader.exec_module = exec_module
        return spec


def install_on_torch_import(spec:str):
    "Simulate the GPUs of `spec` ('t4', 't4:2'...) from the moment this process imports torch (now, if it has)."
    kind, count = parse_spec(spec)
    if 'torch' in sys.modules: install(kind, count)
    else: sys.meta_path.insert(0, _AfterTorchImport(spec))


def environment(kind:str, count:int=1, env=None) -> dict:
    "A copy of `env` (default: this process's) under which every Python process simulates `count` GPUs of `kind`."
    env = dict(os.environ if env is None else env)
    env['CUDA_SIM'] = f'{kind}:{count}'
    env['PYTHONPATH'] = os.pathsep.join([SITE] + [p for p in env.get('PYTHONPATH', '').split(os.pathsep) if p and p != SITE])
    return env


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0], usage='%(prog)s [--gpu GPU] [--count N] (SCRIPT | -m MODULE) [ARGS...]')
    p.add_argument('--gpu', default='t4', choices=sorted(GPUS), help='the GPU to simulate (default: t4)')
    p.add_argument('--count', type=int, default=1, help='how many of them (default: 1)')
    p.add_argument('-m', dest='module', help='run a module, as `python -m MODULE`')
    p.add_argument('script', nargs='?', help='a Python file, or a console script on PATH (cifar_learn_train)')
    p.add_argument('args', nargs=argparse.REMAINDER, help='its arguments')
    a = p.parse_args(argv)
    if a.count < 1: p.error('--count must be at least 1')
    if a.module: cmd = ['-m', a.module] + ([a.script] if a.script else []) + a.args
    elif a.script:
        script = a.script if os.path.isfile(a.script) else shutil.which(a.script)
        if not script: p.error(f'no such script or command: {a.script}')
        cmd = [script] + a.args
    else: p.error('give a SCRIPT or -m MODULE')
    os.execve(sys.executable, [sys.executable] + cmd, environment(a.gpu, a.count))


if __name__ == '__main__': main()
