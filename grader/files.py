"""The grader's own output files: written atomically, with the user's umask (they are shared: a gradebook, reports,
results.json), and JSON always strict.

Every results.json (``grader check --json``, ``grader batch``, ``grader gradescope``) and every batch record goes
through ``write_json``: strict parsers (Gradescope's, browsers', jq) reject NaN and Infinity, which a student's
output puts in a report as easily as any other number.
"""

from __future__ import annotations

import json
import math
import os
import secrets
from pathlib import Path
from typing import Any


def new_temporary(path: Path, suffix: str) -> tuple[int, Path]:
    """A new hidden file beside ``path``, opened for writing, with the permissions the user's umask gives any new
    file (tempfile.mkstemp's are 0600: a gradebook only its writer could read)."""
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(8)}{suffix}")
    return os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666), temporary


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` so that ``path`` holds either its old content or all of the new one, even after a crash."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = new_temporary(path, ".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def strict_json(value: Any) -> Any:
    """``value`` with NaN and infinities written as the strings ``"nan"``, ``"inf"`` and ``"-inf"``."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {key: strict_json(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [strict_json(item) for item in value]
    return value


def json_text(value: Any, sort_keys: bool = False) -> str:
    """``value`` as strict JSON text, indented, with a final newline."""
    return json.dumps(strict_json(value), indent=2, allow_nan=False, sort_keys=sort_keys) + "\n"


def write_json(path: Path, value: Any) -> None:
    """Write ``value`` to ``path`` as strict JSON, atomically."""
    write_atomic(path, json_text(value))
