"""The CLI answers users' mistakes with one line, never a traceback (issue 15).

Run as a user would: the installed ``fangpin`` command in a subprocess against a real
warehouse database, with a published scorecard of one month put in place by hand.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

FANGPIN = str(Path(sys.executable).with_name("fangpin"))

_MARTS = """
create table marts.dim_county (county_code text, county_name text, city_name text);
create table marts.mart_county_scorecard (
    month date, key_rank int, county_code text, households int, score numeric,
    education_rate numeric, medical_rate numeric, housing_rate numeric, water_rate numeric,
    employment_rate numeric, identification_rate numeric, rectification_rate numeric,
    missed_identifications int);
insert into marts.dim_county
    select '1401' || lpad(i::text, 4, '0'), '县' || i, '太原市' from generate_series(1, 5000) i;
insert into marts.mart_county_scorecard
    select '2021-03-01', i, '1401' || lpad(i::text, 4, '0'), 10, 90 - i * 0.1,
           1, 1, 1, 1, 1, 1, 1, 0
    from generate_series(1, 5000) i;
"""


def fangpin(url: str, *args: str, shell_tail: str = "") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "WAREHOUSE_URL": url}
    if shell_tail:
        cmd = " ".join([FANGPIN, *args]) + shell_tail
        return subprocess.run(cmd, shell=True, env=env, capture_output=True, text=True,
                              timeout=120, executable="/bin/bash")
    return subprocess.run([FANGPIN, *args], env=env, capture_output=True, text=True, timeout=120)


@pytest.fixture
def published(warehouse_db: str) -> str:
    with psycopg.connect(warehouse_db) as conn:
        conn.execute("create schema if not exists marts")
        conn.execute(_MARTS)
    return warehouse_db


def test_an_unpublished_month_says_so_and_names_the_latest_published(published: str) -> None:
    for command in (("scorecard", "--month", "2021-05"),
                    ("report", "--month", "2021-05", "--out", "/tmp/never-written.html")):
        proc = fangpin(published, *command)
        assert proc.returncode == 1, proc.stderr
        assert "Traceback" not in proc.stderr
        assert "2021-05 is not published; the latest published month is 2021-03" in proc.stderr
    assert not Path("/tmp/never-written.html").exists()


def test_nothing_published_yet_is_one_line(warehouse_db: str) -> None:
    proc = fangpin(warehouse_db, "scorecard", "--month", "2021-05")
    assert proc.returncode == 1
    assert "nothing is published yet" in proc.stderr and "Traceback" not in proc.stderr


def test_a_closed_pipe_is_quiet(published: str) -> None:
    proc = fangpin(published, "scorecard", "--limit", "5000", shell_tail=" | head -n 2")
    assert proc.returncode == 0
    assert len(proc.stdout.splitlines()) == 2
    assert proc.stderr == "", proc.stderr


def test_every_option_has_help_text_and_the_help_has_no_backticks() -> None:
    from fangpin.cli import build_parser

    parser = build_parser()
    assert "``" not in parser.format_help()
    subparsers = next(a for a in parser._actions if a.choices and a.dest == "command")
    missing = []
    for name, sub in subparsers.choices.items():
        for action in sub._actions:
            if action.help is None and not action.option_strings == ["-h", "--help"]:
                if action.dest != "action" or not action.choices:
                    missing.append(f"{name} {action.dest}")
    assert missing == []
