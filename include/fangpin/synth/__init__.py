"""The generated province (``fangpin synth``): departmental feeds, messy forms, and truth.

Public API: :func:`write_province`, :func:`province_months` (the same, a month at a time) and
:class:`ProvinceSummary`.

Layout written (see docs/contract/FEEDS.md for the landing contract)::

    <out>/<YYYY-MM>/<feed>/<feed>_<YYYY-MM>[_<city>].csv|.xlsx   full monthly snapshots
    <truth>/manifest.json                  seed, months, per month the feeds delivered or
                                           absent, per file rows / valid / invalid, arrival
                                           time (= file mtime), encoding, header style
    <truth>/<YYYY-MM>/<feed>.csv           canonical valid rows: _file,_line + English
                                           columns, normalised values, 18-digit ids
    <truth>/<YYYY-MM>/invalid_rows.csv     feed,file,line,reason,column,value

``truth`` defaults to ``<out>/_truth`` (the loader ignores folders that are not YYYY-MM).
Education and medical are split into one file per city. The rest of the package is the
machinery: ``population`` (who lives where), ``dynamics`` (what happens each month),
``tables`` (canonical rows), ``messy`` (the forms of docs/contract/FEEDS.md and invalid values),
``writer`` (files, arrival times, truth).
"""

from fangpin.synth.province import ProvinceSummary, province_months, write_province

__all__ = ["ProvinceSummary", "province_months", "write_province"]
