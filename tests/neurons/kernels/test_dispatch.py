"""What the kernels' host side does without a GPU: errors, reasons, layouts, no CuPy import."""

from __future__ import annotations

import builtins
import subprocess
import sys

import pytest
import torch

from snncompile.errors import BackendUnavailableError, ConfigError, InputError
from snncompile.neurons.functional.common import SpikeConfig
from snncompile.neurons.kernels import (
    clif_multistep,
    cupy_unavailable_reason,
    ilif_multistep,
    linear_lif_multistep,
)
from snncompile.neurons.kernels._common import (
    P_CHANNEL,
    P_CONST,
    P_LAYER,
    prepare_param,
    surrogate_constants,
)
from snncompile.neurons.kernels._launch import cupy_import_error
from snncompile.neurons.kernels._source import KernelSpec
from snncompile.neurons.surrogate import Rectangle, Surrogate


def test_importing_the_kernels_does_not_import_cupy():
    code = (
        "import sys, snncompile.neurons.kernels as k, torch\n"
        "k.cupy_unavailable_reason(torch.zeros(1))\n"
        "sys.exit(int('cupy' in sys.modules))"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


def test_reason_for_cpu_tensors_and_non_tensors():
    reason = cupy_unavailable_reason(torch.zeros(3))
    assert isinstance(reason, str) and "cpu" in reason and "CUDA" in reason
    assert "list" in str(cupy_unavailable_reason([1.0]))  # type: ignore[arg-type]


def test_import_failure_is_reported_verbatim(monkeypatch):
    """spikingjelly#459: report the real exception, not a guess."""
    real_import = builtins.__import__

    def fake_import(name, *args, **kwargs):
        if name == "cupy":
            raise OSError("libnvrtc.so.13: cannot open shared object file")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake_import)
    reason = cupy_import_error()
    assert reason == (
        "importing cupy failed: OSError: libnvrtc.so.13: cannot open shared object file"
    )


@pytest.mark.parametrize(
    "call",
    [
        lambda x: linear_lif_multistep(x, 1.0, 0.5, SpikeConfig()),
        lambda x: clif_multistep(x, 2.0, SpikeConfig()),
        lambda x: ilif_multistep(x, 1.1, SpikeConfig()),
    ],
)
def test_cpu_tensors_raise_a_clear_error(call):
    with pytest.raises(BackendUnavailableError, match="not on a CUDA device") as info:
        call(torch.zeros(4, 3))
    assert "snncompile.neurons.cpu" in str(info.value)


def test_input_checks_come_before_the_device_check():
    with pytest.raises(InputError, match="0-dim"):
        linear_lif_multistep(torch.tensor(1.0), 1.0, 0.5, SpikeConfig())
    with pytest.raises(InputError, match="dtype"):
        clif_multistep(torch.zeros(2, 2, dtype=torch.int64), 2.0, SpikeConfig())


def test_parameter_layouts():
    x = torch.zeros(4, 2, 3, 5, 7)  # x[t]: [B=2, C=3, H=5, W=7]
    assert prepare_param(0.5, x, "beta")[1].mode == P_CONST
    t, lay = prepare_param(torch.tensor(0.5, requires_grad=True), x, "beta")
    assert lay.mode == P_LAYER and t is not None and t.requires_grad
    t, lay = prepare_param(torch.rand(3, 1, 1), x, "beta")
    assert (lay.mode, lay.channels, lay.inner) == (P_CHANNEL, 3, 35)
    t, lay = prepare_param(torch.rand(1, 3, 5, 1), x, "beta")
    assert (lay.mode, lay.channels, lay.inner) == (P_CHANNEL, 15, 7)
    t, lay = prepare_param(torch.rand(2, 1, 1, 7), x, "beta")  # non-adjacent dims
    assert (lay.mode, lay.channels, lay.inner) == (P_CHANNEL, 2 * 3 * 5 * 7, 1)
    assert t is not None and t.shape == (2, 3, 5, 7)
    with pytest.raises(InputError, match="broadcast"):
        prepare_param(torch.rand(4, 1, 1), x, "beta")
    with pytest.raises(InputError, match="float or a tensor"):
        prepare_param("0.5", x, "beta")  # type: ignore[arg-type]


def test_parameters_are_cast_to_the_compute_dtype():
    x = torch.zeros(2, 3, dtype=torch.float16)
    t, _ = prepare_param(torch.tensor(0.5, dtype=torch.float64), x, "alpha")
    assert t is not None and t.dtype == torch.float32
    x = torch.zeros(2, 3, dtype=torch.float64)
    t, _ = prepare_param(torch.tensor(0.5), x, "alpha")
    assert t is not None and t.dtype == torch.float64


def test_surrogate_constants_round_like_torch():
    import numpy as np

    c0, c1, c2 = surrogate_constants(Rectangle(0.8), torch.float32)
    assert c0 == np.float32(0.4) and c1 == np.float32(1) / np.float32(0.8)
    assert c2 == np.float32(0.8) and type(c1) is np.float32


def test_unknown_surrogates_are_rejected():
    class Custom(Surrogate):
        name = "custom"
        default_alpha = 1.0

        def derivative(self, x):
            return x

        def primitive(self, x):
            return x

    with pytest.raises(ConfigError, match="no fused-kernel implementation"):
        linear_lif_multistep(torch.zeros(2, 3), 1.0, 0.5, SpikeConfig(surrogate=Custom()))


def test_kernel_spec_names():
    spec = KernelSpec("clif.cu", "clif_fwd", (0, 1, 0, 0, 1, 1, 0))
    assert spec.name_expression == "snn::clif_fwd<0,1,0,0,1,1,0>"
    assert spec.symbol == "clif_fwd_0_1_0_0_1_1_0"
