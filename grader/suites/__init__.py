"""The assignments' suites, one module each, looked up by assignment name."""

from __future__ import annotations

import importlib

from grader.suites.framework import Suite

ASSIGNMENTS = ("conv", "pool", "params", "lenet", "train", "im2col")


def get_suite(assignment: str) -> Suite:
    """The suite of an assignment; a clear error names the assignments that exist."""
    if assignment not in ASSIGNMENTS:
        raise KeyError(f"unknown assignment {assignment!r}; choose one of: {', '.join(ASSIGNMENTS)}")
    return importlib.import_module(f"grader.suites.{assignment}").suite
