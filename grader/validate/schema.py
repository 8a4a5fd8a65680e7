"""Every results.json the run produced (reference, stubs, mutants) validates against the Gradescope schema.

The schema is ../shared/schemas/gradescope_results.schema.json beside the course repository when there is one;
otherwise the copy bundled here (a test keeps the two identical), so a course repository's CI needs nothing else.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from grader.files import json_text
from grader.reports.results_json import results_json
from grader.results import GradeReport
from grader.validate.findings import FAIL, OK, SKIP, Finding, first_line
from grader.validate.run import Run

PROPERTY = "schema"
SCHEMA_NAME = "gradescope_results.schema.json"
BUNDLED = Path(__file__).with_name(SCHEMA_NAME)


def schema_path(root: Path) -> Path:
    """The shared schema beside the repository when present, else the bundled copy."""
    shared = root.resolve().parent / "shared" / "schemas" / SCHEMA_NAME
    return shared if shared.is_file() else BUNDLED


def written(report: GradeReport) -> Any:
    """The results.json `grader gradescope` would write for this report, as parsed JSON (strict: no NaN)."""
    return json.loads(json_text(results_json(report)))


def check(assignment: str, run: Run) -> Finding:
    """Validate the results.json of every report this run kept for the assignment."""
    reports = run.reports.get(assignment, [])
    if not reports:
        return Finding(assignment, PROPERTY, SKIP, "no results.json was produced (the reference, stubs and mutants "
                                                   "properties produce them)")
    try:
        import jsonschema
    except ImportError:
        return Finding(assignment, PROPERTY, FAIL, "jsonschema is not installed: pip install -e '.[test]'")
    path = schema_path(run.root)
    validator = jsonschema.Draft202012Validator(json.loads(path.read_text(encoding="utf-8")))
    for report in reports:
        try:
            errors = sorted(validator.iter_errors(written(report)), key=lambda e: list(e.absolute_path))
        except (TypeError, ValueError) as error:
            return Finding(assignment, PROPERTY, FAIL, f"the results.json of {report.submission} is not JSON: {error}")
        if errors:
            where = "/".join(str(part) for part in errors[0].absolute_path) or "the top level"
            return Finding(assignment, PROPERTY, FAIL, f"the results.json of {report.submission} breaks {path.name} "
                                                       f"at {where}: {first_line(errors[0].message, 160)}")
    return Finding(assignment, PROPERTY, OK, f"{len(reports)} results.json valid against {display(path, run.root)}")


def display(path: Path, root: Path) -> str:
    """The schema's path as a reader finds it: relative to the repository's parent, or the bundled copy's name."""
    return "the bundled copy of the schema" if path == BUNDLED else str(path.relative_to(root.resolve().parent))
