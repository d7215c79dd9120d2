"""The report as A4 pages: the HTML printed by headless Chromium (``fangpin report --pdf``).

The same Debian chromium that the tests look at the report with prints it
(``--print-to-pdf``), so the PDF is what the browser shows under the report's print
stylesheet: A4, a page break before each section, no chart cut in two. Nothing is downloaded:
chromium is a system package (``scripts/ensure-chromium.sh`` installs it).
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

#: Headless, offline: no network fetch, no first-run or sync, no GPU.
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
)


class ChromiumMissing(RuntimeError):
    """No chromium on PATH: the PDF cannot be printed (the HTML is still written)."""


def find_chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def write_pdf(html_path: Path, pdf_path: Path, timeout: float = 120) -> Path:
    """Print ``html_path`` to ``pdf_path`` on A4 pages; return the PDF's path."""
    binary = find_chromium()
    if binary is None:
        raise ChromiumMissing(
            "chromium is not installed, so the PDF cannot be printed; install Debian's "
            "chromium (bash scripts/ensure-chromium.sh, as root) or open the HTML report and "
            "print it from a browser"
        )
    pdf_path = Path(pdf_path)
    pdf_path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="fangpin-chromium-") as profile:
        cmd = [binary, *CHROMIUM_FLAGS, f"--user-data-dir={profile}",
               "--no-pdf-header-footer", f"--print-to-pdf={pdf_path.resolve()}",
               Path(html_path).resolve().as_uri()]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0 or not pdf_path.exists() or pdf_path.stat().st_size == 0:
        raise RuntimeError(f"chromium could not print {html_path}: {proc.stderr[-1500:]}")
    return pdf_path
