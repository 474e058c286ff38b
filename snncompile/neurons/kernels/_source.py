"""Kernel sources and specialisations: which template instance of which ``.cu`` file.

A :class:`KernelSpec` names one compile-time specialisation, e.g.
``snn::linear_lif_fwd<0,0,0,0,0,0,0,1,0>``. The same spec drives the CuPy launcher (as an
NVRTC name expression), the nvcc compile tests (as an explicit instantiation) and the
g++ host emulation in the tests, so all three compile exactly the same code.

No torch, no CuPy: this module only handles text.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

KERNEL_DIR = Path(__file__).resolve().parent
COMMON_HEADER = "snn_common.cuh"
SOURCES = ("linear_lif.cu", "clif.cu", "ilif.cu")
#: threads per block of every launch (the reduction kernels take it as a template argument)
BLOCK = 256
#: compile options for NVRTC. Deliberately no ``-use_fast_math``: __expf and flushed
#: denormals would move spikes at the threshold (docs/performance.md §2.1, spikingjelly#106).
NVRTC_OPTIONS = ("--std=c++17",)

_INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"\s*$', re.MULTILINE)


@dataclass(frozen=True)
class KernelSpec:
    """One specialisation of one kernel template.

    Attributes:
        source: file name in this package, e.g. ``"linear_lif.cu"``.
        kernel: template name inside namespace ``snn``, e.g. ``"linear_lif_fwd"``.
        targs: the integer template arguments, in declaration order.
        block: threads per block it must be launched with.
        syncs: whether it calls ``__syncthreads`` (its block's threads must run together).
    """

    source: str
    kernel: str
    targs: tuple[int, ...]
    block: int = BLOCK
    syncs: bool = False

    @property
    def name_expression(self) -> str:
        """The C++ name of the instance: ``snn::kernel<a,b,...>``."""
        return f"snn::{self.kernel}<{','.join(str(int(a)) for a in self.targs)}>"

    @property
    def symbol(self) -> str:
        """A C identifier unique to this instance (for emulation entry points)."""
        return f"{self.kernel}_" + "_".join(str(int(a)) for a in self.targs)


def source_text(name: str) -> str:
    """The raw text of a kernel source file of this package."""
    if name != COMMON_HEADER and name not in SOURCES:
        raise ValueError(f"unknown kernel source {name!r}; known: {SOURCES}")
    return (KERNEL_DIR / name).read_text()


@functools.cache
def inlined_source(name: str) -> str:
    """``name`` with ``#include "snn_common.cuh"`` replaced by the header's text.

    NVRTC then needs no include path, and CuPy's disk cache (keyed on the source string)
    is invalidated by any change to the header too.
    """

    def _replace(match: re.Match[str]) -> str:
        included = match.group(1)
        if included != COMMON_HEADER:
            raise ValueError(f"{name}: unexpected #include {included!r}")
        return (
            f"// ---- begin {included} ----\n{source_text(included)}\n// ---- end {included} ----"
        )

    return _INCLUDE.sub(_replace, source_text(name))


_TEMPLATE = re.compile(
    r"template\s*<([^>]*)>\s*__global__\s+void\s+"
    r"(?:__launch_bounds__\([^)]*\)\s*)?(\w+)\s*\(",
)


def template_parameters(name: str) -> dict[str, tuple[str, ...]]:
    """``{kernel: (template parameter names)}`` of the ``__global__`` templates in ``name``."""
    found = {}
    for match in _TEMPLATE.finditer(source_text(name)):
        params = tuple(p.split()[-1] for p in match.group(1).split(","))
        found[match.group(2)] = params
    return found


def explicit_instantiations(specs: list[KernelSpec]) -> str:
    """``template __global__ void ...;`` lines forcing nvcc/g++ to compile these specs.

    ``decltype`` of the template's address spells the parameter list, so this needs no
    copy of each kernel's signature.
    """
    lines = []
    for spec in specs:
        lines.append(
            f"template __global__ decltype({spec.name_expression}) {spec.name_expression};"
        )
    return "\n".join(lines)
