"""The embedded warehouse: its own cluster in a folder, as ``postgres`` when run as root, locked.

Locked means: every TCP login needs a password (scram-sha-256), the superuser's is generated at
the first start and kept 0600 beside the cluster, and a cluster made before the lock (trust) is
locked the next time it starts, keeping its data.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest

from fangpin.warehouse import embedded


@pytest.fixture
def cluster(tmp_path_factory: pytest.TempPathFactory):
    root = Path(tmp_path_factory.mktemp("embedded")) / "warehouse"
    wh = embedded.EmbeddedWarehouse(root)
    yield wh
    wh.stop()


def _refused_without_password(port: int, user: str = "postgres") -> str:
    """Connect over TCP with no password; return the server's refusal (fail if admitted)."""
    with pytest.raises(psycopg.OperationalError) as refusal:
        psycopg.connect(
            f"host=127.0.0.1 port={port} dbname=fangpin user={user}", connect_timeout=5
        ).close()
    return str(refusal.value)


def test_start_initialises_a_cluster_and_database_and_stop_stops_it(cluster) -> None:
    assert "not initialised" in cluster.status()
    url = cluster.start()
    password = cluster.password_file.read_text().strip()
    assert url == f"postgresql://postgres:{password}@127.0.0.1:{cluster.port}/fangpin"
    with psycopg.connect(url) as conn:
        assert conn.execute("select current_database()").fetchone()[0] == "fangpin"
        assert conn.execute("show jit").fetchone()[0] == "off"
    assert cluster.status().startswith("running")
    assert password not in cluster.status(), "status prints the URL without its password"
    if os.geteuid() == 0:  # PostgreSQL refuses root: the data must belong to postgres
        assert (cluster.data_dir.stat().st_uid) != 0
    cluster.stop()
    assert cluster.status().startswith("stopped")
    assert cluster.start() == url, "a restart keeps the same port, password and URL"


def test_tcp_logins_need_a_password_and_the_password_file_is_private(cluster) -> None:
    url = cluster.start()
    assert "password" in _refused_without_password(cluster.port)
    assert stat.S_IMODE(cluster.password_file.stat().st_mode) == 0o600
    assert len(cluster.password_file.read_text().strip()) >= 32
    hba = (cluster.data_dir / "pg_hba.conf").read_text()
    rules = [line.split() for line in hba.splitlines() if line and not line.startswith("#")]
    assert rules and all("trust" not in rule for rule in rules), hba
    assert all(rule[-1] == "scram-sha-256" for rule in rules if rule[0] == "host")
    wrong = urlsplit(url)._replace(netloc=f"postgres:wrong@127.0.0.1:{cluster.port}").geturl()
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(wrong, connect_timeout=5).close()


def test_a_cluster_made_before_the_lock_is_locked_on_start_and_keeps_its_data(cluster) -> None:
    # The cluster as it was made before: initdb --auth=trust, no password.
    cluster.root.mkdir(parents=True)
    cluster.data_dir.mkdir(mode=0o700)
    embedded._hand_to_owner(cluster.root)
    embedded._run_as_owner([embedded._bin("initdb"), "-D", str(cluster.data_dir), "-U",
                            "postgres", "--auth=trust", "--encoding=UTF8", "--locale=C.UTF-8"])
    (cluster.data_dir / "postgresql.conf").open("a").write("listen_addresses = '127.0.0.1'\n")
    cluster.port_file.write_text(str(embedded._free_port()))
    embedded._run_as_owner([embedded._bin("pg_ctl"), "-D", str(cluster.data_dir), "-l",
                            str(cluster.log_file), "-o", f"-p {cluster.port} -k {cluster.data_dir}",
                            "-w", "start"])
    embedded._wait_for_port(cluster.port)
    trusting = f"postgresql://postgres@127.0.0.1:{cluster.port}/postgres"
    with psycopg.connect(trusting, autocommit=True) as conn:
        conn.execute("create database fangpin")
    with psycopg.connect(embedded.EmbeddedWarehouse(cluster.root).url()) as conn:
        conn.execute("create table bureau_data as select 42 as answer")
    assert not cluster.is_locked()

    url = cluster.start()  # the running, trusting cluster is locked in place

    assert cluster.is_locked()
    assert "password" in _refused_without_password(cluster.port)
    with psycopg.connect(url) as conn:
        assert conn.execute("select answer from bureau_data").fetchone()[0] == 42
    cluster.stop()
    assert cluster.start() == url
    with psycopg.connect(url) as conn:
        assert conn.execute("select answer from bureau_data").fetchone()[0] == 42


def test_an_evaluator_login_made_as_the_guide_says_needs_its_password(cluster) -> None:
    from fangpin.pipeline.setup import ensure_warehouse
    from fangpin.warehouse.logins import create_login

    url = cluster.start()
    ensure_warehouse(url)
    with psycopg.connect(url) as conn:  # a published mart stands in for the real ones
        conn.execute("create table marts.probe as select 7 as answer")
    ensure_warehouse(url)  # grants the mart readers what is in marts
    with psycopg.connect(url, autocommit=True) as conn:  # docs/EVALUATOR_GUIDE.md, section 1
        conn.execute("create role alice login password 'alice-s3cret-for-this-test' "
                     "in role evaluator")
    dsn = f"host=127.0.0.1 port={cluster.port} dbname=fangpin user=alice"
    assert "password" in _refused_without_password(cluster.port, "alice")
    with psycopg.connect(dsn + " password=alice-s3cret-for-this-test") as conn:
        assert conn.execute("select answer from marts.probe").fetchone()[0] == 7
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("select * from raw.registry_members")

    login = create_login(url, "evaluator", "demo_evaluator")  # what `make demo` does
    assert stat.S_IMODE(login.passfile.stat().st_mode) == 0o600
    assert str(login.passfile) in login.psql and login.password() not in login.psql
    assert "password" in _refused_without_password(cluster.port, "demo_evaluator")
    with psycopg.connect(login.conninfo, password=login.password()) as conn:
        assert conn.execute("select current_user").fetchone()[0] == "demo_evaluator"
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("select * from ops.pseudonym_key")


def test_a_machine_without_postgresql_is_told_what_to_install(monkeypatch) -> None:
    monkeypatch.setattr(embedded, "_BIN_CANDIDATES", [])
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(embedded.PostgresNotInstalled, match="apt-get install postgresql"):
        embedded._bin("initdb")
