# Attack: damage what lies outside its folder: delete, overwrite, truncate and rename a sentinel file, remove
# another student's folder, make a folder, and write through a symbolic link and a hard link made in its own
# folder. The repository's files are only probed (opened for appending, nothing written), so that a grader
# without protection reports the hole without being damaged by its own test.
import json
import os
import shutil

PLACES = json.loads(r'''@PLACES@''')
SENTINEL = os.path.join(PLACES["outside"], "sentinel.txt")
OTHER = os.path.join(PLACES["outside"], "other-student")
REPOSITORY = [os.path.join(PLACES["root"], relative) for relative in (
    "reference/params.py", "grader/compare.py", "grader/runner.py", "grader/suites/params/__init__.py")]


def _try(what, action):
    try:
        action()
        print("DAMAGED:", what)
    except OSError:
        pass


def _write(path):
    with open(path, "w") as handle:
        handle.write("overwritten by a submission\n")


def _attack():
    _try("linked through a symlink", lambda: (os.symlink(SENTINEL, "link.txt"), _write("link.txt")))
    _try("linked through a hard link", lambda: (os.link(SENTINEL, "hard.txt"), _write("hard.txt")))
    _try("overwrote", lambda: _write(SENTINEL))
    _try("truncated", lambda: os.truncate(SENTINEL, 0))
    _try("renamed", lambda: os.rename(SENTINEL, "stolen.txt"))
    _try("deleted", lambda: os.remove(SENTINEL))
    _try("removed another student's folder", lambda: shutil.rmtree(OTHER))
    _try("made a folder outside", lambda: os.mkdir(os.path.join(PLACES["outside"], "new")))
    for path in REPOSITORY:
        try:
            os.close(os.open(path, os.O_WRONLY | os.O_APPEND))
            print("WRITABLE:", path)
        except OSError:
            pass


def receptive_field(layers):
    _attack()
    return 0
