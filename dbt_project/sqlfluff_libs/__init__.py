"""What the dbt macros need from dbt's context when SQLFluff's jinja templater renders them.

SQLFluff lints the models without dbt (no database, no parse: a second or so a file). Its dbt
builtins give ``ref``, ``source``, ``config``, ``is_incremental`` and a ``var`` that returns a
placeholder; ``build_month()`` checks var('month') with ``modules.re`` and stops the build with
``exceptions.raise_compiler_error`` on a wrong value. Every name defined here is put into the
templating context (``library_path`` in ``.sqlfluff``) ahead of those builtins, so ``var``
answers with the project's own defaults (``vars:`` of ``dbt_project.yml``, the one home of
them) and the macros render as a default ``dbt build`` would.
"""

from __future__ import annotations

import datetime as _datetime
import re as _re
from pathlib import Path as _Path
from types import SimpleNamespace as _Namespace
from typing import Any as _Any

import yaml as _yaml

_PROJECT = _yaml.safe_load(
    (_Path(__file__).resolve().parent.parent / "dbt_project.yml").read_text(encoding="utf-8")
)
_VARS: dict[str, _Any] = dict(_PROJECT.get("vars") or {})


def var(name: str, default: _Any = None) -> _Any:
    """dbt's var(): the project default, else the default given, else the name itself."""
    if name in _VARS:
        return _VARS[name]
    return default if default is not None else name


def _raise_compiler_error(message: str) -> None:
    raise RuntimeError(message)


modules = _Namespace(re=_re, datetime=_datetime)
exceptions = _Namespace(raise_compiler_error=_raise_compiler_error)
