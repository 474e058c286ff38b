"""Start-up: commands that do not need torch never import it (docs/performance.md).

Each command runs in a fresh interpreter; the probe reports whether ``torch`` is in
``sys.modules`` when ``main`` returns. Reading a checkpoint (``.pt``) is the control: it
must import torch, or the probe could not tell.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

PROBE = (
    "import sys\nfrom snncompile.cli import main\n"
    "code = main(sys.argv[1:])\n"
    "sys.stderr.write('\\ntorch-imported=%s\\n' % ('torch' in sys.modules))\n"
    "sys.exit(code)"
)


def run_probe(*argv: object) -> tuple[int, bool, str]:
    """(exit code, whether torch was imported, stderr) of ``snncompile ARGV``."""
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *map(str, argv)], capture_output=True, text=True
    )
    return done.returncode, "torch-imported=True" in done.stderr, done.stdout + done.stderr


@pytest.fixture(scope="module")
def netx_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny hard-reset LIF MLP as a netx file (skipped without the Lava backends)."""
    pytest.importorskip("snncompile_lava")
    import nir

    import snncompile
    from snncompile.ir import SoftLIF, sequential

    rng = np.random.default_rng(0)
    graph = sequential(
        ("input", nir.Input(input_type={"input": np.array([6])})),
        ("fc", nir.Affine(weight=rng.normal(0, 1, (4, 6)), bias=np.zeros(4))),
        ("lif", SoftLIF(beta=np.full(4, 0.5), v_threshold=np.ones(4), reset="hard")),
        ("readout", nir.Affine(weight=rng.normal(0, 1, (2, 4)), bias=np.zeros(2))),
        ("output", nir.Output(output_type={"output": np.array([2])})),
    )
    out = tmp_path_factory.mktemp("netx") / "m.net"
    return snncompile.compile(graph, "netx").save(out)


@pytest.mark.parametrize(
    "argv",
    [
        ["--help"],
        ["list-backends"],
        ["dialects"],
        ["export", "--help"],
        ["simulate", "--help"],
        ["inspect", "{nir}"],
        ["inspect", "{nir}", "--json"],
        ["inspect", "{onnx}"],
        ["simulate", "{nir}", "--input", "{inputs}", "--steps", "4"],
        ["simulate", "{onnx}", "--input", "{inputs}", "--steps", "4"],
        ["export", "{nir}", "--target", "onnx", "-o", "{tmp}/m.onnx"],
    ],
    ids=lambda argv: " ".join(a.strip("{}") for a in argv),
)
def test_commands_that_do_not_need_torch_do_not_import_it(assets, tmp_path, argv) -> None:
    paths = {"nir": assets.nir, "onnx": assets.onnx, "inputs": assets.inputs, "tmp": tmp_path}
    code, torch_imported, output = run_probe(*(a.format(**paths) for a in argv))
    assert code == 0, output
    assert not torch_imported, f"`snncompile {' '.join(argv)}` imported torch"


def test_a_netx_file_is_inspected_without_torch(netx_file) -> None:
    code, torch_imported, output = run_probe("inspect", netx_file)
    assert code == 0 and "netx layers" in output, output
    assert not torch_imported


def test_reading_a_checkpoint_imports_torch(assets) -> None:
    """The control: the probe does see torch when a command needs it."""
    code, torch_imported, output = run_probe("inspect", assets.checkpoint)
    assert code == 0, output
    assert torch_imported


def test_import_snncompile_stays_light() -> None:
    code = "import sys, snncompile, snncompile.cli; assert 'torch' not in sys.modules"
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0
