"""Start, import and stop Superset: what ``make bi`` and ``make bi-stop`` run.

State lives in one folder (``.bi`` in the checkout by default, mode 0700): the generated secret
key, the admin's, the BI login's and the metadata owner's passwords, the metadata URL (all
0600), the pid file, the port and the log. Keeping the passwords there rather than in the
environment keeps them out of ``ps`` and out of the shell history.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from fangpin_bi import bundle, spec, warehouse

REPO = Path(__file__).resolve().parents[2]
CONFIG = REPO / "bi" / "superset_config.py"
ADMIN = "admin"


class StartFailed(RuntimeError):
    """Superset did not come up; the message names the step and the log to read."""


@dataclass
class Service:
    """One Superset installation: its environment, its state folder, its warehouse."""

    state: Path
    warehouse_url: str
    venv: Path = REPO / ".venv-bi"
    timings: dict[str, float] = field(default_factory=dict)

    # -- state ---------------------------------------------------------------------------
    def secret(self, name: str, length: int = 32) -> str:
        """A generated secret kept in the state folder (0600), the same on every start."""
        path = self.state / name
        if not path.exists():
            _write_private(path, secrets.token_urlsafe(length))
        return path.read_text(encoding="utf-8").strip()

    @property
    def pid_file(self) -> Path:
        return self.state / "superset.pid"

    @property
    def log_file(self) -> Path:
        return self.state / "superset.log"

    def url(self) -> str:
        return (self.state / "url").read_text(encoding="utf-8").strip()

    def admin_password(self) -> str:
        return self.secret("admin_password", 18)

    # -- start ---------------------------------------------------------------------------
    def start(self, port: int | None = None, dashboards: list[spec.Dashboard] | None = None,
              datasets: dict[str, spec.Dataset] | None = None) -> str:
        """Set everything up, import the dashboards, start gunicorn; return Superset's URL."""
        self.stop()
        self.state.mkdir(parents=True, exist_ok=True)
        self.state.chmod(0o700)
        # A new secret key cannot read what an old one encrypted (the stored warehouse
        # password): a metadata database left by a lost state folder is made again.
        fresh = not (self.state / "secret_key").exists()
        self.secret("secret_key", 48)
        if not self.log_file.exists():  # Superset's log may quote URLs: private too
            _write_private(self.log_file, "")
        clock = time.perf_counter
        started = clock()
        bi_url = warehouse.ensure_bi_login(self.warehouse_url, self.secret("bi_password"))
        meta_url = warehouse.ensure_metadata_database(
            self.warehouse_url, self.secret("metadata_password"), recreate=fresh
        )
        _write_private(self.state / "metadata_uri", _psycopg2(meta_url))
        datasets = datasets if datasets is not None else spec.load_datasets()
        dashboards = dashboards if dashboards is not None else spec.load_dashboards()
        spec.check(datasets, dashboards)
        used = {c["dataset"] for b in dashboards for c in b.charts.values()}
        for name in sorted(used):
            warehouse.check_readable(bi_url, datasets[name])
        self.timings["warehouse"] = round(clock() - started, 1)
        self._timed("db upgrade", "db", "upgrade")
        self._ensure_admin()
        self._timed("init", "init")
        self.import_bundle(datasets, dashboards, bi_url)
        return self._serve(port or free_port())

    def import_bundle(self, datasets: dict[str, spec.Dataset],
                      dashboards: list[spec.Dashboard], bi_url: str | None = None) -> None:
        """Build the export ZIP (0600: it holds the BI login's password), import, delete it."""
        bi_url = bi_url or warehouse.login_url(
            self.warehouse_url, warehouse.bi_login(self.warehouse_url), self.secret("bi_password")
        )
        latest = {
            f"{flt.dataset}.{flt.column}": value
            for board in dashboards for flt in board.filters if flt.latest
            if (value := warehouse.latest_value(bi_url, datasets[flt.dataset], flt.column))
        }
        data = bundle.build_bundle(
            datasets, dashboards, _psycopg2(bi_url),
            lambda d: warehouse.table_info(bi_url, d.schema, d.table), latest,
        )
        path = self.state / "dashboards.zip"
        _write_private(path, data)
        try:
            self._timed("import", "import-dashboards", "-p", str(path), "-u", ADMIN)
        finally:
            path.unlink(missing_ok=True)

    def _ensure_admin(self) -> None:
        password = self.admin_password()
        out = self._superset("fab", "create-admin", "--username", ADMIN, "--firstname", "Fangpin",
                             "--lastname", "Admin", "--email", "admin@fangpin.invalid",
                             "--password", password)
        if "already exist" in out.lower():
            self._superset("fab", "reset-password", "--username", ADMIN, "--password", password)

    def _serve(self, port: int) -> str:
        started = time.perf_counter()
        log = self.log_file.open("ab")
        proc = subprocess.Popen(
            [str(self.venv / "bin" / "gunicorn"), "--bind", f"127.0.0.1:{port}",
             "--workers", "1", "--worker-class", "gthread", "--threads", "8",
             "--timeout", "120", "--limit-request-line", "0",
             "--limit-request-field_size", "0", "superset.app:create_app()"],
            env=self._env(), stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        self.pid_file.write_text(str(proc.pid), encoding="utf-8")
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise StartFailed(f"gunicorn exited with {proc.returncode}; see {self.log_file}")
            if _healthy(url):
                (self.state / "url").write_text(url + "\n", encoding="utf-8")
                self.timings["serve"] = round(time.perf_counter() - started, 1)
                return url
            time.sleep(0.5)
        self.stop()
        raise StartFailed(f"Superset did not answer {url}/health in 180 s; see {self.log_file}")

    # -- stop ----------------------------------------------------------------------------
    def running(self) -> int | None:
        """The pid of the gunicorn this state started, if it still runs."""
        try:
            pid = int(self.pid_file.read_text(encoding="utf-8"))
            os.kill(pid, 0)
        except (FileNotFoundError, ValueError, ProcessLookupError):
            return None
        return pid

    def stop(self, wait: float = 30) -> bool:
        """Stop the gunicorn of the pid file and its workers (its own process group)."""
        pid = self.running()
        if pid is None:
            self.pid_file.unlink(missing_ok=True)
            return False
        os.killpg(pid, signal.SIGTERM)
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline and _alive(pid):
            time.sleep(0.2)
        if _alive(pid):
            os.killpg(pid, signal.SIGKILL)
        self.pid_file.unlink(missing_ok=True)
        return True

    # -- the superset command line -----------------------------------------------------
    def _env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
        env.update({"FANGPIN_BI_STATE": str(self.state), "SUPERSET_CONFIG_PATH": str(CONFIG),
                    "FLASK_APP": "superset.app:create_app()",
                    "PATH": f"{self.venv / 'bin'}:{env.get('PATH', '')}"})
        return env

    def _superset(self, *args: str) -> str:
        proc = subprocess.run([str(self.venv / "bin" / "superset"), *args], env=self._env(),
                              capture_output=True, text=True, stdin=subprocess.DEVNULL)
        output = proc.stdout + proc.stderr
        with self.log_file.open("a", encoding="utf-8") as log:
            log.write(f"\n$ superset {args[0]} {args[1] if len(args) > 1 else ''}\n{output}")
        if proc.returncode != 0:
            raise StartFailed(f"superset {' '.join(args[:2])} failed ({proc.returncode}); "
                              f"see {self.log_file}:\n{output[-2000:]}")
        return output

    def _timed(self, name: str, *args: str) -> str:
        started = time.perf_counter()
        out = self._superset(*args)
        self.timings[name] = round(time.perf_counter() - started, 1)
        return out


def free_port() -> int:
    """A port nothing listens on now (the OS picks it); Superset binds it a moment later."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "/health", timeout=2) as answer:
            return bool(answer.status == 200)
    except OSError:
        return False


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie child of ours counts as gone
        done, _ = os.waitpid(pid, os.WNOHANG)
        return done == 0
    except ChildProcessError:
        return True


def _psycopg2(url: str) -> str:
    """Superset's SQLAlchemy 1.4 with psycopg2: the dialect named in the URL."""
    return "postgresql+psycopg2://" + url.split("://", 1)[1]


def _write_private(path: Path, content: str | bytes) -> None:
    data = content.encode("utf-8") if isinstance(content, str) else content
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    path.chmod(0o600)


if __name__ == "__main__":  # pragma: no cover - use python -m fangpin_bi
    sys.exit("run: python -m fangpin_bi start|stop|status")
