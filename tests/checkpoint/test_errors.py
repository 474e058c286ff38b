"""Every way save and load can fail raises a CheckpointError that says what, where, how."""

from __future__ import annotations

import pytest
import torch
from torch import nn

import snncompile
import snncompile.neurons as sn
from snncompile.checkpoint import FORMAT_VERSION, build_checkpoint
from snncompile.errors import CheckpointError
from tests.checkpoint.models import Picklable


def _model() -> nn.Module:
    return nn.Sequential(nn.Linear(3, 3), sn.LIF(), nn.Linear(3, 2))


X = torch.rand(2, 1, 3)


# -- save --------------------------------------------------------------------------


def test_unsupported_module_names_path_type_and_supported_list(tmp_path):
    model = nn.Sequential(nn.Linear(3, 3), nn.Sequential(nn.Identity(), nn.GELU()))
    with pytest.raises(CheckpointError) as info:
        snncompile.save(model, tmp_path / "m.pt", example_input=X)
    msg = str(info.value)
    assert "'1.1'" in msg and "torch.nn.modules.activation.GELU" in msg
    for name in ("Conv2d", "LIF", "CLIF", "ILIF", "TimeDistributed", "BatchNorm2d"):
        assert name in msg
    assert info.value.hint and info.value.node == "1.1"
    assert not (tmp_path / "m.pt").exists()


def test_unsupported_module_inside_time_distributed(tmp_path):
    model = nn.Sequential(sn.TimeDistributed(nn.Sequential(nn.Linear(3, 3), nn.Tanh())))
    with pytest.raises(CheckpointError, match=r"'0\.module\.1'.*Tanh"):
        snncompile.save(model, tmp_path / "m.pt", example_input=X)


def test_subclass_of_supported_layer_is_refused(tmp_path):
    class MyLinear(nn.Linear):
        pass

    with pytest.raises(CheckpointError, match="MyLinear"):
        snncompile.save(nn.Sequential(MyLinear(3, 2)), tmp_path / "m.pt", example_input=X)


def test_unsupported_function_names_node_and_source_line(tmp_path):
    class Sig(Picklable):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return torch.sigmoid(self.fc(x))

    with pytest.raises(CheckpointError) as info:
        snncompile.save(Sig(3, 3), tmp_path / "m.pt", example_input=X)
    msg = str(info.value)
    assert "torch.sigmoid" in msg and "node 'sigmoid'" in msg
    assert "test_errors.py" in msg and "return torch.sigmoid(self.fc(x))" in msg
    assert "operator.add" in msg  # the supported list


def test_unsupported_method(tmp_path):
    class Perm(nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return x.permute(1, 0, 2)

    with pytest.raises(CheckpointError, match=r"\.permute\(\).*supported: .*\.flatten\(\)"):
        snncompile.save(Perm(), tmp_path / "m.pt", example_input=X)


def test_data_dependent_control_flow(tmp_path):
    class Branch(nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return x if x.sum() > 0 else -x

    with pytest.raises(CheckpointError, match=r"cannot trace Branch\.forward") as info:
        snncompile.save(Branch(), tmp_path / "m.pt", example_input=X)
    assert "control flow" in str(info.value)


def test_bad_example_input_and_model(tmp_path):
    with pytest.raises(CheckpointError, match="example_input must be a tensor"):
        snncompile.save(_model(), tmp_path / "m.pt", example_input=[1, 2])
    with pytest.raises(CheckpointError, match="failed: RuntimeError"):
        snncompile.save(_model(), tmp_path / "m.pt", example_input=torch.rand(2, 1, 7))
    with pytest.raises(CheckpointError, match=r"expects an nn\.Module"):
        snncompile.save("model", tmp_path / "m.pt", example_input=X)  # type: ignore[arg-type]


@pytest.mark.parametrize("layer", [nn.Linear(3, 2), sn.LIF(), sn.TimeDistributed(nn.ReLU())])
def test_a_bare_layer_is_refused_with_the_fix(tmp_path, layer):
    with pytest.raises(CheckpointError, match="single layer") as info:
        snncompile.save(layer, tmp_path / "m.pt", example_input=X)
    assert "nn.Sequential(layer)" in info.value.hint


def test_bad_paths_and_metadata(tmp_path):
    with pytest.raises(CheckpointError, match="does not exist"):
        snncompile.save(_model(), tmp_path / "no" / "m.pt", example_input=X)
    with pytest.raises(CheckpointError, match="is a directory"):
        snncompile.save(_model(), tmp_path, example_input=X)
    with pytest.raises(snncompile.ConfigError, match=r"metadata\['when'\]"):
        snncompile.save(_model(), tmp_path / "m.pt", example_input=X, metadata={"when": object()})


# -- load --------------------------------------------------------------------------


@pytest.fixture
def saved(tmp_path):
    path = tmp_path / "good.pt"
    snncompile.save(_model(), path, example_input=X)
    return path


def _assert_error(path, *fragments: str) -> CheckpointError:
    with pytest.raises(CheckpointError) as info:
        snncompile.load(path)
    for fragment in fragments:
        assert fragment in str(info.value), str(info.value)
    assert info.value.hint
    return info.value


def test_missing_file_and_directory(tmp_path):
    _assert_error(tmp_path / "nope.pt", "does not exist")
    _assert_error(tmp_path, "is a directory")


def test_empty_truncated_and_garbage_files(tmp_path, saved):
    empty = tmp_path / "empty.pt"
    empty.write_bytes(b"")
    _assert_error(empty, "empty (0 bytes)")
    data = saved.read_bytes()
    truncated = tmp_path / "trunc.pt"
    truncated.write_bytes(data[: len(data) // 2])
    _assert_error(truncated, "truncated or corrupted")
    garbage = tmp_path / "garbage.pt"
    garbage.write_bytes(b"not a checkpoint at all\n" * 20)
    _assert_error(garbage, "not a torch file")


def test_corrupted_weight_bytes_fail_the_hash(tmp_path, saved):
    obj = torch.load(saved, weights_only=True)
    obj["state_dict"]["0.weight"][0, 0] += 1e-3
    bad = tmp_path / "tampered.pt"
    torch.save(obj, bad)
    err = _assert_error(bad, "weight hash mismatch")
    assert "modified or corrupted" in str(err)


def test_non_snncompile_torch_files(tmp_path):
    state = tmp_path / "state.pt"
    torch.save(_model().state_dict(), state)
    _assert_error(state, "not an snncompile checkpoint", "bare state_dict", "load_state_dict")
    other = tmp_path / "list.pt"
    torch.save([1, 2, 3], other)
    _assert_error(other, "not an snncompile checkpoint", "a list")


def test_newer_format_version_is_refused(tmp_path):
    obj = build_checkpoint(_model(), X)
    obj["format_version"] = FORMAT_VERSION + 1
    path = tmp_path / "future.pt"
    torch.save(obj, path)
    _assert_error(path, f"format version {FORMAT_VERSION + 1}", "reads up to version")


def test_pickled_module_refused_by_default_then_opt_in(tmp_path):
    model = Picklable().eval()
    path = tmp_path / "pickled.pt"
    torch.save(model, path)
    err = _assert_error(path, "pickled Python object", "Picklable", "arbitrary code")
    assert "allow_pickle=True" in err.hint and "--allow-pickle" in err.hint
    loaded = snncompile.load(path, allow_pickle=True)
    assert isinstance(loaded, Picklable) and not loaded.training
    assert torch.equal(loaded(X), model(X))


def test_allow_pickle_still_reads_snncompile_files(saved):
    assert snncompile.load(saved, allow_pickle=True)(X).shape == (2, 1, 2)


# -- crafted files: nothing from the file becomes code ------------------------------


def _crafted(tmp_path, mutate) -> object:
    obj = build_checkpoint(_model(), X)
    mutate(obj["architecture"])
    path = tmp_path / "crafted.pt"
    torch.save(obj, path)
    return path


@pytest.mark.parametrize(
    ("mutate", "fragment"),
    [
        (lambda a: a["graph"][1].update(name="x; import os"), "not a valid name"),
        (
            lambda a: a["graph"][1].update(op="call_function", target="os.system"),
            "unknown function 'os.system'",
        ),
        (
            lambda a: a["graph"][2].update(op="call_method", target="__class__"),
            "unknown tensor method",
        ),
        (lambda a: a["modules"]["1"].update(type="Evil"), "unknown type 'Evil'"),
        (lambda a: a["modules"]["1"]["config"].update(tau="2"), "cannot build LIF"),
        (lambda a: a["graph"].pop(), "no output node"),
        (lambda a: a["graph"][1]["args"].__setitem__(0, {"node": "later"}), "unknown or later"),
        (lambda a: a["graph"][1].update(target="0.__dict__"), "not a valid name"),
    ],
)
def test_crafted_architectures_are_refused(tmp_path, mutate, fragment):
    _assert_error(_crafted(tmp_path, mutate), fragment)
