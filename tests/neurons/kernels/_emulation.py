"""Host emulation of the CUDA kernels: the same ``.cu`` text compiled by g++, run via ctypes.

:func:`build_emulation` writes one C++ translation unit per half of the requested
specialisations (two cores: compiled in parallel), each including ``emu_shim.h`` and the
kernel sources, with an ``extern "C"`` entry point and a signature string per spec, and
links them into a shared library. Libraries are cached under the system temp directory,
keyed by a hash of every input (shim, kernel sources, generated code, flags), with a
file lock so that pytest-xdist workers build each library once.

:class:`EmulationLauncher` implements the kernels' ``Launcher`` protocol on CPU tensors:
the production autograd Functions run unchanged on top of it.
"""

from __future__ import annotations

import ctypes
import fcntl
import hashlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import torch

from snncompile.neurons.kernels._common import KernelArg
from snncompile.neurons.kernels._source import KERNEL_DIR, SOURCES, KernelSpec, source_text

SHIM_DIR = Path(__file__).resolve().parent
CXX = shutil.which("g++")
CXX_FLAGS = [
    "-std=c++20",
    "-O1",
    "-ffp-contract=off",  # no implicit FMA: the kernels spell out every fused op
    "-fno-fast-math",
    "-fPIC",
    "-pthread",
    "-Wall",
    "-Wno-unused-variable",
    "-Wno-unused-but-set-variable",
]
PARTS = 2


def _unit(specs: Sequence[KernelSpec]) -> str:
    lines = ['#include "emu_shim.h"'] + [f'#include "{name}"' for name in SOURCES]
    for spec in specs:
        expr, sym = spec.name_expression, spec.symbol
        lines += [
            f'extern "C" void emu_{sym}(unsigned g, unsigned b, int th, void** argv) '
            f"{{ snn_emu::run(&{expr}, g, b, th, argv); }}",
            f'extern "C" const char* emu_{sym}_sig() {{ return snn_emu::signature(&{expr}); }}',
        ]
    return "\n".join(lines) + "\n"


def _compile(units: list[str], out: Path) -> None:
    """Compile the units in parallel and link ``out`` (raises with g++'s stderr)."""
    work = Path(tempfile.mkdtemp(prefix="snn-emu-", dir=out.parent))
    try:
        procs = []
        for i, text in enumerate(units):
            src, obj = work / f"unit{i}.cpp", work / f"unit{i}.o"
            src.write_text(text)
            cmd = [CXX, *CXX_FLAGS, f"-I{SHIM_DIR}", f"-I{KERNEL_DIR}", "-c", str(src)]
            procs.append(
                subprocess.Popen(
                    [*cmd, "-o", str(obj)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT
                )
            )
        for p in procs:
            log = p.communicate()[0].decode()
            if p.returncode != 0:
                raise RuntimeError(f"g++ failed on the emulation build:\n{log[-8000:]}")
        objs = [str(work / f"unit{i}.o") for i in range(len(units))]
        tmp_out = work / out.name
        link = [CXX, "-shared", "-pthread", *objs, "-o", str(tmp_out)]
        subprocess.run(link, check=True, capture_output=True)
        os.replace(tmp_out, out)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def build_emulation(specs: Iterable[KernelSpec]) -> EmulationLauncher:
    """Compile (or reuse from the cache) a library holding every spec in ``specs``."""
    if CXX is None:
        raise RuntimeError("g++ not found")
    ordered = sorted(set(specs), key=lambda s: s.symbol)
    units = [_unit(ordered[i::PARTS]) for i in range(PARTS)]
    digest = hashlib.sha256()
    for text in [(SHIM_DIR / "emu_shim.h").read_text(), *units, " ".join(CXX_FLAGS)]:
        digest.update(text.encode())
    for name in ("snn_common.cuh", *SOURCES):
        digest.update(source_text(name).encode())
    cache = Path(tempfile.gettempdir()) / f"snncompile-emu-{os.getuid()}"
    cache.mkdir(exist_ok=True)
    lib = cache / f"emu-{digest.hexdigest()[:20]}.so"
    with open(cache / "build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one builder at a time; the others then reuse
        if not lib.exists():
            _compile(units, lib)
    return EmulationLauncher(lib, ordered)


def _arg_code(a: KernelArg) -> str:
    if a is None or isinstance(a, torch.Tensor):
        return "p"
    return {np.float32: "f", np.float64: "d", np.int64: "q", np.int32: "i"}[type(a)]


def _ctype(a: KernelArg) -> ctypes._SimpleCData:  # type: ignore[type-arg]
    if a is None:
        return ctypes.c_void_p(0)
    if isinstance(a, torch.Tensor):
        if a.device.type != "cpu" or not a.is_contiguous():
            raise ValueError("emulation needs contiguous CPU tensors")
        return ctypes.c_void_p(a.data_ptr())
    kinds = {
        np.float32: ctypes.c_float,
        np.float64: ctypes.c_double,
        np.int64: ctypes.c_longlong,
        np.int32: ctypes.c_int,
    }
    return kinds[type(a)](a.item())


class EmulationLauncher:
    """Runs kernel specs from an emulation library on CPU tensors (``Launcher`` protocol)."""

    def __init__(self, lib_path: Path, specs: Sequence[KernelSpec]) -> None:
        self.lib = ctypes.CDLL(str(lib_path))
        self.specs = frozenset(specs)
        self.launched: list[KernelSpec] = []

    def signature(self, spec: KernelSpec) -> str:
        """The kernel's parameter codes ('p' pointer, 'f', 'd', 'q' int64, 'i' int32)."""
        fn = getattr(self.lib, f"emu_{spec.symbol}_sig")
        fn.restype = ctypes.c_char_p
        return fn().decode()

    def launch(
        self, spec: KernelSpec, grid: int, args: Sequence[KernelArg], device: torch.device
    ) -> None:
        if spec not in self.specs:
            raise KeyError(f"{spec} is not in the emulation library: add it to the test matrix")
        expected = self.signature(spec)
        given = "".join(_arg_code(a) for a in args)
        if given != expected:
            raise TypeError(f"{spec.name_expression}: arguments {given!r}, kernel {expected!r}")
        values = [_ctype(a) for a in args]
        argv = (ctypes.c_void_p * len(values))(
            *[ctypes.cast(ctypes.pointer(v), ctypes.c_void_p) for v in values]
        )
        fn = getattr(self.lib, f"emu_{spec.symbol}")
        fn.argtypes = [ctypes.c_uint, ctypes.c_uint, ctypes.c_int, ctypes.c_void_p]
        fn(grid, spec.block, int(spec.syncs), argv)
        self.launched.append(spec)
