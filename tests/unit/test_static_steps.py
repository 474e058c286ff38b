"""The one rule for static and time-major inputs (``snncompile.datafiles.time_major``):
static ``[B, *S]`` data are repeated over ``steps``; time-major ``[T, B, *S]`` data are
taken as they are (``steps`` keeps the first ``steps``, never more than T); the model's
per-step input shape ``S`` tells them apart; a mismatch names both shapes and the rule."""

from __future__ import annotations

import numpy as np
import pytest

from snncompile.datafiles import read_input_data, time_major
from snncompile.errors import InputError

S = (1, 8, 8)


def test_static_data_are_repeated_over_steps():
    x = np.random.default_rng(0).random((5, *S), dtype=np.float32)
    y = time_major(x, S, 4)
    assert y.shape == (4, 5, *S)
    np.testing.assert_array_equal(y, np.repeat(x[None], 4, axis=0))
    y[0, 0, 0, 0, 0] = 9.0  # a copy, not a read-only broadcast view
    assert x[0, 0, 0, 0] != 9.0


def test_time_major_data_are_taken_as_they_are():
    x = np.random.default_rng(1).random((3, 5, *S), dtype=np.float32)
    assert time_major(x, S, None) is x
    np.testing.assert_array_equal(time_major(x, S, 3), x)
    np.testing.assert_array_equal(time_major(x, S, 2), x[:2])  # steps <= T: the first steps


def test_static_without_steps_names_the_shapes_and_the_rule():
    with pytest.raises(InputError, match=r"static inputs \[5, 1, 8, 8\]") as info:
        time_major(np.zeros((5, *S)), S, None)
    assert "[1, 8, 8] per step" in str(info.value)
    assert "repeated over steps=T" in info.value.hint


def test_steps_beyond_the_time_axis_are_refused():
    with pytest.raises(InputError, match=r"steps=6 .* \[3, 5, 1, 8, 8\] hold only T=3") as info:
        time_major(np.zeros((3, 5, *S)), S, 6)
    assert "static [B, ...]" in info.value.hint


@pytest.mark.parametrize("shape", [(5, 64), (2, 3, 5, 1, 8, 8), (8, 8), (3, 5, 1, 7, 8)])
def test_a_wrong_rank_or_shape_names_both_shapes(shape):
    with pytest.raises(InputError, match="do not fit the model input") as info:
        time_major(np.zeros(shape), S, 4)
    message = str(info.value)
    assert str(list(shape)) in message and "[1, 8, 8] per step" in message
    assert "[B, 1, 8, 8]" in message and "[T, B, 1, 8, 8]" in message
    assert "time-major" in info.value.hint


def test_unknown_per_step_shape_reads_time_major():
    x = np.zeros((3, 2, 4))
    assert time_major(x, None, 2).shape == (2, 2, 4)
    with pytest.raises(InputError, match="no batch/time axes"):
        time_major(np.zeros(4), None, None)


@pytest.mark.parametrize("steps", [0, -1, 2.0, True])
def test_steps_must_be_a_positive_integer(steps):
    with pytest.raises(InputError, match="not a positive integer"):
        time_major(np.zeros((5, *S)), S, steps)


def test_numpy_integer_steps_are_accepted():
    assert time_major(np.zeros((5, *S)), S, np.int64(3)).shape == (3, 5, *S)


def test_read_input_data_uses_the_rule(tmp_path):
    path = tmp_path / "static.npz"
    np.savez(path, inputs=np.ones((7, *S), np.float32), labels=np.arange(7))
    data = read_input_data(path, per_step_shape=S, steps=4)
    assert data.inputs.shape == (4, 7, *S) and data.labels.shape == (7,)
    with pytest.raises(InputError, match="need a number of time steps"):
        read_input_data(path, per_step_shape=S)


def test_labels_misfit_says_how_the_data_were_read(tmp_path):
    """Unknown per-step shape: static data are read as [T, B, ...]; the label error says so."""
    path = tmp_path / "static.npz"
    np.savez(path, inputs=np.ones((7, *S), np.float32), labels=np.arange(7))
    with pytest.raises(InputError, match=r"labels of shape \(7,\)") as info:
        read_input_data(path)
    assert "read as time-major" in info.value.hint
