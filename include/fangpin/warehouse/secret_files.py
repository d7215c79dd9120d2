"""Small secrets on disk: written once with mode 0600, in a folder only their owner can enter.

The pseudonym key, the embedded superuser's password and the demo's evaluator password live
in files like these, never in the database, a log or a command line. Files are created with
``O_EXCL`` so that two processes setting up at once cannot both write (and one lose) a secret.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path


class InsecureSecretFile(PermissionError):
    """A secret file that others can read: refused, with the ``chmod`` that fixes it."""


def write_secret(path: Path, text: str, replace: bool = False) -> Path:
    """Write ``text`` to ``path`` with mode 0600 (its folder 0700 when this creates it).

    Without ``replace`` an existing file is an error (``FileExistsError``): a secret once
    written is what later runs must keep using.
    """
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    flags = os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if replace else os.O_EXCL)
    fd = os.open(path, flags, 0o600)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, text.encode("utf-8"))
    finally:
        os.close(fd)
    return path


def read_secret(path: Path) -> str:
    """The secret in ``path``, refusing a file that its group or others can read."""
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise InsecureSecretFile(
            f"{path} is readable by others (mode {stat.filemode(mode)}): run `chmod 600 {path}`"
        )
    return path.read_text(encoding="utf-8").strip()
