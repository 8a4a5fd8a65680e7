"""How long `grader check` takes end to end: cold (a fresh process that grades by itself, `--no-daemon`), and warm
(a repeated check answered by the warm grader, grader/warm), at the quick profile (a student's local check) and the
thorough one (the official grade).

Goals (issue 25, on the 2-core course machine when idle): a repeated (warm) quick check of the `conv` reference in at
most 1 s, a cold quick check of it in at most 2 s, and the cold thorough grade of correct loop-based code in at most
5 s. The peer, timed in the same run between the checks, is a bare `python -c "import torch"`: the fixed cost any
torch-based grader pays once per process, which the warm grader pays once per session. Each figure is the median of
--repeats runs, the peer's too; the load average before and after is printed, since other work on the machine
slows every figure (compare ratios from one run, and absolute times only from a quiet machine). "cpu" is the CPU
time the check used in all its processes (the client, the daemon, the zygote, the sandbox's children): on a loaded
machine it says more than the wall time about what the check would take on a quiet one.

The warm grader runs in a folder of this script's own (``GRADER_DAEMON_DIR``) and is stopped at the end. "first" is
the first check of a session: it starts the daemon, which then grades cold; "warm" is every later check.

On a shared machine, ``--idle 0.9`` waits before each round (a peer, a cold and a warm run) until both cores were at
least 90 % idle for two seconds, so that another user's burst lands between rounds rather than in them.

Run: .venv/bin/python bench/check_speed.py [--repeats N] [--idle FRACTION]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = "reference/conv.py"
LOOPS = "tests/fixtures/submissions/conv/correct_loops.py"
SEVEN_DEEP = "tests/fixtures/students/conv/loops_scalar_seven_deep.py"
# (assignment, submission, profile, cold goal in seconds or None, warm goal in seconds or None)
RUNS = (
    ("conv", REFERENCE, "quick", 2.0, 1.0),
    ("conv", LOOPS, "quick", None, None),
    ("conv", SEVEN_DEEP, "quick", None, None),
    ("conv", REFERENCE, "thorough", None, None),
    ("conv", LOOPS, "thorough", 5.0, None),
    ("conv", SEVEN_DEEP, "thorough", 5.0, None),
    ("pool", "reference/pool.py", "quick", None, None),
    ("params", "reference/params.py", "quick", None, None),
)


def seconds(command: list[str], environment: dict[str, str], daemon: int = 0) -> tuple[float, float]:
    """Wall-clock and CPU seconds of one run of ``command`` (its exit status is ignored: failures are graded
    output). CPU: the command's and its children's (the zygote and the sandbox's children included), plus, for a
    warm check, what the daemon ``daemon`` and its zygote spent meanwhile."""
    cpu, daemon_cpu = children_cpu(), tree_cpu(daemon)
    started = time.perf_counter()
    subprocess.run(command, cwd=ROOT, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   check=False)
    return time.perf_counter() - started, children_cpu() - cpu + tree_cpu(daemon) - daemon_cpu


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def tree_cpu(root: int) -> float:
    """CPU seconds of process ``root`` and every process below it, the exited ones they reaped included."""
    if not root:
        return 0.0
    parents, used = {}, {}
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        parents[int(entry.name)] = int(fields[1])
        used[int(entry.name)] = sum(int(tick) for tick in fields[11:15]) / os.sysconf("SC_CLK_TCK")
    below, found = {root}, True
    while found:
        found = {pid for pid, parent in parents.items() if parent in below} - below
        below |= found
    return sum(used.get(pid, 0.0) for pid in below)


def cpu_ticks() -> tuple[int, int]:
    """The machine's (idle, total) clock ticks since boot, all cores together (iowait counts as idle)."""
    ticks = [int(field) for field in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return ticks[3] + ticks[4], sum(ticks)


def idle_share(seconds: float = 2.0) -> float:
    """The share of the machine's CPU time that was idle over the next ``seconds`` (from /proc/stat)."""
    idle, total = cpu_ticks()
    time.sleep(seconds)
    idle_after, total_after = cpu_ticks()
    return (idle_after - idle) / max(1, total_after - total)


def wait_until_idle(share: float) -> None:
    """Return once the machine was at least ``share`` idle for two seconds (at once when ``share`` is 0)."""
    while share and idle_share() < share:
        time.sleep(5)


def verdict(took: float, goal: float | None) -> str:
    return f"<= {goal:g} s: {'met' if took <= goal else 'NOT met'}" if goal else ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--idle", type=float, default=0.0, metavar="FRACTION",
                        help="before each round, wait until the machine was this idle for 2 s (default: no wait)")
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="bench-warm-")
    warm = os.environ | {"GRADER_DAEMON_DIR": folder, "GRADER_NO_DAEMON": "0", "GRADER_DAEMON_IDLE": "3600"}
    cold = os.environ | {"GRADER_NO_DAEMON": "1"}
    grader = [sys.executable, "-m", "grader.cli"]
    print(f"load average before: {' '.join(f'{load:.1f}' for load in os.getloadavg())} on {os.cpu_count()} CPUs")
    peers: list[tuple[float, float]] = []
    try:
        first, first_cpu = seconds([*grader, "check", *RUNS[0][:2]], warm)  # starts the daemon
        daemon = daemon_pid(warm)
        first_cpu += tree_cpu(daemon)
        print(f"{'assignment':<8} {'submission':<55} {'profile':<9} {'cold s':>7} {'cpu':>5} {'/peer':>6} "
              f"{'warm s':>7} {'cpu':>5} {'/peer':>6}  goals")
        for assignment, submission, profile, cold_goal, warm_goal in RUNS:
            check = [*grader, "check", assignment, submission, "--profile", profile]
            colds, warms = [], []
            for _ in range(args.repeats):  # interleaved, so that a change of load touches all three alike
                wait_until_idle(args.idle)
                peers.append(seconds([sys.executable, "-c", "import torch"], cold))
                colds.append(seconds(check, cold))
                warms.append(seconds(check, warm, daemon))
            peer = statistics.median(wall for wall, _ in peers)
            (cold_s, cold_cpu), (warm_s, warm_cpu) = medians(colds), medians(warms)
            goals = "; ".join(filter(None, [verdict(cold_s, cold_goal) and f"cold {verdict(cold_s, cold_goal)}",
                                            verdict(warm_s, warm_goal) and f"warm {verdict(warm_s, warm_goal)}"]))
            print(f"{assignment:<8} {submission:<55} {profile:<9} {cold_s:>7.2f} {cold_cpu:>5.2f} "
                  f"{cold_s / peer:>6.2f} {warm_s:>7.2f} {warm_cpu:>5.2f} {warm_s / peer:>6.2f}  {goals}", flush=True)
    finally:
        subprocess.run([*grader, "daemon", "stop"], cwd=ROOT, env=warm, stdout=subprocess.DEVNULL, check=False)
        shutil.rmtree(folder, ignore_errors=True)
    peer, peer_cpu = medians(peers)
    print(f"import torch (peer): median {peer:.2f} s ({peer_cpu:.2f} s CPU) of {len(peers)} runs, "
          f"{min(wall for wall, _ in peers):.2f}-{max(wall for wall, _ in peers):.2f} s")
    print(f"first check of the session (starts the warm grader, which grades cold): {first:.2f} s, {first_cpu:.2f} s "
          "CPU")
    print(f"load average after: {' '.join(f'{load:.1f}' for load in os.getloadavg())}")


def medians(runs: list[tuple[float, float]]) -> tuple[float, float]:
    """The median wall time and the median CPU time of some runs."""
    return statistics.median(wall for wall, _ in runs), statistics.median(cpu for _, cpu in runs)


def daemon_pid(environment: dict[str, str]) -> int:
    """The pid of the warm grader that the first check started (from `grader daemon status`)."""
    status = subprocess.run([sys.executable, "-c", "from grader.warm.client import control; import json; "
                             "print(json.dumps(control('status')))"], cwd=ROOT, env=environment,
                            capture_output=True, text=True, check=True)
    return int(json.loads(status.stdout)["pid"])


if __name__ == "__main__":
    main()
