"""Fuzzing the grader's readers of untrusted bytes: `.npy` blobs and framed messages from the sandbox child
(``grader.sandbox.wire``), and notebooks (``grader.submission``). Whatever the bytes, a reader returns what it
documents or raises its one documented error (``WireError``, ``SubmissionError``), allocating memory in
proportion to its input and taking no more than moments (Hypothesis deadlines, pytest-timeout)."""

from __future__ import annotations

import io
import json
import pickle
import struct
import time
import tracemalloc
from datetime import timedelta
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from grader.sandbox import wire
from grader.submission import MAX_SOURCE_BYTES, Submission, SubmissionError, load_submission

pytestmark = [pytest.mark.timeout(300), pytest.mark.slow]  # Hypothesis at length: make test-fast leaves it out

# Deterministic (CI must not flake), and a deadline per example far above what any example takes (milliseconds),
# far below a hang.
FUZZ = settings(max_examples=200, deadline=timedelta(seconds=5), derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow])
MiB = 1 << 20


def peak_bytes(read: Callable[[], Any]) -> tuple[Any, int]:
    """Run ``read`` and return (its value or the exception it raised, the peak of memory it allocated)."""
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        try:
            value: Any = read()
        except Exception as error:  # noqa: BLE001 - the caller checks which exception it was
            value = error
        return value, tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()


# ---- .npy blobs -----------------------------------------------------------------------------------------------

def npy(header: str, data: bytes, version: tuple[int, int] = (1, 0), length: int | None = None) -> bytes:
    """A .npy file: magic, version, header length (``length`` may lie), header text, data."""
    encoded = header.encode("utf-8")
    size = len(encoded) if length is None else length
    packed = struct.pack("<H", size % (1 << 16)) if version[0] == 1 else struct.pack("<I", size % (1 << 32))
    return b"\x93NUMPY" + bytes(version) + packed + encoded + data


DESCRS = ["<f8", "<f4", ">f8", "|u1", "<i8", "<c16", "|b1", "<f2", "O", "|O", "<U10", "|S5", "|V8", "<M8[s]",
          [("a", "<f8")], [("a", "|O")], ("<f8", (1_000_000_000,)), "garbage", "", 5, None]
DIMENSION = st.one_of(st.integers(0, 6), st.integers(-3, -1),
                      st.sampled_from([2 ** 31, 2 ** 62, 2 ** 63 - 1, 10 ** 30]), st.just(1.5), st.just("2"))


@st.composite
def crafted_npy(draw: st.DrawFn) -> bytes:
    """A .npy with a header numpy could write, or one that lies in any of its fields, and any amount of data."""
    fields: dict[str, Any] = {"descr": draw(st.sampled_from(DESCRS)),
                              "fortran_order": draw(st.sampled_from([False, True, 1, "yes"])),
                              "shape": tuple(draw(st.lists(DIMENSION, max_size=draw(st.sampled_from([3, 70])))))}
    for key in draw(st.lists(st.sampled_from(sorted(fields)), max_size=1, unique=True)):
        del fields[key]
    if draw(st.booleans()):
        fields["extra"] = 1
    text = repr(fields) if draw(st.integers(0, 9)) else draw(st.text(max_size=40))
    text += " " * (-(len(text) + 11) % 64) + "\n"
    dtype_size = 8
    try:
        dtype_size = np.dtype(fields.get("descr")).itemsize
    except (TypeError, ValueError):
        pass
    exact = dtype_size * int(np.prod([d for d in fields.get("shape", ()) if isinstance(d, int) and 0 <= d < 64]))
    data = b"\x00" * draw(st.sampled_from([exact, exact, max(exact - 1, 0), exact + 1, 0, draw(st.integers(0, 300))]))
    version = draw(st.sampled_from([(1, 0), (1, 0), (2, 0), (3, 0), (9, 9)]))
    length = draw(st.one_of(st.none(), st.integers(0, 70_000)))
    return npy(text, data, version, length)


def saved(array: np.ndarray, allow_pickle: bool = False) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=allow_pickle)
    return buffer.getvalue()


def pickled_blobs() -> st.SearchStrategy[bytes]:
    return st.sampled_from([saved(np.array([{"a": 1}, None], dtype=object), allow_pickle=True),
                            saved(np.array(["x", 1], dtype=object), allow_pickle=True),
                            pickle.dumps(np.arange(3)),
                            pickle.dumps(np.arange(3), protocol=0)])


def truncated(blob_strategy: st.SearchStrategy[bytes]) -> st.SearchStrategy[bytes]:
    return blob_strategy.flatmap(lambda blob: st.integers(0, len(blob)).map(lambda n: blob[:n]))


ANY_NPY = st.one_of(crafted_npy(), pickled_blobs(), st.binary(max_size=300),
                    truncated(hnp.arrays(hnp.floating_dtypes() | hnp.integer_dtypes(), hnp.array_shapes(max_dims=3))
                              .map(saved)))


def read_blob(blob: bytes) -> Any:
    return wire.decode({"$array": 0}, [blob])


@FUZZ
@given(blob=ANY_NPY)
@example(blob=npy("{'descr': '<f8', 'fortran_order': False, 'shape': (1000000000000,), }", b"\x00" * 64))
@example(blob=npy("{'descr': '<f8', 'fortran_order': False, 'shape': (1099511627776, 1099511627776), }", b""))
@example(blob=npy("{'descr': '<f8', 'fortran_order': False, 'shape': (0, 1000000000000000000000), }", b""))
@example(blob=npy("{'descr': '<f8', 'fortran_order': False, 'shape': (-1, -8), }", b"\x00" * 64))
@example(blob=npy("{'descr': '|V1000000000', 'fortran_order': False, 'shape': (), }", b""))
def test_a_blob_is_a_numeric_array_no_larger_than_itself_or_a_wire_error(blob: bytes) -> None:
    value, peak = peak_bytes(lambda: read_blob(blob))
    if isinstance(value, Exception):
        assert isinstance(value, wire.WireError), repr(value)
    else:
        assert type(value) is np.ndarray and value.dtype.kind in "biufc" and value.nbytes <= len(blob)
    assert peak <= 2 * len(blob) + MiB


@FUZZ
@given(array=hnp.arrays(st.sampled_from([np.float64, np.float32, np.int64, np.uint8, np.bool_, np.complex128,
                                         np.dtype(">f8"), np.float16]),
                        hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=5)),
       fortran=st.booleans())
def test_every_numeric_array_numpy_saves_reads_back_exactly(array: np.ndarray, fortran: bool) -> None:
    array = np.asfortranarray(array) if fortran else array
    back = read_blob(saved(array))
    assert back.dtype == array.dtype and back.shape == array.shape and back.flags.writeable
    np.testing.assert_array_equal(back, array)


# ---- framed messages --------------------------------------------------------------------------------------------

JSON_LEAVES = st.one_of(st.none(), st.booleans(), st.integers(-2 ** 70, 2 ** 70), st.floats(), st.text(max_size=10))
TAGS = ["$array", "$tuple", "$dict", "$npscalar", "$float", "$handle", "$object", "value", "repr", "blobs", "ok",
        "error", "modified_args", "cell_errors", "names", "label", "type", "message"]
JSON_VALUES = st.recursive(JSON_LEAVES, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(st.sampled_from(TAGS) | st.text(max_size=5), inner, max_size=4),
                           max_leaves=25)


@st.composite
def frames(draw: st.DrawFn) -> bytes:
    """A message framed as the child writes one, with any of its lengths, counts or contents lying."""
    header = draw(st.dictionaries(st.sampled_from(TAGS), JSON_VALUES, max_size=5))
    blobs = draw(st.lists(ANY_NPY, max_size=3))
    if draw(st.integers(0, 3)):
        header["blobs"] = len(blobs)
    body = json.dumps(header).encode() if draw(st.integers(0, 9)) else draw(st.binary(max_size=50))
    length = draw(st.sampled_from([len(body)] * 3 + [0, len(body) + 1, 2 ** 32 - 1, wire.MAX_HEADER_BYTES + 1]))
    parts = [struct.pack(">I", length), body]
    for blob in blobs:
        size = draw(st.sampled_from([len(blob)] * 3 + [len(blob) + 5, 2 ** 64 - 1, wire.MAX_MESSAGE_BYTES]))
        parts += [struct.pack(">Q", size), blob]
    message = b"".join(parts)
    return message[:draw(st.integers(0, len(message)))] if draw(st.integers(0, 4)) == 0 else message


def reader(data: bytes, chunk: int) -> Callable[[int], bytes]:
    """``read(n)`` over ``data`` that returns at most ``chunk`` bytes at a time, as a pipe may."""
    stream = io.BytesIO(data)
    return lambda n: stream.read(min(n, chunk))


@FUZZ
@given(data=frames() | st.binary(max_size=200), chunk=st.sampled_from([1, 3, 4096]))
@example(data=struct.pack(">I", 200_008) + b'{"blobs": 0, "v": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", chunk=4096)
@example(data=struct.pack(">I", 13) + b'{"blobs": 1}' + b" " + struct.pack(">Q", 2 ** 62) + b"\x00" * 8, chunk=4096)
def test_a_message_is_read_and_decoded_or_is_a_wire_error(data: bytes, chunk: int) -> None:
    def read_and_decode() -> Any:
        header, blobs = wire.read_message(reader(data, chunk))
        assert isinstance(header, dict) and all(type(b) is bytes for b in blobs)
        return wire.decode(header.get("value"), blobs)

    value, peak = peak_bytes(read_and_decode)
    assert not isinstance(value, Exception) or isinstance(value, wire.WireError), repr(value)
    assert peak <= 8 * len(data) + MiB


@FUZZ
@given(value=JSON_VALUES, blobs=st.lists(ANY_NPY, max_size=2))
@example(value={"$npscalar": "V", "value": 2 ** 31 - 1}, blobs=[])
@example(value={"$npscalar": "int8", "value": 1000}, blobs=[])
@example(value={"$npscalar": "float64", "value": [1.0, 2.0]}, blobs=[])
@example(value={"$npscalar": "O", "value": [1]}, blobs=[])
@example(value={"$float": "1e999999"}, blobs=[])
@example(value={"$dict": [[1, 2]]}, blobs=[])
@example(value={"$object": [[[]]], "repr": "x" * 10_000}, blobs=[])
def test_decoding_any_json_gives_plain_data_or_a_wire_error(value: Any, blobs: list[bytes]) -> None:
    try:
        decoded = wire.decode(value, blobs)
    except wire.WireError:
        return
    assert plain(decoded)


def plain(value: Any) -> bool:
    """Whether a decoded value is made only of what the wire format documents."""
    if isinstance(value, (list, tuple)):
        return all(plain(v) for v in value)
    if isinstance(value, dict):
        return all(type(k) is str and plain(v) for k, v in value.items())
    if isinstance(value, np.ndarray):
        return type(value) is np.ndarray and value.dtype.kind in "biufc"
    if isinstance(value, np.generic):
        return value.dtype.kind in "biuf"
    if isinstance(value, wire.Foreign):
        return len(value.type_name) <= wire.MAX_FOREIGN_TEXT and len(value.text) <= wire.MAX_FOREIGN_TEXT
    return value is None or type(value) in (bool, int, float, str, wire.Handle)


def test_reply_fields_of_the_wrong_type_are_wire_errors() -> None:
    for field in ({"error": "boom"}, {"error": {"type": 1}}, {"modified_args": ["x"]}, {"modified_args": 3},
                  {"cell_errors": [{"label": 1}]}, {"cell_errors": "none"}, {"names": ["f"]}, {"ok": "yes"}):
        body = json.dumps({"blobs": 0, **field}).encode()
        with pytest.raises(wire.WireError, match="malformed"):
            wire.read_message(io.BytesIO(struct.pack(">I", len(body)) + body).read)


def test_a_lying_npy_header_is_refused_before_anything_is_allocated() -> None:
    blob = npy("{'descr': '<f8', 'fortran_order': False, 'shape': (1000000000000,), }", b"\x00" * 64)
    error, peak = peak_bytes(lambda: read_blob(blob))
    assert isinstance(error, wire.WireError) and "declares shape (1000000000000,)" in str(error)
    assert peak < MiB


# ---- notebooks --------------------------------------------------------------------------------------------------

SOURCES = st.one_of(st.text(max_size=40), st.lists(st.text(max_size=20), max_size=3), st.integers(), st.none(),
                    st.lists(st.one_of(st.integers(), st.none()), max_size=2), st.just("%%time\nx = 1"),
                    st.just("def f(:\n"), st.just("!rm -rf /\nx = 1"))
CELL_TYPES = st.sampled_from(["code", "code", "markdown", "raw", "Code", "", None, 5, ["code"]])


@st.composite
def cells(draw: st.DrawFn) -> Any:
    if not draw(st.integers(0, 9)):
        return draw(JSON_VALUES)
    cell: dict[str, Any] = {"cell_type": draw(CELL_TYPES), "source": draw(SOURCES),
                            "metadata": draw(st.one_of(st.fixed_dictionaries({"tags": st.one_of(
                                st.lists(st.sampled_from(["check", "x"]), max_size=2), st.text(max_size=5),
                                st.none())}), JSON_VALUES)),
                            "outputs": draw(JSON_VALUES), "execution_count": draw(JSON_LEAVES),
                            "attachments": draw(JSON_VALUES), "id": draw(st.one_of(st.text(max_size=8), JSON_LEAVES))}
    for key in draw(st.lists(st.sampled_from(sorted(cell)), max_size=3, unique=True)):
        del cell[key]
    return cell


@st.composite
def notebooks(draw: st.DrawFn) -> bytes:
    """Random JSON, JSON that is almost a notebook (any version, fields of the wrong types), or raw bytes."""
    kind = draw(st.integers(0, 9))
    if kind == 0:
        return draw(st.binary(max_size=200))
    if kind == 1:
        return json.dumps(draw(JSON_VALUES)).encode()
    notebook: dict[str, Any] = {"nbformat": draw(st.sampled_from([4, 4, 4, 3, 2, 1, 5, "4", 4.0, None])),
                                "nbformat_minor": draw(st.sampled_from([0, 2, 5, 99, -1, "5", None])),
                                "metadata": draw(st.one_of(st.fixed_dictionaries({"kernelspec": JSON_VALUES}),
                                                           JSON_VALUES)),
                                "cells": draw(st.one_of(st.lists(cells(), max_size=6), JSON_VALUES))}
    if notebook["nbformat"] == 3 or draw(st.integers(0, 5)) == 0:
        notebook["worksheets"] = [{"cells": [{"cell_type": "code", "input": draw(SOURCES), "outputs": []}]}]
    text = json.dumps(notebook)
    return (b"\xef\xbb\xbf" if kind == 2 else b"") + text.encode()


@pytest.fixture(scope="module")
def notebook_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz") / "params.ipynb"


def load(path: Path, data: bytes) -> Any:
    path.write_bytes(data)
    return load_submission(path, "params")


@FUZZ
@given(data=notebooks())
def test_a_notebook_is_code_cells_or_a_submission_error(data: bytes, notebook_path: Path) -> None:
    value, peak = peak_bytes(lambda: load(notebook_path, data))
    if isinstance(value, Exception):
        assert isinstance(value, SubmissionError), repr(value)
        assert "params.ipynb" in str(value)
    else:
        assert isinstance(value, Submission) and value.kind == "ipynb"
        assert all(type(c.source) is str and c.source.strip() for c in value.cells)
    assert peak <= 64 * len(data) + 16 * MiB


@pytest.mark.parametrize("body", [
    b"{}," * 2_000_000,  # six million bytes of empty objects
    b"[]," * 2_000_000,
    b'"ab",' * 1_500_000,
    b'{"cell_type": "code", "source": "x = 1", "metadata": {}, "outputs": []},' * 20_000,
    b'{"cell_type": "markdown", "source": ""},' * 50_000,
], ids=["objects", "lists", "strings", "code-cells", "markdown-cells"])
def test_a_notebook_of_countless_tiny_values_is_refused_quickly_in_little_memory(body: bytes,
                                                                                   notebook_path: Path) -> None:
    """JSON of tiny values takes 20 times its size once parsed, and nbformat walks each one: 64 MiB of `{},`
    took the grader's memory into the gigabytes before these were bounded."""
    data = b'{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "junk": [' + body + b'0], "cells": []}'
    if b"cell_type" in body:
        data = b'{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [' + body + b'{"cell_type": "raw"}]}'
    started = time.monotonic()
    error, peak = peak_bytes(lambda: load(notebook_path, data))
    assert isinstance(error, SubmissionError), repr(error)
    assert time.monotonic() - started < 5 and peak < 20 * len(data)


def test_megabytes_of_code_in_one_cell_are_refused_before_being_scanned(notebook_path: Path) -> None:
    """strip_magics scans code line by line in Python: 50 MiB of it took seconds before the size was checked."""
    source = "x = 1\n" * (8 * MAX_SOURCE_BYTES // 6)
    cell = {"cell_type": "code", "source": source, "metadata": {}, "outputs": [], "execution_count": None}
    data = json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [cell]}).encode()
    started = time.monotonic()
    with pytest.raises(SubmissionError, match="more than 2 MiB of code"):
        load(notebook_path, data)
    assert time.monotonic() - started < 2
