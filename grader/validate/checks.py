"""Run the properties of `grader validate` over the assignments, one finding at a time."""

from __future__ import annotations

import traceback
from typing import Callable, Iterator, Sequence

from grader.suites import repository_assignments
from grader.validate import PROPERTY_NAMES, mutants, oracles, reference, schema, stubs, sync
from grader.validate.findings import FAIL, Finding
from grader.validate.run import Run

PROPERTIES: dict[str, Callable[[str, Run], Finding]] = {
    module.PROPERTY: module.check for module in (reference, stubs, mutants, sync, oracles, schema)}


def validate(run: Run, assignments: Sequence[str] | None = None,
             properties: Sequence[str] = PROPERTY_NAMES) -> Iterator[Finding]:
    """One finding per (assignment, property), schema last; with every assignment, also stray files and
    reference modules that have no suite."""
    ordered = [name for name in PROPERTIES if name in properties]
    every = repository_assignments(run.root)
    assignments = every if assignments is None else assignments
    for assignment in assignments:
        for name in ordered:
            yield guarded(name, assignment, run)
    if set(assignments) == set(every) and "sync" in ordered:
        yield from sync.strays(run, assignments)


def guarded(name: str, assignment: str, run: Run) -> Finding:
    """A property's finding; if checking it raised, a failure that says so (the others still run)."""
    try:
        return PROPERTIES[name](assignment, run)
    except Exception as error:  # noqa: BLE001 - one broken property must not hide the others' findings
        where = traceback.extract_tb(error.__traceback__)[-1]
        return Finding(assignment, name, FAIL, f"checking it raised {type(error).__name__}: {error} "
                                               f"({where.filename}, line {where.lineno})")
