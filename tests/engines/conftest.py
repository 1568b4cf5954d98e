"""Real engines for the parity tests: one PostgreSQL server and one local Spark session per run.

PostgreSQL: Debian's server binaries (``/usr/lib/postgresql/<version>/bin``, or the folder in
``REVLAB_PG_BINDIR``); when they are missing and the tests run as root with apt-get, Debian's
``postgresql`` package is installed first. ``initdb`` makes a throwaway cluster in a temporary
folder; the server listens on 127.0.0.1 only, on a free port, with its Unix socket in that
folder, runs as the ``postgres`` user when the tests run as root (the server refuses root), and
is stopped and deleted at the end of the session.

Spark: a ``local[2]`` session from PyPI's pyspark and the machine's Java 17, UTC, bound to
127.0.0.1, no web UI (:func:`revlab.engines.local_spark`); stopped at the end of the session.

Either engine missing skips its tests with the reason. ``REVLAB_REQUIRE_ENGINES=1`` or ``CI=true``
turns those skips into failures, so that a CI run cannot pass without the engines.
"""

from __future__ import annotations

import os
import pwd
import re
import secrets
import shutil
import socket
import subprocess
import tempfile
from glob import glob
from pathlib import Path

import pytest

#: A company small enough for Spark's per-query overhead, with rows in every table.
N_LEADS = 5000


def unavailable(reason: str):
    """Skip with the reason, or fail when the run requires the engines."""
    if os.environ.get("REVLAB_REQUIRE_ENGINES") == "1" or os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (engines are required in CI)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def engine_company():
    """A smaller demo company (every table has rows), simulated once."""
    from revlab import demo

    return demo.simulate(n_leads=N_LEADS)


# -- PostgreSQL -------------------------------------------------------------------------------


def _version(path: str) -> tuple[int, ...]:
    return tuple(int(x) for x in re.findall(r"\d+", path)) or (0,)


def _pg_bindir() -> Path | None:
    """The folder with initdb and pg_ctl: REVLAB_PG_BINDIR, Debian's newest, or the PATH."""
    found = [os.environ.get("REVLAB_PG_BINDIR", "")]
    found += sorted(glob("/usr/lib/postgresql/*/bin"), key=_version, reverse=True)
    if shutil.which("initdb"):
        found.append(str(Path(shutil.which("initdb")).parent))
    for folder in filter(None, found):
        if (Path(folder) / "initdb").exists() and (Path(folder) / "pg_ctl").exists():
            return Path(folder)
    return None


def _install_postgres() -> str:
    """Install Debian's postgresql package (root only); returns what went wrong, or ''."""
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        return "not root with apt-get, so it cannot be installed here"
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for cmd in (
        ["apt-get", "update", "-qq"],
        ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "postgresql"],
    ):
        done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=900)
        if done.returncode != 0:
            return f"`{' '.join(cmd)}` failed: {done.stderr.strip()[-300:]}"
    return ""


def _server_user() -> str | None:
    """The user the server runs as: None (ourselves) unless we are root."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "revlab-pg"):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    subprocess.run(["useradd", "--system", "--no-create-home", "revlab-pg"], check=True)
    return "revlab-pg"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PostgresServer:
    """A throwaway PostgreSQL cluster in a temporary folder, on loopback only."""

    def __init__(self, bindir: Path, user: str | None):
        self.bindir, self.user = bindir, user
        self.folder = Path(tempfile.mkdtemp(prefix="revlab-pg-"))
        self.data = self.folder / "data"
        self.password = secrets.token_hex(12)
        self.port = 0
        if user is not None:
            shutil.chown(self.folder, user)

    def _run(self, tool: str, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
        cmd = [str(self.bindir / tool), *args]
        if self.user is not None:
            cmd = ["runuser", "-u", self.user, "--", *cmd]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)

    def start(self) -> None:
        pwfile = self.folder / "pw"
        pwfile.write_text(self.password)
        if self.user is not None:
            shutil.chown(pwfile, self.user)
        done = self._run("initdb", "-D", str(self.data), "-U", "revlab", "-A", "scram-sha-256",
                         f"--pwfile={pwfile}", "-E", "UTF8", "--locale=C", "-N")  # fmt: skip
        pwfile.unlink()
        if done.returncode != 0:
            raise RuntimeError(f"initdb failed: {done.stderr.strip()[-500:]}")
        for _attempt in range(3):  # a free port can be taken between the check and the start
            self.port = _free_port()
            options = (
                f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.folder} "
                "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
                "-c max_connections=20 -c shared_buffers=64MB"
            )
            log = str(self.folder / "server.log")
            done = self._run("pg_ctl", "-D", str(self.data), "-l", log, "-w", "-t", "60",
                             "-o", options, "start")  # fmt: skip
            if done.returncode == 0:
                return
        raise RuntimeError(f"pg_ctl start failed: {self.log_tail()}")

    def log_tail(self) -> str:
        log = self.folder / "server.log"
        return log.read_text()[-800:] if log.exists() else "(no server log)"

    def url(self, database: str = "postgres", *, password: bool = True) -> str:
        """The connection URL; without the password, libpq reads it from PGPASSWORD."""
        secret = f":{self.password}" if password else ""
        return f"postgresql://revlab{secret}@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(self.url(), autocommit=True) as con:
            con.execute(f'DROP DATABASE IF EXISTS "{name}"')
            con.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        if self.data.exists():
            self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")
        shutil.rmtree(self.folder, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_server():
    """A PostgreSQL server for the session (see the module docstring), or a skip saying why."""
    try:
        import psycopg  # noqa: F401
    except ImportError:
        unavailable("psycopg is not installed: pip install 'revlab[engines]'")
    bindir = _pg_bindir()
    if bindir is None:
        problem = _install_postgres()
        bindir = _pg_bindir()
        if bindir is None:
            unavailable(
                "PostgreSQL server binaries (initdb, pg_ctl) not found and Debian's postgresql "
                f"package could not be installed ({problem or 'no binaries after install'}); "
                "install it or set REVLAB_PG_BINDIR"
            )
    server = PostgresServer(bindir, _server_user())
    try:
        server.start()
    except (RuntimeError, OSError, subprocess.SubprocessError) as exc:
        server.stop()
        unavailable(f"could not start PostgreSQL from {bindir}: {exc}")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def postgres_url(postgres_server, engine_company):
    """URL of a database holding the engine company's tables."""
    from revlab import engines

    url = postgres_server.create_database("revlab")
    engines.copy_to(engine_company, url)
    return url


# -- Spark ------------------------------------------------------------------------------------


def _java_problem() -> str:
    """Why Spark cannot run here ('' when Java 17 or newer is found)."""
    home = os.environ.get("JAVA_HOME")
    java = str(Path(home) / "bin" / "java") if home else shutil.which("java")
    if not java or not Path(java).exists():
        return "Java not found (pyspark needs Java 17: apt-get install openjdk-17-jre-headless)"
    done = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=60)
    found = re.search(r'version "(\d+)', done.stderr + done.stdout)
    if not found or int(found.group(1)) < 17:
        return f"pyspark 4 needs Java 17 or newer; {java} says: {done.stderr.strip()[:120]}"
    return ""


@pytest.fixture(scope="session")
def spark_session():
    """One local Spark session for the whole run, stopped at its end."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        unavailable("pyspark is not installed: pip install 'revlab[engines]'")
    problem = _java_problem()
    if problem:
        unavailable(problem)
    from revlab import engines

    warehouse = tempfile.mkdtemp(prefix="revlab-spark-")
    # whole-stage code generation costs more than it saves on a few thousand rows
    fast = {"spark.sql.codegen.wholeStage": "false"}
    session = engines.local_spark(cores=2, memory="1g", warehouse=warehouse, conf=fast)
    yield session
    session.stop()
    shutil.rmtree(warehouse, ignore_errors=True)


@pytest.fixture(scope="session")
def spark_source(spark_session, engine_company):
    """The engine company's tables as Spark tables."""
    from revlab import engines

    return engines.copy_to(engine_company, spark_session)


# -- the three engines --------------------------------------------------------------------------


@pytest.fixture(scope="session")
def duckdb_source(engine_company):
    from revlab.sources import connect

    return connect(engine_company.tables)


@pytest.fixture(scope="session")
def postgres_source(postgres_url):
    from revlab.sources import connect

    return connect(postgres_url)


@pytest.fixture(params=["postgres", "spark"])
def engine(request):
    """Each engine compared with DuckDB: (name, Source)."""
    return request.param, request.getfixturevalue(f"{request.param}_source")
