"""Launching kernels: CuPy on torch's current stream, or an injected launcher (tests).

CuPy is imported only inside functions (docs/architecture.md §1): importing this module, or
``snncompile.neurons.kernels``, never imports it.

Each specialisation is compiled once per process (``functools.lru_cache`` on the spec)
and CuPy also caches the binary on disk (``~/.cupy/kernel_cache``). Tensors travel as raw
``data_ptr()`` values, scalars as numpy scalars of the kernel's parameter types.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator, Sequence
from typing import Any, Protocol

import numpy as np
import torch

from snncompile.errors import BackendUnavailableError
from snncompile.neurons.kernels._common import KernelArg, grid_for
from snncompile.neurons.kernels._source import NVRTC_OPTIONS, KernelSpec, inlined_source


class Launcher(Protocol):
    """Runs one kernel specialisation over a 1-D grid."""

    def launch(
        self, spec: KernelSpec, grid: int, args: Sequence[KernelArg], device: torch.device
    ) -> None:
        """Launch ``spec`` with ``grid`` blocks of ``spec.block`` threads."""


_override: list[Launcher] = []


@contextlib.contextmanager
def override_launcher(launcher: Launcher) -> Iterator[None]:
    """Run every kernel through ``launcher`` inside the block, whatever the tensors' device.

    For tests: the host emulation runs the same kernel source on CPU tensors.
    """
    _override.append(launcher)
    try:
        yield
    finally:
        _override.pop()


def resolve_launcher(x: torch.Tensor, where: str) -> Launcher:
    """The launcher for ``x``: an override, else CuPy if usable, else a clear error."""
    if _override:
        return _override[-1]
    reason = cupy_unavailable_reason(x)
    if reason is not None:
        raise BackendUnavailableError(
            f"{where}: the fused CuPy kernels cannot run: {reason}",
            hint="use the CPU path (snncompile.neurons.cpu) for CPU tensors; on a GPU "
            "install CuPy matching torch's CUDA: pip install 'snncompile[cuda]'",
        )
    return CUPY_LAUNCHER


def launch_per_neuron(
    launcher: Launcher,
    spec: KernelSpec,
    args: Sequence[KernelArg],
    steps: int,
    neurons: int,
    device: torch.device,
) -> None:
    """Launch ``spec`` with one thread per neuron; N and T are the kernels' last arguments."""
    grid = grid_for(neurons, spec.block)
    launcher.launch(spec, grid, [*args, np.int64(neurons), np.int32(steps)], device)


def cupy_unavailable_reason(x: torch.Tensor) -> str | None:
    """None if the fused kernels can run on ``x``; otherwise why not, in words.

    The reason reports the actual exception raised by ``import cupy`` or by the first
    use of CuPy on the device (spikingjelly#459: an import guard that always said "CuPy
    is not installed" hid unrelated failures).
    """
    if not isinstance(x, torch.Tensor):
        return f"expected a torch.Tensor, got {type(x).__name__}"
    if x.device.type != "cuda":
        return f"the tensor is on {x.device}, not on a CUDA device"
    failure = cupy_import_error()
    if failure is not None:
        return failure
    index = x.device.index if x.device.index is not None else torch.cuda.current_device()
    return _probe_device(index)


def cupy_import_error() -> str | None:
    """None if ``import cupy`` works, else the exception it raised, verbatim."""
    try:
        import cupy  # noqa: F401
    except Exception as exc:  # any failure (missing wheel, CUDA mismatch, broken lib)
        return f"importing cupy failed: {type(exc).__name__}: {exc}"
    return None


@functools.cache
def _probe_device(index: int) -> str | None:
    """Compile and run a one-thread kernel on device ``index`` (once per process)."""
    try:
        import cupy

        with cupy.cuda.Device(index):
            kernel = cupy.RawKernel(
                'extern "C" __global__ void snn_probe(int* p) { *p = 42; }',
                "snn_probe",
                options=NVRTC_OPTIONS,
            )
            out = cupy.zeros(1, dtype=cupy.int32)
            kernel((1,), (1,), (out,))
            if int(out.get()[0]) != 42:
                return f"a probe kernel on cuda:{index} returned a wrong value"
    except Exception as exc:
        torch_cuda = torch.version.cuda or "none"
        return (
            f"CuPy failed on cuda:{index} (torch built with CUDA {torch_cuda}): "
            f"{type(exc).__name__}: {exc}"
        )
    return None


@functools.cache
def _cupy_function(spec: KernelSpec, index: int) -> Any:
    """The compiled kernel of ``spec`` on device ``index`` (NVRTC runs once per key)."""
    import cupy

    with cupy.cuda.Device(index):
        module = cupy.RawModule(
            code=inlined_source(spec.source),
            options=NVRTC_OPTIONS,
            name_expressions=[spec.name_expression],
        )
        return module.get_function(spec.name_expression)


@functools.lru_cache(maxsize=64)
def _external_stream(pointer: int, index: int) -> Any:
    import cupy

    with cupy.cuda.Device(index):
        return cupy.cuda.ExternalStream(pointer)


def _cupy_arg(a: KernelArg) -> Any:
    if a is None:
        return np.uint64(0)
    if isinstance(a, torch.Tensor):
        return np.uint64(a.data_ptr())
    return a


class CupyLauncher:
    """Launches on torch's current CUDA stream of the tensors' device."""

    def launch(
        self, spec: KernelSpec, grid: int, args: Sequence[KernelArg], device: torch.device
    ) -> None:
        import cupy

        index = device.index if device.index is not None else torch.cuda.current_device()
        fn = _cupy_function(spec, index)
        stream = _external_stream(torch.cuda.current_stream(index).cuda_stream, index)
        with cupy.cuda.Device(index), stream:
            fn((grid,), (spec.block,), tuple(_cupy_arg(a) for a in args))


CUPY_LAUNCHER = CupyLauncher()
