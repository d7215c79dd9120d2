"""Superset's configuration for Fangpin (read by Superset through ``SUPERSET_CONFIG_PATH``).

Everything that differs per installation is read from the state folder ``FANGPIN_BI_STATE``
that ``python -m fangpin_bi start`` (``make bi``) prepares: the generated secret key and the
metadata database's URL, both mode 0600. Nothing secret is written here, so this file is
reviewed like code.
"""

import os
from pathlib import Path

_STATE = Path(os.environ["FANGPIN_BI_STATE"])

#: Signs session cookies and encrypts the stored warehouse password; generated once per state.
SECRET_KEY = (_STATE / "secret_key").read_text(encoding="utf-8").strip()
#: Superset's own metadata (users, dashboards): a database of its own on the warehouse's server,
#: owned by a login of its own (the URL holds that login's password, hence a 0600 file).
SQLALCHEMY_DATABASE_URI = (_STATE / "metadata_uri").read_text(encoding="utf-8").strip()

# A local, single-machine service: no examples, no telemetry, no outside fetches.
FEATURE_FLAGS = {
    "DASHBOARD_NATIVE_FILTERS": True,
    "DASHBOARD_CROSS_FILTERS": False,
    "ENABLE_TEMPLATE_PROCESSING": False,
    # Render every chart of a dashboard at once, not only those scrolled into view: a
    # screenshot (and a printed page) then shows the whole dashboard.
    "DASHBOARD_VIRTUALIZATION": False,
}
SCARF_ANALYTICS = False
TALISMAN_ENABLED = False
# The default cache is per process; dashboards must show a new publish at once.
DATA_CACHE_CONFIG = {"CACHE_TYPE": "NullCache"}
CACHE_CONFIG = {"CACHE_TYPE": "SimpleCache", "CACHE_DEFAULT_TIMEOUT": 300}
FILTER_STATE_CACHE_CONFIG = {"CACHE_TYPE": "SimpleCache", "CACHE_DEFAULT_TIMEOUT": 3600}
EXPLORE_FORM_DATA_CACHE_CONFIG = {"CACHE_TYPE": "SimpleCache", "CACHE_DEFAULT_TIMEOUT": 3600}
# Chinese labels: the UI in Chinese too when the browser asks for it.
BABEL_DEFAULT_LOCALE = "zh"
LANGUAGES = {"zh": {"flag": "cn", "name": "简体中文"}, "en": {"flag": "us", "name": "English"}}
