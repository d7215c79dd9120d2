"""The feed contracts agree with docs/contract/FEEDS.md and with the raw-table DDL they generate."""

from __future__ import annotations

from fangpin.feeds.contracts import FEED_NAMES, FEEDS, RAW_TYPES, Kind, header_key
from fangpin.load.raw_tables import raw_columns, raw_table_ddl


def test_the_eight_feeds_are_declared():
    assert FEED_NAMES == (
        "registry_households", "registry_members", "education", "medical", "housing", "water",
        "employment", "social_assistance",
    )


def test_every_column_has_a_chinese_header_and_every_enum_its_codes():
    for feed in FEEDS.values():
        for col in feed.columns:
            assert col.chinese and header_key(col.chinese) != header_key(col.name)
            if col.kind in (Kind.ENUM, Kind.LIST):
                assert col.codes, (feed.name, col.name)
                for code in col.codes:
                    assert code.labels, (feed.name, col.name, code.code)


def test_every_kind_has_a_raw_type():
    assert set(RAW_TYPES) == set(Kind)


def test_the_unique_keys_of_the_registry_snapshots():
    assert FEEDS["registry_households"].unique_column.name == "household_id"
    assert FEEDS["registry_members"].unique_column.name == "id_number"
    assert all(FEEDS[f].unique_column is None for f in FEED_NAMES[2:])


def test_the_ddl_lists_metadata_then_contract_columns():
    ddl = raw_table_ddl(FEEDS["education"])
    assert ddl.startswith("create table if not exists raw.education (")
    names = [name for name, _ in raw_columns(FEEDS["education"])]
    assert names[:4] == ["_load_id", "_snapshot_month", "_source_file", "_source_line"]
    assert names[4:] == [c.name for c in FEEDS["education"].columns]
