"""The messy forms of docs/contract/FEEDS.md, and invalid values, derived from canonical ones.

Every *valid* transformation here is exact: the loader must be able to normalise the
messy value back to the canonical one (the truth). *Invalid* values each break exactly
one value rule, and carry the reason code the loader must quarantine them with.
"""

from __future__ import annotations

import datetime as dt
import re

import numpy as np

from fangpin.synth import contract as c
from fangpin.synth.idnum import is_valid_id

FULL_WIDTH = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")
BOOL_FORMS = (("是", "否"), ("Y", "N"), ("yes", "no"), ("1", "0"))
_CANON_AMOUNT = re.compile(r"^\d+\.\d\d$")
_CANON_DATE = re.compile(r"^\d{4}-\d\d-\d\d$")


def _thousands(value: str) -> str:
    whole, _, frac = value.partition(".")
    return f"{int(whole):,}" + (f".{frac}" if frac else "")


def messy_value(col: c.Column, value: str, k: int) -> str:
    """Variant ``k`` (any int) of a canonical non-empty value; same meaning, other form."""
    kind = col.kind
    if kind == "id":
        options = ["full_width", "spaces"]
        if value.endswith("X"):
            options.append("lower_x")
        if value[6:8] == "19":
            options += ["id15", "id15"]
        choice = options[k % len(options)]
        if choice == "full_width":
            return value.translate(FULL_WIDTH)
        if choice == "lower_x":
            return value[:-1] + "x"
        if choice == "id15":
            return value[:6] + value[8:17]
        return f" {value} " if k % 2 else f"{value} "
    if kind == "date":
        y, m, d = value[:4], value[5:7], value[8:10]
        return (f"{y}/{m}/{d}", f"{y}{m}{d}", f"{y}年{m}月{d}日")[k % 3]
    if kind == "bool":
        true, false = BOOL_FORMS[k % len(BOOL_FORMS)]
        return true if value == "true" else false
    if kind == "amount":
        form = k % 3
        if form == 0:
            return "¥" + _thousands(value)
        if form == 1:
            return _thousands(value)
        return "¥" + value
    if kind == "enum":
        return dict(col.enum)[value]  # the Chinese label ('A级' for a safety grade)
    if kind == "list":
        labels = dict(col.enum)
        parts = value.split(";")
        form = k % 3
        if form == 0:
            return "、".join(labels[p] for p in parts)
        if form == 1:
            return ";".join(labels[p] for p in parts)
        return "、".join(parts)
    return value


MESSY_KINDS = frozenset({"id", "date", "bool", "amount", "enum", "list"})


def messy_columns(
    spec: tuple[c.Column, ...], cols: list[np.ndarray], rows: np.ndarray, rng: np.random.Generator
) -> dict[str, int]:
    """Replace values of the selected rows by messy forms, in place; count forms used."""
    used: dict[str, int] = {}
    for j, col in enumerate(spec):
        if col.kind not in MESSY_KINDS or not len(rows):
            continue
        pick = rows[rng.random(len(rows)) < 0.6]
        if not len(pick):
            continue
        values = cols[j]
        ks = rng.integers(0, 1_000_000, len(pick)).tolist()
        n = 0
        for i, k in zip(pick.tolist(), ks, strict=True):
            v = values[i]
            if v:
                values[i] = messy_value(col, v, k)
                n += 1
        used[col.kind] = used.get(col.kind, 0) + n
    return used


# ----------------------------------------------------------------- invalid values
def _sci(value: str) -> str:
    mantissa = f"{int(value[:6]) / 1e5:.5f}".rstrip("0").rstrip(".")
    return f"{mantissa}E+17"


def bad_value(reason: str, value: str, k: int) -> str:
    """A value breaking exactly the rule behind ``reason`` (variant ``k``)."""
    if reason == "id_number_invalid":
        zeroed = value[:15] + "000"
        if k % 2 and not is_valid_id(zeroed):
            return zeroed  # 15 significant digits kept by a spreadsheet
        return _sci(value)
    if reason == "amount_negative":
        return "-" + value
    if reason == "amount_invalid":
        return (value + ".5", "壹佰元", value.replace("0", "O", 1) if "0" in value else "12O.00")[
            k % 3
        ]
    if reason == "date_invalid":
        y = value[:4]
        return (f"{y}-13-01", f"{y}-02-30", f"{y}0231", "待定")[k % 4]
    if reason == "enum_invalid":
        return ("unknown", "待核实", "其它情况")[k % 3]
    if reason == "county_unknown":
        return ("149999", "110105", "140100")[k % 3]
    if reason == "village_invalid":
        return (value[:11], value + "0", value[:9] + "ABC")[k % 3]
    if reason == "bool_invalid":
        return ("是的", "maybe", "2", "对")[k % 4]
    if reason == "required_missing":
        return ""
    raise ValueError(reason)


def _candidates(spec: tuple[c.Column, ...], row: list[str], reason: str) -> list[int]:
    out = []
    for j, col in enumerate(spec):
        v = row[j]
        if reason == "required_missing":
            ok = col.required and not col.conditional
        elif reason == "id_number_invalid":
            ok = col.kind == "id" and bool(v)
        elif reason == "amount_negative":
            ok = col.kind == "amount" and bool(v) and float(v) > 0
        elif reason == "amount_invalid":
            ok = col.kind == "amount" and bool(v)
        elif reason == "date_invalid":
            ok = col.kind == "date" and bool(v)
        elif reason == "enum_invalid":
            ok = col.kind == "enum" and bool(v)
        elif reason == "county_unknown":
            ok = col.kind == "county"
        elif reason == "village_invalid":
            ok = col.kind == "village"
        elif reason == "bool_invalid":
            ok = col.kind == "bool" and bool(v)
        else:
            ok = False
        if ok:
            out.append(j)
    return out


def corrupt_row(
    spec: tuple[c.Column, ...], row: list[str], counter: int, rng: np.random.Generator
) -> tuple[int, str, str]:
    """Pick a reason (rotating with ``counter`` so all reasons show up) and a column.

    Returns (column index, bad value, reason). The row is taken canonical, so exactly one
    value rule is broken.
    """
    reasons = c.REASON_CODES
    for step in range(len(reasons)):
        reason = reasons[(counter + step) % len(reasons)]
        cands = _candidates(spec, row, reason)
        if cands:
            j = cands[int(rng.integers(0, len(cands)))]
            return j, bad_value(reason, row[j], int(rng.integers(0, 1_000_000))), reason
    raise ValueError("no way to make this row invalid")


# --------------------------------------------------------------------- headers
def header(spec: tuple[c.Column, ...], style: str, rng: np.random.Generator) -> list[str]:
    """Column headers in a style: en, en_messy (case, stray spaces), zh, zh_messy."""
    out = []
    for col in spec:
        k = int(rng.integers(0, 5))
        if style == "en":
            out.append(col.name)
        elif style == "en_messy":
            out.append(
                (
                    col.name.upper(),
                    col.name.title(),
                    f" {col.name}",
                    f"{col.name} ",
                    f" {col.name.capitalize()} ",
                )[k]
            )
        elif style == "zh":
            out.append(col.zh)
        else:
            out.append((f" {col.zh}", f"{col.zh} ", f" {col.zh} ", col.zh, f"{col.zh}  ")[k])
    return out


EXTRA_COLUMNS = ("序号", "备注", "remark", "填报日期", "数据来源")


def extra_values(name: str, start: int, n: int, month: dt.date, feed: str) -> list[str]:
    """Values of an unknown extra column for rows ``start`` .. ``start + n - 1``."""
    if name == "序号":
        return [str(i) for i in range(start + 1, start + n + 1)]
    if name == "备注":
        return ["已核实" if i % 7 == 0 else "" for i in range(start, start + n)]
    if name == "remark":
        return ["" for _ in range(n)]
    if name == "填报日期":
        return [month.strftime("%Y-%m") + "-28"] * n
    return [f"{feed}导出"] * n


# ------------------------------------------------------------------ xlsx cells
def xlsx_cell(col: c.Column | None, value: str, k: int) -> object:
    """The cell a spreadsheet export would hold: numbers and dates become typed cells."""
    if value == "":
        return None
    if col is None:
        return value
    kind = col.kind
    if kind == "amount" and _CANON_AMOUNT.match(value) and k % 10 < 7:
        return float(value)
    if kind == "date" and _CANON_DATE.match(value) and k % 10 < 7:
        try:
            return dt.date(int(value[:4]), int(value[5:7]), int(value[8:10]))
        except ValueError:
            return value  # an invalid date stays the text it is
    if kind in ("year", "integer") and value.isdigit():
        return int(value)
    if kind == "county" and value.isdigit() and k % 2:
        return int(value)
    if kind == "id" and value.endswith("E+17"):
        return float(value)  # the mangled number is a numeric cell in a workbook
    return value
