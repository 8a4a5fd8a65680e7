"""The official grade's seed: drawn from a course secret and the submission, so its inputs cannot be known before.

The quick and thorough profiles have public seeds: whatever a student runs locally, anyone can run again. Deterministic
and public together would make the official grade memorisable (record its inputs, answer from a table), so the
official profile's seed is HMAC-SHA256 of the submission (its assignment and content digest, which names the student's
file or folder) under a secret the instructor keeps outside every repository and release: ``$GRADER_SECRET``, else the
file ``grader secret`` creates in the instructor's configuration folder. The seed goes into results.json and
record.json, and ``grader check ... --profile official --seed N`` replays a grade without the secret. A submission
that changes (a table of recorded answers included) gets another seed, so even a leaked secret does not let a table
be built for it.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

SECRET_VARIABLE = "GRADER_SECRET"
SEED_BITS = 53  # exact in JSON readers that hold numbers as doubles (JavaScript, spreadsheets)


class NoSecret(Exception):
    """The official grade was asked for where there is no course secret; the message says how to make one."""


def secret_file() -> Path:
    """Where ``grader secret`` keeps the course secret: the instructor's configuration folder, in no repository."""
    config = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return Path(config) / "grader" / "secret"


def course_secret() -> bytes:
    """The course secret: ``$GRADER_SECRET``, else the secret file; NoSecret with the fix when there is neither."""
    text = os.environ.get(SECRET_VARIABLE, "").strip()
    if not text and secret_file().is_file():
        text = secret_file().read_text(encoding="utf-8").strip()
    if not text:
        raise NoSecret(f"the official profile draws its inputs from the course secret, and there is none here: run "
                       f"`grader secret` once (it writes {secret_file()}, readable by you alone) or set "
                       f"${SECRET_VARIABLE}; keep it out of the course repository and its releases. To replay a "
                       "recorded grade, add --seed N (the seed in its results.json); for public inputs, use --profile "
                       "thorough")
    return text.encode("utf-8")


def create_secret() -> tuple[Path, bool]:
    """The secret file, written with a new random secret (mode 0600) unless it exists; whether it was created."""
    path = secret_file()
    if path.is_file():
        return path, False
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(secrets.token_hex(32) + "\n")
    return path, True


def official_seed(secret: bytes, assignment: str, identity: str) -> int:
    """The official seed of one submission: HMAC-SHA256 of its assignment and identity (its content digest) under the
    course secret, cut to ``SEED_BITS`` bits."""
    mac = hmac.new(secret, f"{assignment}\0{identity}".encode(), hashlib.sha256).digest()
    return int.from_bytes(mac[:8], "big") >> (64 - SEED_BITS)
