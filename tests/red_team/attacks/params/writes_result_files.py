# Attack: write a fake results.json (full marks) wherever a grader might read one: its working folder, the
# folder above it, /tmp, $HOME (the sandbox's and the real one), the repository, the data folder, and over
# another student's results; then return a wrong answer.
import json
import os

PLACES = json.loads(r'''@PLACES@''')
FAKE = json.dumps({"score": 100.0, "tests": []})


def _targets():
    yield "results.json"
    yield os.path.join("..", "results.json")
    yield os.path.join(os.path.expanduser("~"), "results.json")
    yield os.path.join(PLACES["home"], "results.json")
    yield os.path.join(PLACES["tmp"], "results.json")
    yield from PLACES["loose"]
    yield os.path.join(PLACES["outside"], "results.json")
    yield os.path.join(PLACES["outside"], "other-student", "results.json")
    yield from PLACES.get("targets", [])


def _write_everywhere():
    written = []
    for target in _targets():
        try:
            os.makedirs(os.path.dirname(os.path.abspath(target)), exist_ok=True)
            with open(target, "w") as handle:
                handle.write(FAKE)
            written.append(os.path.realpath(target))
        except OSError:
            pass
    return written


print("SCRATCH", json.dumps(os.path.realpath(os.getcwd())))
print("WROTE", json.dumps(_write_everywhere()))


def linear_param_count(in_features, out_features, bias=True):
    print("WROTE", json.dumps(_write_everywhere()))
    return 0
