# Attack: crash the interpreter: read address 0 through ctypes (SIGSEGV), and abort (SIGABRT).
import ctypes
import os


def conv2d_param_count(in_channels, out_channels, kernel_size, bias=True):
    return len(ctypes.string_at(0))


def linear_param_count(in_features, out_features, bias=True):
    os.abort()
