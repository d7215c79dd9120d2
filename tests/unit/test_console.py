"""``fangpin run``'s terminal keeps only its own lines; everything else goes to the log file.

Run in a child process, as ``fangpin run`` runs: what writes to file descriptors 1 and 2 while
the console is open (Python's print and logging, a warning, a child process) must land in the
log file, and only ``say`` and ``error`` reach the terminal.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

_CHILD = """
import logging, subprocess, sys, warnings
from pathlib import Path
from fangpin.pipeline.console import run_console

logging.basicConfig(level=logging.INFO)
with run_console(verbose={verbose}, folder=Path(sys.argv[1])) as console:
    console.say(f"log file: {{console.path}}")
    print("library chatter on stdout")
    logging.getLogger("great_expectations").info("_get_default_value called")
    warnings.warn("an old API", DeprecationWarning, stacklevel=1)
    subprocess.run(["sh", "-c", "echo child on stdout; echo child on stderr >&2"], check=True)
    console.say("2021-01 publish        0.4 s  published")
    console.error("fangpin run stopped: a test")
print("after the run")
"""


def _run(tmp_path: Path, verbose: bool) -> tuple[subprocess.CompletedProcess[str], str]:
    proc = subprocess.run(
        [sys.executable, "-W", "default", "-c", _CHILD.format(verbose=verbose), str(tmp_path)],
        capture_output=True, text=True, timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    logs = list(tmp_path.glob("run-*.log"))
    assert len(logs) == 1
    return proc, logs[0].read_text()


def test_the_terminal_gets_only_the_runs_own_lines(tmp_path: Path) -> None:
    proc, log = _run(tmp_path, verbose=False)
    assert proc.stdout.splitlines() == [
        f"log file: {next(tmp_path.glob('run-*.log'))}",
        "2021-01 publish        0.4 s  published",
        "after the run",
    ]
    assert proc.stderr == "fangpin run stopped: a test\n"
    for noise in ("library chatter on stdout", "_get_default_value called",
                  "DeprecationWarning: an old API", "child on stdout", "child on stderr"):
        assert noise in log, noise
    assert "2021-01 publish        0.4 s  published" in log  # the log reads whole


def test_verbose_shows_the_libraries_lines_too_and_still_writes_the_file(tmp_path: Path) -> None:
    proc, log = _run(tmp_path, verbose=True)
    assert "2021-01 publish        0.4 s  published" in proc.stdout
    assert "library chatter on stdout" in proc.stderr and "child on stderr" in proc.stderr
    assert "library chatter on stdout" in log and "an old API" in log
