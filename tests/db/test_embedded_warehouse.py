"""The embedded warehouse: its own cluster in a folder, as ``postgres`` when run as root."""

from __future__ import annotations

import os
from pathlib import Path

import psycopg
import pytest

from fangpin.warehouse import embedded


@pytest.fixture
def cluster(tmp_path_factory: pytest.TempPathFactory):
    root = Path(tmp_path_factory.mktemp("embedded")) / "warehouse"
    wh = embedded.EmbeddedWarehouse(root)
    yield wh
    wh.stop()


def test_start_initialises_a_cluster_and_database_and_stop_stops_it(cluster) -> None:
    assert "not initialised" in cluster.status()
    url = cluster.start()
    assert url == f"postgresql://postgres@127.0.0.1:{cluster.port}/fangpin"
    with psycopg.connect(url) as conn:
        assert conn.execute("select current_database()").fetchone()[0] == "fangpin"
        assert conn.execute("show jit").fetchone()[0] == "off"
    assert cluster.status().startswith("running")
    if os.geteuid() == 0:  # PostgreSQL refuses root: the data must belong to postgres
        assert (cluster.data_dir.stat().st_uid) != 0
    cluster.stop()
    assert cluster.status().startswith("stopped")
    assert cluster.start() == url, "a restart keeps the same port and URL"


def test_a_machine_without_postgresql_is_told_what_to_install(monkeypatch) -> None:
    monkeypatch.setattr(embedded, "_BIN_CANDIDATES", [])
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(embedded.PostgresNotInstalled, match="apt-get install postgresql"):
        embedded._bin("initdb")
