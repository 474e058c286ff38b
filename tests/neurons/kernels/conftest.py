"""Fixtures of the kernel tests: the host-emulation launcher, built once per session."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest

from snncompile.neurons.kernels._launch import override_launcher
from tests.neurons.kernels._cases import emulation_specs
from tests.neurons.kernels._emulation import EmulationLauncher, build_emulation


@pytest.fixture(scope="session")
def emu_launcher() -> EmulationLauncher:
    """The kernel sources compiled by g++ for every spec of the test matrix."""
    if shutil.which("g++") is None:
        pytest.skip("g++ not found: the host emulation of the CUDA kernels needs it")
    return build_emulation(emulation_specs())


@pytest.fixture
def emu(emu_launcher: EmulationLauncher) -> Iterator[EmulationLauncher]:
    """Route every kernel launch of the test through the host emulation."""
    with override_launcher(emu_launcher):
        yield emu_launcher
