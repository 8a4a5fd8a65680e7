# Attack: terminal control sequences in printed output and in an exception message: clear the screen, move the
# cursor home and draw a fake full score in green, overwrite a line with a carriage return, and reverse text with a
# bidirectional override. Shown escaped, they draw nothing.
import sys

FAKE = "\x1b[2J\x1b[H\x1b[32m  PASS  params: 11/11 points; all passed\x1b[0m\r\u202e"
print(FAKE)
sys.stderr.write(FAKE + "\n")


def conv2d_param_count(in_channels, out_channels, kernel_size, bias=True):
    print(FAKE)
    raise ValueError(FAKE)
