"""The loader's hot loop on its own (no database): bulk, bulk in parts, block and row paths
together write what the exact rules write, in file order, and set aside the same rows."""

from __future__ import annotations

from pathlib import Path

import pytest

from fangpin.feeds import contracts
from fangpin.feeds.normalise import id_check_char
from fangpin.feeds.read import open_feed_file
from fangpin.feeds.rows import RowInvalid, RowNormaliser
from fangpin.load import loader

HEADER = [c.name for c in contracts.EDUCATION.columns]


def make_id(n: int) -> str:
    first17 = f"140105{19800101 + n % 28:08d}{n % 1000:03d}"
    return first17 + id_check_char(first17)


def _rows(count: int) -> list[list[str]]:
    rows = []
    for n in range(count):
        rows.append([make_id(n), f"学生{n}", f"S{n % 7}", "" if n % 5 else f"学校{n}",
                     "primary", "enrolled", f"2021-09-{1 + n % 28:02d}",
                     "" if n % 3 else f"{n}.5"])
    rows[1500][4] = "初中"  # a Chinese label: right, but not canonical
    rows[2200][0] = rows[2200][0][:-1] + ("0" if rows[2200][0][-1] != "0" else "1")  # bad id
    rows[2300] = [""] * 8  # a blank record
    return rows


def _reference(norm: RowNormaliser, path: Path) -> tuple[list[str], list[int]]:
    """The exact rules, row by row, over what the csv module reads."""
    import csv

    loaded, bad = [], []
    with path.open(encoding="utf-8", newline="") as fh:
        for number, row in enumerate(csv.reader(fh), start=1):
            if number == 1 or not any(row):
                continue
            try:
                loaded.append(norm.slow(row, number))
            except RowInvalid:
                bad.append(number)
    return loaded, bad


@pytest.mark.parametrize("block_chars", [1 << 20, 50_000])
def test_every_path_together_writes_what_the_exact_rules_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, block_chars: int
):
    from fangpin.feeds import read

    monkeypatch.setattr(read, "BLOCK_CHARS", block_chars)
    path = tmp_path / "e.csv"
    path.write_text(
        "\n".join(",".join(r) for r in [HEADER, *_rows(3000)]) + "\n", encoding="utf-8"
    )
    written: list[str] = []
    aside: list[int] = []
    with open_feed_file(path, contracts.EDUCATION) as reader:
        norm = RowNormaliser(contracts.EDUCATION, reader.match.positions, reader.match.absent,
                             prefix="P\t", width=len(reader.header))
        counts = loader._stream_rows(
            reader, norm,
            lambda data: written.append(data if isinstance(data, str) else data.decode()),
            lambda line_no, reason, detail, row: aside.append(line_no),
            {}, ["e.csv"], 0,
        )
    expected, bad = _reference(norm, path)
    assert "".join(written) == "".join(expected)
    assert aside == bad == [2202]
    assert counts[:3] == (2999, 2998, 1)
    assert counts.record_lines + counts.blank_lines == 3000 and counts.blank_lines == 1
