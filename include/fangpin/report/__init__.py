"""Reports on the published marts: the evaluation report (``fangpin report``).

``fangpin.report.scorecard`` prints the scorecard in the terminal; ``fangpin.report.data``
reads the month from ``marts``, ``fangpin.report.charts`` draws its SVG charts,
``fangpin.report.html`` writes the self-contained HTML report and ``fangpin.report.pdf``
prints it on A4 pages with headless chromium.
"""

from fangpin.report.data import NothingPublished, load_report_data
from fangpin.report.html import render_report, write_report
from fangpin.report.pdf import ChromiumMissing, write_pdf

__all__ = [
    "ChromiumMissing",
    "NothingPublished",
    "load_report_data",
    "render_report",
    "write_pdf",
    "write_report",
]
