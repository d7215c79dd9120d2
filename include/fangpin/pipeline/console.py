"""``fangpin run``'s terminal and its log file: the stage lines here, the libraries there.

``dag.test`` runs every task in this process, so Airflow's task runner, Great Expectations
(thousands of INFO lines a month), dbt's output and Python's warnings all write to this
process's standard output and error. Rather than chase each library's logging set-up (Airflow
configures structlog onto ``sys.stdout`` when it is imported), :func:`run_console` points file
descriptors 1 and 2 at the run's log file for the whole run: whatever writes there, Python or
not, lands in the file. The terminal keeps copies of the original descriptors, and only
:meth:`Console.say` and :meth:`Console.error` write to it. With ``verbose`` the descriptors
go to a pipe whose reader copies every line to the file and to the terminal's stderr.

The log file is ``run-<UTC timestamp>-<pid>.log`` in ``FANGPIN_LOG_DIR`` (default
``out/logs`` in the project), one per run, never overwritten.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from fangpin.config import project_root

log = logging.getLogger("fangpin.run")


def log_dir() -> Path:
    """Where run logs go: ``FANGPIN_LOG_DIR``, else ``out/logs`` in the project."""
    return Path(os.environ.get("FANGPIN_LOG_DIR") or project_root() / "out" / "logs")


@dataclass
class Console:
    """The terminal of a run whose standard output and error go to ``path``."""

    path: Path
    out: TextIO
    err: TextIO

    def say(self, line: str) -> None:
        """A line for the person running: on the terminal, and in the log file in its place."""
        self.out.write(line + "\n")
        self.out.flush()
        log.info("%s", line)

    def error(self, line: str) -> None:
        self.err.write(line + "\n")
        self.err.flush()
        log.error("%s", line)


def _tee(source: int, log_fd: int, terminal_fd: int) -> None:
    """Copy everything read from ``source`` to the log file and the terminal (``-v``)."""
    while chunk := os.read(source, 65536):
        os.write(log_fd, chunk)
        try:
            os.write(terminal_fd, chunk)
        except OSError:  # a closed terminal must not lose the log file
            pass
    os.close(source)


@contextmanager
def run_console(verbose: bool = False, folder: Path | None = None) -> Iterator[Console]:
    """Standard output and error into a new log file for the block; the terminal apart."""
    folder = folder or log_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"run-{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{os.getpid()}.log"
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    saved = os.dup(1), os.dup(2)
    out = os.fdopen(os.dup(1), "w", buffering=1, encoding="utf-8", errors="replace")
    err = os.fdopen(os.dup(2), "w", buffering=1, encoding="utf-8", errors="replace")
    log_fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o640)
    tee: threading.Thread | None = None
    if verbose:
        read_end, target = os.pipe()
        tee = threading.Thread(target=_tee, args=(read_end, log_fd, saved[1]), daemon=True)
        tee.start()
    else:
        target = log_fd
    os.dup2(target, 1)
    os.dup2(target, 2)
    if verbose:
        os.close(target)
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(line_buffering=True)  # a killed run keeps its log to the end
    logging.captureWarnings(True)  # warnings become log records ("py.warnings"): the file
    try:
        yield Console(path, out, err)
    finally:
        for stream in (sys.stdout, sys.stderr):
            stream.flush()
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        if tee is not None:
            tee.join(timeout=10)
        for fd in (*saved, log_fd):
            os.close(fd)
        out.close()
        err.close()
