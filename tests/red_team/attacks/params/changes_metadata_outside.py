# Attack: change what a file outside its folder looks like rather than what it holds: its permissions (open it
# to everyone, or lock its owner out), its times, an extended attribute. Landlock does not govern these.
import json
import os

PLACES = json.loads(r'''@PLACES@''')
TARGET = PLACES["target"]


def _try(what, action):
    try:
        action()
        print("CHANGED:", what)
    except OSError:
        pass


def receptive_field(layers):
    _try("chmod 777", lambda: os.chmod(TARGET, 0o777))
    _try("chmod 000", lambda: os.chmod(TARGET, 0))
    _try("times", lambda: os.utime(TARGET, (0, 0)))
    _try("extended attribute", lambda: os.setxattr(TARGET, "user.graded", b"100"))
    return 0
