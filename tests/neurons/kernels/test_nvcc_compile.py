"""Every kernel source compiles with nvcc for sm_80 and sm_90, exactly as NVRTC sees it.

The text compiled is :func:`inlined_source` (the string CuPy hands to NVRTC) followed by
explicit instantiations of a specialisation matrix in which every template-argument
value of every kernel occurs (``_cases.nvcc_specs``). One nvcc process per source builds
a fatbin for both architectures (the front end runs once); every warning fails the test.
ptxas must report no register spills or local memory, which would slow these
memory-bound loops, except in smooth mode (a gradient-check mode, never used for
training speed), where the IEEE division of the Rectangle primitive calls a slow-path
subroutine whose caller-saved registers ptxas reports as an 8-byte spill on sm_80.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from snncompile.neurons.kernels._source import (
    NVRTC_OPTIONS,
    SOURCES,
    KernelSpec,
    explicit_instantiations,
    inlined_source,
    template_parameters,
)
from tests.neurons.kernels._cases import nvcc_specs

NVCC = shutil.which("nvcc")
ARCHS = ("80", "90")
pytestmark = pytest.mark.skipif(NVCC is None, reason="nvcc not found: cannot compile CUDA")


def _command(src: Path, out: Path) -> list[str]:
    cmd = [str(NVCC), "--fatbin", "-std=c++17", "-Xptxas", "-warn-spills,-warn-lmem-usage"]
    for arch in ARCHS:
        cmd += ["-gencode", f"arch=compute_{arch},code=sm_{arch}"]
    return [*cmd, str(src), "-o", str(out)]


def test_every_source_compiles_for_sm80_and_sm90(tmp_path: Path):
    specs = nvcc_specs()
    procs = {}
    for name in SOURCES:
        mine = [s for s in specs if s.source == name]
        assert mine, f"no specialisation of {name} in the matrix"
        src = tmp_path / name
        src.write_text(f"{inlined_source(name)}\n{explicit_instantiations(mine)}\n")
        out = tmp_path / f"{name}.fatbin"
        proc = subprocess.Popen(
            _command(src, out), stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )
        procs[name] = (proc, out, len(mine))
    failures = []
    for name, (proc, out, _) in procs.items():
        log = proc.communicate(timeout=300)[0].decode()
        if proc.returncode != 0 or not out.exists():
            failures.append(f"{name}:\n{log[-6000:]}")
            continue
        by_mangled = {_mangled(s): s for s in specs if s.source == name}
        for line in log.splitlines():
            if "warning" not in line.lower():
                continue
            found = re.search(r"(?:spilled|Local memory)[^']*'(\w+)'", line)
            spec = None
            if found:  # a ptxas spill report: tolerated for smooth (test-only) specs
                symbol = found.group(1)
                spec = next((v for k, v in by_mangled.items() if symbol.startswith(k)), None)
            if spec is None or not _is_smooth(spec):
                failures.append(f"{name}: {line}")
    assert not failures, "\n\n".join(failures)
    cuobjdump = shutil.which("cuobjdump")
    if cuobjdump is None:
        return
    for name, (_, out, count) in procs.items():
        listing = subprocess.run(
            [cuobjdump, "-symbols", str(out)], capture_output=True, text=True, check=True
        ).stdout
        for arch in ARCHS:
            assert f"sm_{arch}" in listing, f"{name}: no sm_{arch} code"
        kernels = {line.split()[-1] for line in listing.splitlines() if "STT_FUNC" in line}
        kernels = {k for k in kernels if k.startswith("_ZN3snn")}
        assert len(kernels) == count, f"{name}: {len(kernels)} kernels for {count} specs"


def _mangled(spec: KernelSpec) -> str:
    """Itanium-mangled prefix of ``snn::kernel<a, b, ...>``."""
    args = "".join(f"Li{int(a)}E" for a in spec.targs)
    return f"_ZN3snn{len(spec.kernel)}{spec.kernel}I{args}E"


def _is_smooth(spec: KernelSpec) -> bool:
    params = template_parameters(spec.source)[spec.kernel]
    return bool(spec.targs[params.index("SMOOTH")])


def test_nvrtc_source_is_self_contained_and_strict():
    """What CuPy compiles: no #include left (NVRTC needs no include path and CuPy's
    source-keyed disk cache sees header edits), and no fast-math anywhere."""
    for name in SOURCES:
        text = inlined_source(name)
        assert not re.search(r"^\s*#\s*include", text, re.MULTILINE), name
        assert "__expf" not in text and "__fdividef" not in text
    assert not any("fast" in opt for opt in NVRTC_OPTIONS)


def test_specs_match_the_kernel_templates():
    """Every spec the host code builds has one argument per template parameter."""
    from tests.neurons.kernels._cases import emulation_specs

    for spec in {*nvcc_specs(), *emulation_specs()}:
        params = template_parameters(spec.source)[spec.kernel]
        assert len(spec.targs) == len(params), (spec, params)
        if "BLOCK" in params:
            assert spec.targs[params.index("BLOCK")] == spec.block
