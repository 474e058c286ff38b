"""``Artifact.run``, ``Artifact.report`` and ``energy_report`` follow the one input rule
(``snncompile.datafiles.time_major``): static ``[B, ...]`` with ``steps=T`` equals the
data repeated T times; time-major data are taken as they are; a mismatch names both
shapes."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import snncompile
from snncompile.api import energy_report
from snncompile.backend import installed_backends
from snncompile.errors import InputError

#: targets this environment can run (netx only exports here)
RUNNABLE = sorted(set(installed_backends()) - {"netx"})


@pytest.fixture(scope="module")
def model():
    import torch
    from torch import nn

    import snncompile.neurons as sn

    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(12, 8), sn.LIF(reset="hard"), nn.Linear(8, 3))
    return net, torch.rand(4, 2, 12)


@pytest.fixture(scope="module")
def static() -> np.ndarray:
    """Binary static inputs [B=3, 12] (binary so that every target takes them)."""
    return (np.random.default_rng(1).random((3, 12)) < 0.5).astype(np.float32)


def _compile(model, target: str):
    net, example = model
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return snncompile.compile(net, target, example_input=example)


@pytest.mark.parametrize("target", RUNNABLE)
def test_run_repeats_static_inputs_over_steps(model, static, target):
    artifact = _compile(model, target)
    assert artifact.input_shape == (12,)
    repeated = np.repeat(static[None], 4, axis=0)
    expected = artifact.run(repeated)
    got = artifact.run(static, steps=4)
    assert got.keys() == expected.keys()
    for key, value in expected.items():
        assert value.shape[:2] == (4, 3)
        np.testing.assert_array_equal(got[key], value)
    cut = artifact.run(repeated, steps=2)  # time-major: steps keeps the first steps
    for key, value in expected.items():
        np.testing.assert_array_equal(cut[key], value[:2])


def test_run_refuses_what_fits_neither_form(model, static):
    artifact = _compile(model, "nir")
    with pytest.raises(InputError, match=r"static inputs \[3, 12\].*\[12\] per step"):
        artifact.run(static)
    with pytest.raises(InputError, match=r"\[3, 5\] do not fit the model input \[12\] per step"):
        artifact.run(np.zeros((3, 5), np.float32), steps=4)
    with pytest.raises(InputError, match=r"steps=9 .* \[4, 3, 12\] hold only T=4"):
        artifact.run(np.repeat(static[None], 4, axis=0), steps=9)


def test_energy_report_repeats_static_inputs(model, static):
    artifact = _compile(model, "nir")
    repeated = np.repeat(static[None], 4, axis=0)
    # Artifact.report counts for the artefact's target (issue 15)
    expected = energy_report(artifact.graph, repeated, ["loihi2"], target="nir").to_dict()
    report = energy_report(artifact.graph, static, ["loihi2"], steps=4, target="nir")
    assert report.to_dict() == expected
    assert artifact.report(static, ["loihi2"], steps=4).to_dict() == expected
    with pytest.raises(InputError, match=r"static inputs \[3, 12\]"):
        energy_report(artifact.graph, static, ["loihi2"])
