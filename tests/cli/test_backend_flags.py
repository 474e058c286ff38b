"""Backend-declared CLI flags and artefact types: the core names no target."""

from __future__ import annotations

import shutil

import pytest

from snncompile.backend import installed_backends
from snncompile.cli import build_parser
from tests.cli.test_bad_inputs import assert_user_error

BACKENDS = installed_backends()
needs = {name: pytest.mark.skipif(name not in BACKENDS, reason=f"{name} not installed")
         for name in ("onnx", "lava")}  # fmt: skip


def _help(command: str) -> str:
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    return str(sub.choices[command].format_help())


@needs["onnx"]
def test_export_groups_each_backends_flags():
    text = _help("export")
    assert "--target onnx:\n  --onnx-mode" in text


@needs["lava"]
def test_simulate_groups_each_backends_flags():
    title = ", ".join(n for n in ("lava artefacts", "netx") if n.split()[0] in BACKENDS)
    assert f"{title}:\n  --mode {{float,fixed}}" in _help("simulate")  # a shared flag


@needs["onnx"]
def test_a_flag_of_another_target_is_refused(cli, assets, tmp_path):
    argv = ["export", assets.nir, "--target", "nir", "-o", tmp_path / "m.nir"]
    result = cli(*argv, "--onnx-mode", "loop")
    assert_user_error(result, "--onnx-mode applies to --target onnx, not 'nir'", "drop --onnx-mode")
    assert not (tmp_path / "m.nir").exists()


@needs["lava"]
def test_a_simulate_flag_of_another_target_is_refused(cli, assets):
    result = cli("simulate", assets.nir, "--input", assets.inputs, "--steps", 2, "--mode", "fixed")
    expected = " or ".join(n for n in ("lava", "netx") if n in BACKENDS)
    assert_user_error(result, f"--mode applies to --target {expected}, not 'nir'", "drop --mode")


@needs["lava"]
def test_a_shared_flag_names_every_target_that_takes_it(cli, assets, tmp_path):
    argv = ["export", assets.nir, "--target", "onnx", "-o", tmp_path / "m.onnx"]
    result = cli(*argv, "--allow-clamp")
    expected = " or ".join(n for n in ("lava", "netx") if n in BACKENDS)
    assert_user_error(result, f"--allow-clamp applies to --target {expected}, not 'onnx'")


@needs["onnx"]
def test_export_adds_the_missing_suffix(cli, assets, tmp_path):
    result = cli("export", assets.nir, "--target", "onnx", "-o", tmp_path / "model", "--json")
    assert result.code == 0, result.err
    assert (tmp_path / "model.onnx").is_file() and not (tmp_path / "model").exists()


@needs["onnx"]
def test_export_refuses_a_mismatched_suffix(cli, assets, tmp_path):
    result = cli("export", assets.nir, "--target", "onnx", "-o", tmp_path / "x.nir")
    assert_user_error(result, "writes .onnx files, not .nir", "x.onnx")
    assert list(tmp_path.iterdir()) == []


@needs["onnx"]
def test_simulate_claims_suffixes_in_any_case(cli, assets, tmp_path):
    upper = tmp_path / "M.ONNX"
    shutil.copy(assets.onnx, upper)
    result = cli("simulate", upper, "--input", assets.inputs, "--steps", 2, "--json")
    assert result.code == 0, result.err
    assert '"target": "onnx"' in result.out


def test_unknown_artefact_hint_lists_the_installed_suffixes(cli, assets, tmp_path):
    artifact = tmp_path / "m.bin"
    artifact.write_bytes(b"x")
    result = cli("simulate", artifact, "--input", assets.inputs, "--steps", 2)
    suffixes = sorted(c.artifact_suffix for c in BACKENDS.values() if c.artifact_suffix)
    assert_user_error(result, "unknown artefact type '.bin'", ", ".join(suffixes))
