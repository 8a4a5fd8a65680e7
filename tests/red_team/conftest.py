"""The red-team suite's fixtures; its helpers live in attacking.py."""

from pathlib import Path

import pytest

from red_team.attacking import limits, processes, world  # noqa: F401 - fixtures, registered by being in this module

HERE = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every attack here is graded end to end in the sandbox: all are slow (make test-fast leaves them out, CI and
    the rerun as an ordinary user run them)."""
    for item in items:
        if item.path.is_relative_to(HERE):
            item.add_marker(pytest.mark.slow)
