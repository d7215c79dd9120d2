"""Reports on the published marts: the HTML evaluation report (``fangpin report``).

``fangpin.report.scorecard`` prints the scorecard in the terminal; ``fangpin.report.html``
writes the self-contained HTML evaluation report of one month.
"""

from fangpin.report.html import NothingPublished, load_report_data, render_report, write_report

__all__ = ["NothingPublished", "load_report_data", "render_report", "write_report"]
