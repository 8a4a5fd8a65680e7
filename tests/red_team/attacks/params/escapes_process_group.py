# Attack: leave a process behind: fork, start a new session (out of the sandbox's process group), fork again
# (a daemon), and return a wrong answer at once, so that no timeout ever kills the group.
import ctypes
import json
import os
import time

PLACES = json.loads(r'''@PLACES@''')


def conv2d_param_count(in_channels, out_channels, kernel_size, bias=True):
    if os.fork() == 0:
        try:
            os.setsid()
            if os.fork() == 0:
                ctypes.CDLL(None).prctl(15, ("rt" + PLACES["token"]).encode(), 0, 0, 0)
                time.sleep(600)
        finally:
            os._exit(0)
    os.wait()
    return 0
