"""Where this install's warm grader is found, and whether it still runs this install's code.

One daemon per user and per install: its key hashes the Python interpreter, the folders the `grader` and
`reference` packages are imported from and the course folders in force, so two checkouts or virtual environments
on one machine never share one. Its socket lives in a folder that only its user may enter: ``$GRADER_DAEMON_DIR``
if set (tests), else ``$XDG_RUNTIME_DIR/cnn-grader``, else ``<tmp>/cnn-grader-<uid>``, created with mode 0700 and
refused when it is a link, someone else's, or open to others. The fingerprint hashes the code the daemon loads (the
grader's and the reference's files, the course folders' suites and references, and when the installed packages
last changed): a daemon whose fingerprint no longer matches restarts.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import stat
import sys
import sysconfig
import tempfile
from dataclasses import dataclass
from pathlib import Path

import grader
from grader.suites import course_folders

DIR_VARIABLE = "GRADER_DAEMON_DIR"
SOCKET_PATH_LIMIT = 100  # a Unix socket's path holds at most 107 bytes


class PlaceError(Exception):
    """The daemon's folder cannot be used safely; the message says why and what to do."""


@dataclass(frozen=True)
class Install:
    """What a daemon's key is made of: the interpreter and where the code it grades with comes from."""

    python: str
    grader: str
    reference: str  # "" where no reference package is importable (a student's install)
    courses: tuple[str, ...]

    @staticmethod
    def this_one() -> "Install":
        spec = importlib.util.find_spec("reference")
        reference = list(spec.submodule_search_locations or []) if spec else []
        return Install(sys.executable, str(Path(grader.__file__).resolve().parent),
                       str(Path(reference[0]).resolve()) if reference else "",
                       tuple(str(folder.resolve()) for folder in course_folders()))

    @property
    def key(self) -> str:
        parts = "\0".join([self.python, self.grader, self.reference, *self.courses])
        return hashlib.sha256(parts.encode()).hexdigest()[:20]

    @property
    def import_roots(self) -> list[str]:
        """The folders holding the grader and reference packages: first on the daemon's import path."""
        return list(dict.fromkeys(str(Path(folder).parent) for folder in (self.grader, self.reference) if folder))

    def fingerprint(self) -> str:
        """A hash of every file of the code the daemon loads, and of when the installed packages last changed."""
        digest = hashlib.sha256()
        roots = [Path(self.grader), *([Path(self.reference)] if self.reference else [])]
        roots += [Path(course) / part for course in self.courses for part in ("suites", "reference")]
        for root in roots:
            for path in sorted(source_files(root)):
                digest.update(f"{path}\0".encode() + path.read_bytes())
        for folder in dict.fromkeys(sysconfig.get_paths()[name] for name in ("purelib", "platlib")):
            if os.path.isdir(folder):
                digest.update(f"{folder}\0{os.stat(folder).st_mtime_ns}".encode())
        return digest.hexdigest()


def source_files(root: Path) -> list[Path]:
    """The files under ``root`` (links followed, as the templates folder is one), without bytecode caches."""
    found = []
    for folder, subfolders, files in os.walk(root, followlinks=True):
        subfolders[:] = [name for name in subfolders if name != "__pycache__" and not name.startswith(".")]
        found += [Path(folder) / name for name in files if not name.endswith(".pyc")]
    return found


@dataclass(frozen=True)
class Place:
    """The files of one install's daemon in its user's private folder."""

    folder: Path
    key: str

    @property
    def socket(self) -> Path:
        return self.folder / f"{self.key}.sock"

    @property
    def lock(self) -> Path:
        return self.folder / f"{self.key}.lock"

    @property
    def log(self) -> Path:
        return self.folder / f"{self.key}.log"


def place_of(install: Install) -> Place:
    """Where ``install``'s daemon listens; PlaceError when its folder is not private or the path is too long."""
    place = Place(private_folder(default_folder()), install.key)
    if len(str(place.socket).encode()) > SOCKET_PATH_LIMIT:
        raise PlaceError(f"{place.socket} is too long for a Unix socket: set {DIR_VARIABLE} to a shorter folder")
    return place


def default_folder() -> Path:
    if os.environ.get(DIR_VARIABLE):
        return Path(os.environ[DIR_VARIABLE])
    if os.environ.get("XDG_RUNTIME_DIR"):
        return Path(os.environ["XDG_RUNTIME_DIR"]) / "cnn-grader"
    return Path(tempfile.gettempdir()) / f"cnn-grader-{os.getuid()}"


def private_folder(folder: Path) -> Path:
    """``folder``, created with mode 0700 if missing; PlaceError if it is a link, another user's or open to others."""
    try:
        folder.mkdir(mode=0o700)
    except FileExistsError:
        pass
    except OSError as error:
        raise PlaceError(f"cannot create {folder} for the warm grader ({error}): set {DIR_VARIABLE} to a folder "
                         "of your own") from None
    info = os.lstat(folder)
    if not stat.S_ISDIR(info.st_mode):
        raise PlaceError(f"{folder} is not a folder (a link or a file): remove it, or set {DIR_VARIABLE}")
    if info.st_uid != os.getuid():
        raise PlaceError(f"{folder} belongs to user {info.st_uid}, not to you: set {DIR_VARIABLE} to a folder of "
                         "your own")
    if info.st_mode & 0o077:
        raise PlaceError(f"{folder} is open to other users (mode {stat.S_IMODE(info.st_mode):o}): "
                         f"run chmod 700 {folder}")
    return folder
