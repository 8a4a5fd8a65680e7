# Attack: get the reference solution, the grader's suites or the MNIST test set, by import (after removing
# the import blocker and putting the repository on sys.path) and by path; use the reference's answer if any
# of it could be read, else return a wrong answer.
import importlib
import json
import os
import sys

PLACES = json.loads(r'''@PLACES@''')
ROOT = PLACES["root"]


def _steal():
    leaks, stolen = [], None
    sys.meta_path[:] = [f for f in sys.meta_path if "Block" not in type(f).__name__]
    sys.path.insert(0, ROOT)
    for name in ("reference.params", "reference", "grader.suites.params", "grader.oracles"):
        try:
            module = importlib.import_module(name)
            leaks.append(name)
            stolen = stolen or getattr(module, "receptive_field", None)
        except BaseException:  # noqa: BLE001 - the attacker tries everything
            pass
    for relative in ("reference/params.py", "grader/suites/params/__init__.py", "grader/oracles/__init__.py", "README.md"):
        try:
            with open(os.path.join(ROOT, relative)) as handle:
                source = handle.read()
            leaks.append(relative)
            namespace = {}
            exec(compile(source, relative, "exec"), namespace)
            stolen = stolen or namespace.get("receptive_field")
        except BaseException:  # noqa: BLE001
            pass
    for name in ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz", "README.md"):
        try:
            with open(os.path.join(PLACES["mnist"], name), "rb") as handle:
                handle.read(16)
            leaks.append(name)
        except OSError:
            pass
    for folder in (ROOT, os.path.join(ROOT, "reference"), PLACES["mnist"]):
        try:
            os.listdir(folder)
            leaks.append("listed " + folder)
        except OSError:
            pass
    return leaks, stolen


def receptive_field(layers):
    leaks, stolen = _steal()
    print("LEAKED" if leaks else "NOTHING LEAKED", leaks)
    return stolen(layers) if stolen else 0
