"""Hardware constants of the Loihi 2 fixed-point target, each with its source.

One named, cited table (docs/architecture.md §8): the quantiser, the integer neuron and
synapse arithmetic, the Lava network-spec validator and the backends' declared
capabilities read limits from here and nowhere else (``SOURCES`` cites each). "Lava"
means lava-nc 0.10.0's bit-accurate CPU ProcessModels (docs/lava.md §17–§18),
which is what ``--target lava`` reproduces bit for bit; the custom neurons follow
``backends/lava/docs/fixed_point.md``.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from snncompile.quant.precision import FixedPoint

#: Synaptic weight mantissa: 8 bits; mixed-sign layers lose the LSB (even values in
#: [−256, 254]); single-signed layers keep all 8 bits (Lava ``PyDenseModelBitAcc``,
#: docs/lava.md §18).
WEIGHT_MIXED = FixedPoint(9, signed=True, step=2)
WEIGHT_EXCITATORY = FixedPoint(8, signed=False)
#: Inhibitory layers store 8-bit magnitudes with the sign in the mode: [−255, 0] held in
#: a signed 9-bit field (Lava ``PyDenseModelBitAcc``, docs/lava.md §18).
WEIGHT_INHIBITORY = FixedPoint(9, signed=True)
WEIGHT_LIMIT_MIXED = 254
WEIGHT_LIMIT_SINGLE = 255

#: Bits of the synaptic weight mantissa (docs/lava.md §18: ``num_weight_bits`` = 8).
WEIGHT_BITS = 8

#: Shared per-layer weight exponent: a 4-bit signed field [−8, 7]. Sources: the Loihi
#: synapse format's ``wgtExp`` (Intel NxSDK: "wgtExp must be a signed 4 bit integer",
#: −2³ ≤ wgtExp < 2³; nengo-loihi's ``SynapseFmt.wgtExp`` discretisation keeps the same
#: field). Intel has published no wider Loihi 2 field; lava-nc 0.10.0's CPU
#: ``PyDenseModelBitAcc`` applies any int (docs/lava.md §18), which is why the Lava network-spec
#: validator once accepted [−24, 24]: a bound no Loihi core holds, now replaced by this
#: one. Dense applies it to the summed input (left shift, or flooring right shift); Conv
#: ignores it, so conv layers fold a non-negative exponent into the weights
#: (fixed_synapses.conv_weights_for_lava).
WEIGHT_EXP_MIN = -8
WEIGHT_EXP_MAX = 7
WEIGHT_EXP = FixedPoint(4, signed=True)

#: Neuron state registers: 24-bit signed, saturating (v; docs/lava.md §17.2;
#: backends/lava/docs/fixed_point.md §1).
STATE_BITS = 24
STATE = FixedPoint(STATE_BITS, signed=True, rounding="trunc0", saturation="saturate")
#: v saturates at ±(2²³ − 1) (docs/lava.md §17.2: symmetric, −2²³ is never produced).
STATE_MAX = (1 << (STATE_BITS - 1)) - 1
#: The built-in LIF's current u wraps instead (docs/lava.md §17.2).
STATE_WRAP = FixedPoint(24, signed=True, rounding="trunc0", saturation="wrap")

#: Input to the neuron is shifted left by 6 (``act_shift``): one weight LSB = 64 state units.
ACT_SHIFT = 6
#: The built-in LIF compares v > vth << 6 (``vth_shift``, docs/lava.md §17.2).
VTH_SHIFT = 6

#: Decays: 12-bit unsigned fractions of 4096, truncating toward zero (docs/lava.md §17.2).
DECAY_SHIFT = 12
DECAY = FixedPoint(12, frac=12, signed=False, rounding="nearest")
DECAY_UNITY = 1 << DECAY_SHIFT
#: The custom neurons' dv reaches 4096 (β = 0, the memoryless readout): 13 bits
#: (backends/lava/docs/fixed_point.md §1; fixed_neurons range-checks dv ∈ [0, 4096]).
DECAY_CUSTOM = FixedPoint(13, frac=12, signed=False, rounding="nearest")

#: Built-in LIF threshold ``vth``: 17-bit unsigned, compared as v > vth << 6 (docs/lava.md §17.2).
VTH_BUILTIN = FixedPoint(17, signed=False, rounding="nearest")
#: Built-in LIF bias: 13-bit signed mantissa with a 3-bit exponent (docs/lava.md §17.2).
BIAS_MANT = FixedPoint(13, signed=True)
BIAS_EXP_MAX = 7

#: netx files store every CUBA bias with exponent 6 (bias_mant = the file's bias; docs/lava.md
#: §17.2: "netx always uses bias_exp = 6, which puts the bias in weight units").
NETX_BIAS_EXP = 6

#: Custom neurons (backends/lava/docs/fixed_point.md §1): threshold and bias directly in
#: 24-bit state units.
THRESHOLD = FixedPoint(24, signed=True)
BIAS = FixedPoint(24, signed=True)
#: cuba_lif's refractory period and counter: 8-bit unsigned steps.
REFRACTORY = FixedPoint(8, signed=False)

#: Sigmoid table: Q·.8 input clamped to ±8, Q0.12 output (backends/lava/docs/fixed_point.md §2).
FRAC_BITS = 12  # Q0.12 fractions: sigmoid outputs, c12, km12, CLIF's m
SIGMOID_IN_FRAC = 8  # table input resolution 1/256
SIGMOID_IN_LIMIT = 8 << SIGMOID_IN_FRAC  # ±8.0 → ±2048
SIGMOID_IN = FixedPoint(13, frac=8, signed=True, rounding="floor")
SIGMOID_OUT = FixedPoint(12, frac=12, signed=False)
#: State → table conversions x·mult >> shift: a 31-bit multiplier and a shift ≤ 40
#: (backends/lava/docs/fixed_point.md §2), so every product stays exact in int64.
MAX_MULT = 2**31 - 1
MAX_SHIFT = 40

#: ILIF's c and k_m as Q0.12 / Q4.12 (backends/lava/docs/fixed_point.md §5).
C12 = FixedPoint(12, frac=12, signed=False)
KM12 = FixedPoint(16, frac=12, signed=False)

#: Graded spike payloads (input layer): 24 bits on Loihi 2 (docs/lava.md §18 "Graded spikes").
GRADED_PAYLOAD = FixedPoint(24, signed=True)

#: Fan-in: input axons per neurocore. Loihi 1: 4096 (Davies et al., IEEE Micro 2018;
#: enforced as ``IN_AXONS_MAX = 4096`` in nengo-loihi's block validation). Intel has not
#: published a Loihi 2 figure; snncompile uses the Loihi 1 limit as the conservative one.
MAX_FAN_IN = 4096

#: Quantised field name → the widest format the Loihi targets hold: what the ``lava`` and
#: ``netx`` backends declare as ``Capabilities.precisions`` and ``verify`` checks.
PRECISION_LIMITS: Mapping[str, FixedPoint] = MappingProxyType(
    {
        "weight": FixedPoint(9, signed=True),  # mixed s9/2, excitatory u8, inhibitory
        "weight_exp": WEIGHT_EXP,
        "decay": DECAY_CUSTOM,
        "threshold": THRESHOLD,
        "bias": BIAS,
        "vth": VTH_BUILTIN,
        "bias_mant": BIAS_MANT,
        "state": STATE,
        "state_u": STATE_WRAP,
        "state_v": STATE,
        "sigmoid_in": SIGMOID_IN,
        "sigmoid_out": SIGMOID_OUT,
        "c": C12,
        "k_m": KM12,
        "payload": GRADED_PAYLOAD,
    }
)

SOURCES: Mapping[str, str] = MappingProxyType(
    {
        "weights": "8-bit mantissa, mixed sign loses the LSB: lava-nc PyDenseModelBitAcc "
        "(docs/lava.md §18)",
        "weight_exp": "4-bit signed [-8, 7] (Loihi synapse format wgtExp: Intel NxSDK "
        "'wgtExp must be a signed 4 bit integer'; nengo-loihi SynapseFmt)",
        "state": "24-bit, v saturates, u wraps: lava-nc PyLifModelBitAcc (docs/lava.md §17.2)",
        "decay": "12-bit, truncation toward zero (docs/lava.md §17.2)",
        "vth": "17-bit unsigned, v > vth << 6 (docs/lava.md §17.2)",
        "bias": "13-bit mantissa, 3-bit exponent (docs/lava.md §17.2); custom neurons: 24-bit "
        "state units (backends/lava/docs/fixed_point.md §1)",
        "fan_in": "4096 input axons per core: Davies et al. 2018; nengo-loihi IN_AXONS_MAX",
        "sigmoid": "4097-entry table, Q.8 in, Q0.12 out (backends/lava/docs/fixed_point.md §2)",
    }
)
