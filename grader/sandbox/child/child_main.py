"""The sandbox child: runs one student submission and answers the grader's calls.

Forked by the zygote (``zygote_main.py``, a ``python -I -S`` interpreter that
holds none of the grader's imports) into an empty scratch folder. It applies
its confinement and resource limits before any student code runs, loads the
wire format by file path, and then serves requests: ``load`` (execute the
submission's cells), ``call`` (call one of its functions), ``sync`` (mark the
end of captured output). It never sees expected values: only inputs arrive.
"""

from __future__ import annotations

import hashlib
import importlib.abc
import importlib.util
import json
import linecache
import os
import resource
import signal
import sys
import traceback
import types
from collections import OrderedDict
from typing import Any, Collection

MAX_KEPT_OBJECTS = 64
SUBMISSION_MODULE = "submission"


def apply_limits(limits: dict[str, int], counted: bool, tmpfs_mib: int) -> None:
    """Lower this process's resource limits (soft and hard) before student code runs.

    The address space leaves room for the ``tmpfs_mib`` of tmpfs the child may fill (its scratch and /dev/shm),
    whose pages it does not count, so that its memory in all stays within the limit. The process count is per
    user, so it is limited only where the kernel counts this child's processes apart (``counted``: a user or a
    user namespace of its own).
    """
    settings = {
        resource.RLIMIT_AS: (limits["memory_mib"] - tmpfs_mib) << 20,
        resource.RLIMIT_CPU: limits["cpu_seconds"],
        resource.RLIMIT_FSIZE: limits["file_size_mib"] << 20,
        resource.RLIMIT_CORE: 0,
    }
    if counted:
        settings[resource.RLIMIT_NPROC] = limits["processes"]
    for which, value in settings.items():
        resource.setrlimit(which, (value, value + 1 if which == resource.RLIMIT_CPU else value))  # SIGXCPU, then KILL
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)


def join_groups(folders: list[str]) -> None:
    """Enter the cgroups the grader made for this child (before giving up root: the files are the grader's)."""
    for folder in folders:
        with open(os.path.join(folder, "cgroup.procs"), "w") as procs:
            procs.write(str(os.getpid()))


def limits_held(limits: dict[str, int], held: list[str], groups: dict[str, Any]) -> str:
    """Which of the per-submission limits hold in this child and how, for its level line."""
    controllers, cgroup, one_process = set(groups["controllers"]), groups["label"], "one process" in held
    counted = next((part for part in held if part in ("own user", "own user namespace")), "")

    def how(*ways: str) -> str:
        return " and ".join(way for way in ways if way) or "not held"

    landlock = any(part.startswith("Landlock ABI") for part in held)
    scratch = next((part for part in held if part.startswith("scratch")), "scratch not capped")
    if scratch.startswith("scratch not capped") and landlock:
        scratch = "scratch read-only (no mount namespace for a capped tmpfs)"
    return "; ".join([
        f"memory {limits['memory_mib']} MiB by " + how("one process" if one_process else "",
                                                        cgroup if "memory" in controllers else ""),
        "processes 1" if one_process else f"processes {limits['processes']} by " + how(
            cgroup if "pids" in controllers else ""),
        f"threads {limits['processes']} by " + how(counted, cgroup if "pids" in controllers else ""),
        scratch,
        "CPU time by " + how("one process" if one_process else "", cgroup if "cpuacct" in controllers else ""),
        "CPU share by " + how("fixed cores" if "seccomp" in held else "", cgroup if "cpu" in controllers else ""),
    ])


def die_with_parent() -> None:
    """Ask Linux to kill this process when the grader dies (no orphans left running)."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() == 1:
        os._exit(70)


class BlockedImports(importlib.abc.MetaPathFinder):
    """Refuse imports this assignment forbids, with the sentence the student will read."""

    def __init__(self, blocked: dict[str, str]) -> None:
        self.blocked = blocked

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> None:
        reason = self.blocked.get(fullname.partition(".")[0])
        if reason:
            raise ImportError(reason)


class Server:
    """Holds the student's module and the objects kept between calls."""

    def __init__(self, wire: types.ModuleType, marker: str, probes: types.ModuleType | None) -> None:
        self.wire = wire
        self.marker = marker
        self.probes = probes
        self.module = types.ModuleType(SUBMISSION_MODULE)
        sys.modules[SUBMISSION_MODULE] = self.module
        self.kept: OrderedDict[int, Any] = OrderedDict()
        self.next_number = 1
        self.cell_files: set[str] = set()  # the file names the student's cells are compiled under

    def handle(self, header: dict[str, Any], blobs: list[bytes]) -> tuple[dict[str, Any], list[bytes]]:
        op = header.get("op")
        if op == "load":
            return self.load(json.loads(self.wire.decode(header["cells"], blobs).tobytes())), []
        if op == "call":
            target = self.module.__dict__.get(header["function"])
            return self.invoke(target if callable(target) else None, (), header, blobs)
        if op == "probe":
            name = header["function"]
            probe = getattr(self.probes, name, None) if self.probes and not name.startswith("_") else None
            return self.invoke(probe, (self.module.__dict__,), header, blobs)
        if op == "sync":
            flush_output()
            os.write(1, self.marker.encode())
            return {"ok": True}, []
        return {"ok": False, "error": describe_error(ValueError(f"unknown op {op!r}"))}, []

    def load(self, cells: list[dict[str, Any]]) -> dict[str, Any]:
        """Execute each cell in order; a cell that raises is reported and skipped. Each cell's lines go into
        linecache, so a traceback shows the student's source line, not only its number."""
        namespace = self.module.__dict__
        errors = []
        for cell in cells:
            padded = "\n" * (cell["first_line"] - 1) + cell["source"]
            self.cell_files.add(cell["label"])
            linecache.cache[cell["label"]] = (len(padded), None, padded.splitlines(keepends=True), cell["label"])
            try:
                exec(compile(padded, cell["label"], "exec"), namespace)
            except BaseException as error:  # noqa: BLE001 - SystemExit too: the cell failed, the child goes on
                errors.append({"label": cell["label"], **describe_error(error, self.cell_files)})
        names = {
            name: ("class" if isinstance(value, type) else "function" if callable(value) else type(value).__name__)
            for name, value in list(namespace.items())
            if not name.startswith("__")
        }
        return {"ok": True, "cell_errors": errors, "names": names}

    def invoke(self, target: Any, leading: tuple, header: dict[str, Any],
               blobs: list[bytes]) -> tuple[dict[str, Any], list[bytes]]:
        """Call a student function (or a probe, given the student's namespace) on decoded inputs."""
        if target is None:
            return {"ok": False, "error": {"type": "Missing", "message": header["function"], "traceback": ""}}, []
        try:
            args = self.wire.decode(header["args"], blobs, self.kept)
            kwargs = self.wire.decode(header.get("kwargs", {"$dict": []}), blobs, self.kept)
        except KeyError:
            error = {"type": "StaleHandle", "message": "a cache from an earlier call is gone", "traceback": ""}
            return {"ok": False, "error": error}, []
        before = digests(args)
        try:
            result = target(*leading, *args, **kwargs)
        except BaseException as error:  # noqa: BLE001 - report anything the student raised, SystemExit included
            return {"ok": False, "error": describe_error(error, self.cell_files)}, []
        result = self.keep(result, header.get("keep", []))
        out_blobs: list[bytes] = []
        value = self.wire.encode(result, out_blobs)
        changed = [i for i, (old, new) in enumerate(zip(before, digests(args))) if old != new]
        return {"ok": True, "value": value, "modified_args": changed}, out_blobs

    def keep(self, result: Any, positions: list[int]) -> Any:
        """Replace the tuple items at ``positions`` with handles; the objects stay here."""
        if not positions or type(result) is not tuple:
            return result
        items = list(result)
        for position in positions:
            if position < len(items):
                self.kept[self.next_number] = items[position]
                items[position] = self.wire.Handle(self.next_number)
                self.next_number += 1
        while len(self.kept) > MAX_KEPT_OBJECTS:
            self.kept.popitem(last=False)
        return tuple(items)


def digests(values: list[Any]) -> list[str]:
    """A fingerprint of each array argument, to tell whether the call modified its inputs."""
    import numpy as np

    return [
        hashlib.sha256(np.ascontiguousarray(v).tobytes()).hexdigest() if isinstance(v, np.ndarray) else ""
        for v in values
    ]


def describe_error(error: BaseException, cell_files: Collection[str] = ()) -> dict[str, str]:
    """Type, message and the student's part of the traceback, as plain text: the frames of their cells only (the
    grader's probes and the libraries between, torch's modules, numpy's, are left out), with each line's source;
    and where every frame ran (file and function), so the grader can tell a refused process start from the rest."""
    try:
        message = str(error)
    except Exception:  # noqa: BLE001 - a student's exception may fail to print
        message = "<the exception's message could not be printed>"
    every_frame = traceback.extract_tb(error.__traceback__)
    lines = traceback.format_list([f for f in every_frame if f.filename in cell_files])
    return {"type": type(error).__name__, "message": message[:2000], "traceback": "".join(lines)[-4000:],
            "places": " ".join(f"{f.filename}:{f.name}" for f in every_frame)[-2000:]}


def flush_output() -> None:
    """Flush what the student printed, even if they replaced or closed the streams."""
    for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
        try:
            stream.flush()
        except Exception:  # noqa: BLE001 - a student's stream object may be anything
            pass


def load_by_path(name: str, path: str) -> types.ModuleType:
    """Load one of the grader's standalone modules from its file, without putting the grader on sys.path."""
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def confine(settings: dict[str, Any] | None, scratch_mib: int, processes: bool) -> tuple[str, list[str]]:
    """Isolate (namespaces, own user, capped scratch), apply Landlock, then seccomp (refusing processes unless
    ``processes``), where this machine allows; name the level.

    Returns the level's name and what holds (its parts, as the level line shows them).
    """
    if not settings:
        return "process", ["confinement turned off"]
    isolation = load_by_path("_grader_isolation", settings["isolation"])
    landlock = load_by_path("_grader_landlock", settings["landlock"])  # all three while the grader's files are
    seccomp = load_by_path("_grader_seccomp", settings["seccomp"])  # readable: not after the switch of user
    held, uid = isolation.isolate(settings["closed"], settings["unreadable"], settings["write"][0], scratch_mib)
    held = [part for part in held if part]
    capped = any(part.startswith("scratch") for part in held)
    writable = (settings["write"] if capped else []) + (["/dev/shm"] if "own /dev/shm" in held else [])
    try:
        abi = landlock.restrict(settings["read"], writable, settings["devices"])
    except OSError as error:
        abi, held = 0, held + [f"Landlock failed: {error}"]
    try:
        seccomp.install(processes)
        held += ["seccomp"] + ([] if processes else ["one process"])
    except OSError as error:
        held.append(f"no seccomp ({error})")
    held.insert(0, f"Landlock ABI {abi} with /dev and /proc narrowed" if abi else "no Landlock in this kernel")
    isolated = "no network" in held and (uid is not None or os.geteuid() != 0) and "seccomp" in held
    level = "strict" if abi and isolated else "landlock" if abi else "process"
    return level, held


def tmpfs_mib(held: list[str], limits: dict[str, int]) -> int:
    """The tmpfs this child may fill, which its address space does not count: its scratch and /dev/shm."""
    scratch = any(part.startswith("scratch ") and part.endswith("tmpfs") for part in held)
    return (limits["scratch_mib"] if scratch else 0) + (limits["shm_mib"] if "own /dev/shm" in held else 0)


def share_tensors_by_name() -> None:
    """Make a DataLoader with worker processes fail at once: torch's default hands tensors over a Unix socket,
    which the seccomp filter refuses inside a worker's feeder thread, where the batch is lost and the loop waits
    for ever; with named files the refusal is an exception the student sees."""
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.multiprocessing.set_sharing_strategy("file_system")


def run(config: dict[str, Any], request_fd: int, response_fd: int) -> None:
    """Confine this freshly forked child, then answer the grader's requests until the request pipe closes."""
    die_with_parent()
    groups = config["cgroups"]
    join_groups(groups["folders"])
    wire = load_by_path("_grader_wire", config["wire"])
    extra = [load_by_path(name, path) for name, path in config["modules"]]
    limits = config["limits"]
    level, held = confine(config.get("confine"), limits["scratch_mib"], config["processes"])
    apply_limits(limits, any(part in ("own user", "own user namespace") for part in held), tmpfs_mib(held, limits))
    parts = held + ([groups["description"]] if groups["description"] else [])
    line = f"{level} ({', '.join(parts)}); limits per submission: {limits_held(limits, held, groups)}"
    share_tensors_by_name()
    sys.meta_path.insert(0, BlockedImports(config["blocked"]))
    requests = os.fdopen(request_fd, "rb", buffering=0)
    responses = os.fdopen(response_fd, "wb", buffering=0)
    server = Server(wire, config["marker"], extra[-1] if extra else None)
    wire.write_message(responses, {"ok": True, "ready": True, "sandbox": line}, [])
    while True:
        try:
            header, blobs = wire.read_message(requests.read)
        except wire.WireError:
            return
        reply, reply_blobs = server.handle(header, blobs)
        flush_output()
        wire.write_message(responses, reply, reply_blobs)
