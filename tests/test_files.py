"""The grader's own output files (grader/files.py): shared with others, so created as the user's umask says."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from grader.files import write_atomic, write_json


@pytest.mark.parametrize("umask", [0o022, 0o027, 0o002])
def test_outputs_get_the_permissions_the_users_umask_gives_a_new_file(tmp_path: Path, umask: int) -> None:
    previous = os.umask(umask)
    try:
        write_atomic(tmp_path / "gradebook.csv", "id,total\n")
        write_json(tmp_path / "results.json", {"score": 1})
    finally:
        os.umask(previous)
    modes = {path.name: stat.S_IMODE(path.stat().st_mode) for path in tmp_path.iterdir()}
    assert modes == {"gradebook.csv": 0o666 & ~umask, "results.json": 0o666 & ~umask}


def test_an_existing_output_is_replaced_whole_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    target = tmp_path / "summary.html"
    target.write_text("old")
    write_atomic(target, "new")
    assert target.read_text() == "new" and [path.name for path in tmp_path.iterdir()] == ["summary.html"]
