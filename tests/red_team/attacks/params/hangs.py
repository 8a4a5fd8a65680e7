# Attack: never answer: a busy loop that ignores SIGTERM and SIGINT, and a sleep that catches every exception.
import signal
import time


def conv2d_param_count(in_channels, out_channels, kernel_size, bias=True):
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    while True:
        pass


def linear_param_count(in_features, out_features, bias=True):
    while True:
        try:
            time.sleep(3600)
        except BaseException:  # noqa: BLE001
            pass
