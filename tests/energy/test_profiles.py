"""Hardware profiles: built-ins validate, errors name the field, user YAML/JSON loads."""

from __future__ import annotations

import json

import pytest

from snncompile.energy import BUILTIN_PROFILES, load_profile, validate_profile
from snncompile.errors import ConfigError

USER_YAML = """\
schema: snncompile.energy-profile/1
name: my-asic
title: My accelerator (post-layout simulation)
basis: simulated
trust: Post-layout power simulation of our 22 nm design.
event_driven: true
widths: {weight_bits: 4, state_bits: 16}
citations:
  - id: ours
    text: Our tape-out report, 2025.
constants:
  ac: {value: 0.05, basis: simulated, cite: ours}
  neuron_update: {value: 0.4, basis: simulated, cite: ours, note: "LIF, 16-bit"}
  memory_byte: {value: 1.5, basis: simulated, cite: ours}
"""


@pytest.mark.parametrize("name", BUILTIN_PROFILES)
def test_builtin_profiles_validate_and_cite_every_constant(name):
    profile = load_profile(name)
    assert profile.name == name
    bases = {"measured", "simulated", "pre-silicon", "all-in", "derived", "reported"}
    assert profile.basis in bases
    assert profile.trust
    for key in profile.data["constants"]:
        const = profile.constant(key)
        assert const is not None and const.cite and const.basis


def test_builtin_constants():
    fp32, int8 = load_profile("cmos45-fp32"), load_profile("cmos45-int8")
    assert (fp32.constant("mac").value, fp32.constant("ac").value) == (4.6, 0.9)
    assert (int8.constant("mac").value, int8.constant("ac").value) == (0.23, 0.03)
    assert "doi:10.1109/ISSCC.2014.6757323" in fp32.constant("mac").cite
    loihi = load_profile("loihi")
    assert loihi.constant("ac").value == 23.6 and loihi.constant("ac").basis == "pre-silicon"
    assert loihi.constant("static_power") is None  # no Loihi 1 static figure is published
    loihi2 = load_profile("loihi2")
    assert loihi2.constant("ac") is None and loihi2.constant("static_power").value == 0.23
    assert load_profile("truenorth").constant("ac").basis == "all-in"
    assert load_profile("spinnaker2-2019").constant("ac").value == 450
    assert load_profile("spinnaker2-2021").constant("ac").value == 10


def test_unknown_profile_lists_the_known_ones():
    with pytest.raises(ConfigError, match="unknown energy profile 'loihi3'") as info:
        load_profile("loihi3")
    assert "cmos45-fp32" in info.value.hint and "spinnaker2-2021" in info.value.hint


def test_user_yaml_profile_loads_and_prices(tmp_path):
    path = tmp_path / "my.yaml"
    path.write_text(USER_YAML)
    profile = load_profile(path)
    assert profile.name == "my-asic" and profile.weight_bits == 4
    assert profile.constant("neuron_update").note == "LIF, 16-bit"
    assert profile.source == str(path)


def test_user_json_profile_loads(tmp_path):
    import yaml

    path = tmp_path / "my.json"
    path.write_text(json.dumps(yaml.safe_load(USER_YAML)))
    assert load_profile(str(path)).name == "my-asic"


def _doc(**changes):
    import yaml

    doc = yaml.safe_load(USER_YAML)
    for dotted, value in changes.items():
        target = doc
        *parents, last = dotted.split("__")
        for key in parents:
            target = target[key]
        target[last] = value
    return doc


def test_schema_errors_name_the_field_and_the_expectation():
    with pytest.raises(ConfigError, match="field 'basis'") as info:
        validate_profile(_doc(basis="guessed"), "my.yaml")
    assert "one of" in info.value.hint and "measured" in info.value.hint
    with pytest.raises(ConfigError, match="field 'constants/ac/value'") as info:
        validate_profile(_doc(constants__ac__value="cheap"), "my.yaml")
    assert "number" in str(info.value)
    with pytest.raises(ConfigError, match="field 'constants'") as info:
        validate_profile(_doc(constants__mak={"value": 1, "basis": "derived", "cite": "ours"}), "x")
    assert "'mak'" in str(info.value) and "mac" in info.value.hint
    with pytest.raises(ConfigError, match="constants/ac/cite is 'nobody'"):
        validate_profile(_doc(constants__ac__cite="nobody"), "x")


def test_file_failing_the_schema_names_the_file(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text(USER_YAML.replace("event_driven: true\n", ""))
    with pytest.raises(ConfigError, match=r"broken\.yaml.*'event_driven' is a required property"):
        load_profile(path)
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: [unclosed\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_profile(bad)
    with pytest.raises(ConfigError, match="cannot read"):
        load_profile(tmp_path / "missing.yaml")
