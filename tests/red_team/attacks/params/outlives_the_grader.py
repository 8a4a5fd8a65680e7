# Attack: write a file in its scratch folder, start a helper process in the sandbox's own group and hang, so
# that when the grader itself dies (killed, crashed), the helper is left running and the file left behind.
import ctypes
import json
import os
import time

PLACES = json.loads(r'''@PLACES@''')


def conv2d_param_count(in_channels, out_channels, kernel_size, bias=True):
    with open("marker-" + PLACES["token"], "w") as marker:  # in its scratch folder
        marker.write("a file the grader should remove")
    if os.fork() == 0:
        try:
            ctypes.CDLL(None).prctl(15, ("rt" + PLACES["token"]).encode(), 0, 0, 0)
            time.sleep(600)
        finally:
            os._exit(0)
    print("helper started", flush=True)
    time.sleep(600)
