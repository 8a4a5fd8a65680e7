"""The red-team suite's fixtures; its helpers live in attacking.py."""

from red_team.attacking import limits, processes, world  # noqa: F401 - fixtures, registered by being in this module
