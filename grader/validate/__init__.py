"""`grader validate`: the course CI check. For every assignment it proves that the reference scores full marks,
the untouched stub scores 0, every catalogued mistake fails a check that names it, assignments/ is what
`grader release` writes, the two oracles agree, and every results.json produced is valid Gradescope.

Each property is a module with ``check(assignment, run) -> Finding``; ``grader.validate.checks.validate`` yields
one finding per (assignment, property), in order, so the command can print them as they come.
"""

PROPERTY_NAMES = ("reference", "stubs", "mutants", "sync", "oracles", "schema")
