"""Run pytest as an ordinary user (uid 4242), from a root shell: ``python tests/as_ordinary_user.py BASETEMP ARGS``.

This machine's Python may live under ``/root``, which other users cannot enter; a private mount namespace
shows them the installation only (the sandbox's own `expose`), then root is dropped for good.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from grader.sandbox.child import isolation  # noqa: E402 - the repository is put on the path just above

# Not nobody (65534): inside a new user namespace an unmapped id reads as 65534, so a sandbox that maps the id it
# reads there instead of its own passed as nobody and failed every other user.
ORDINARY = 4242


def main() -> None:
    basetemp, *pytest_args = sys.argv[1:]
    os.makedirs(basetemp, exist_ok=True)
    os.chown(basetemp, ORDINARY, ORDINARY)
    isolation.private_mounts()
    isolation.expose(isolation.closed_folders([sys.base_prefix, sys.prefix, os.path.realpath(sys.executable)]))
    os.setgroups([])
    os.setresgid(ORDINARY, ORDINARY, ORDINARY)
    os.setresuid(ORDINARY, ORDINARY, ORDINARY)
    environment = dict(os.environ, HOME=basetemp, HYPOTHESIS_STORAGE_DIRECTORY=f"{basetemp}/.hypothesis")
    os.execve(sys.executable, [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", f"--basetemp={basetemp}/pytest",
                               *pytest_args], environment)


if __name__ == "__main__":
    main()
