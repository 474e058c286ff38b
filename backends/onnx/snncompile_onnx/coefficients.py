"""Discrete coefficients of the NIR primitive neurons under an execution profile.

A copy of the arithmetic of ``snncompile.reference.discretize`` (backends may not import
the reference simulator; ``tests/test_onnx_coefficients.py`` checks that both agree bit
for bit). For a time constant τ (true τ = stored τ · tau_scale) and step dt::

    euler:  a = dt/τ,               β = 1 − a
    exact:  a = 1 − exp(−dt/τ),     β = exp(−dt/τ)

Everything is computed in float64 and rounded once to float32, in the reference's order.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from snncompile.ir.profile import ExecutionProfile

F32 = np.float32


@dataclass(frozen=True)
class Leak:
    """β (decay) and a (rate) of one leaky state, per neuron, float32."""

    beta: np.ndarray
    rate: np.ndarray


def leak(tau: np.ndarray, profile: ExecutionProfile) -> Leak:
    """Decay and rate of a state with time constant ``tau``."""
    true_tau = np.asarray(tau, dtype=np.float64) * float(profile.tau_scale)
    ratio = float(profile.dt) / true_tau
    if profile.integrator == "euler":
        rate = ratio
        beta = 1.0 - ratio
    else:
        rate = -np.expm1(-ratio)
        beta = np.exp(-ratio)
    return Leak(np.asarray(beta).astype(F32), np.asarray(rate).astype(F32))


def leak_bias(rate: np.ndarray, v_leak: np.ndarray) -> np.ndarray:
    """a·v_leak, a float32 product of float32 operands (as the reference)."""
    return (rate * np.asarray(v_leak, dtype=F32)).astype(F32)


def input_gain(rate: np.ndarray, r: np.ndarray, profile: ExecutionProfile) -> np.ndarray:
    """g = a·r (``input_gain="nir"``) or 1 (``"unit"``)."""
    if profile.input_gain == "unit":
        return np.ones(np.shape(r), dtype=F32)
    return (np.asarray(rate, dtype=np.float64) * np.asarray(r, dtype=np.float64)).astype(F32)


def integrator_gain(r: np.ndarray, profile: ExecutionProfile) -> np.ndarray:
    """g = dt·r of ``I``/``IF`` (``nir``) or 1 (``unit``)."""
    if profile.input_gain == "unit":
        return np.ones(np.shape(r), dtype=F32)
    return (float(profile.dt) * np.asarray(r, dtype=np.float64)).astype(F32)


def synaptic_gain(rate: np.ndarray, w_in: np.ndarray, profile: ExecutionProfile) -> np.ndarray:
    """Gain of the input onto a CubaLIF current (a_s·w_in, w_in for ``jump``, 1 for unit)."""
    if profile.input_gain == "unit":
        return np.ones(np.shape(w_in), dtype=F32)
    w = np.asarray(w_in, dtype=np.float64)
    if profile.synapse_order == "jump":
        return w.astype(F32)
    return (np.asarray(rate, dtype=np.float64) * w).astype(F32)


def delay_steps(delay: np.ndarray, profile: ExecutionProfile) -> np.ndarray:
    """k = rint(delay/dt) per element, int64 (the reference's ``DelayStep``)."""
    return np.rint(np.asarray(delay, dtype=np.float64) / profile.dt).astype(np.int64)
