"""A throwaway PostgreSQL 15 cluster for tests and for running the demo on PostgreSQL by hand.

    python tests/pgcluster.py run [--database NAME]

starts one, prints its URL and stops it (removing every file) on Ctrl-C or SIGTERM.

The cluster lives in a temporary folder, listens on 127.0.0.1 only, on a free port, trusts local
connections and skips every fsync: its data is not worth keeping. `initdb` refuses to run as root,
so as root the binaries run as the `postgres` system user, in a folder that user owns.
"""

from __future__ import annotations

import argparse
import atexit
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BINDIR = Path(os.environ.get("DOSSIERFLOW_PG_BINDIR", "/usr/lib/postgresql/15/bin"))
SUPERUSER = "postgres"
#: Durability off: a crash loses the cluster, and a throwaway cluster may be lost.
SETTINGS = {
    "listen_addresses": "127.0.0.1",
    "fsync": "off",
    "full_page_writes": "off",
    "synchronous_commit": "off",
}


class PostgresNotAvailable(RuntimeError):
    """The binaries, or the system user to run them as root, are missing."""


class PostgresError(RuntimeError):
    """A PostgreSQL program failed; the message holds its output."""


class PostgresCluster:
    """One PostgreSQL cluster in a temporary folder, from start() to stop().

    Use it as a context manager, or call start() and stop() yourself; stop() also runs at exit
    if it was forgotten.
    """

    def __init__(self, bindir: Path | str = BINDIR, *, startup_timeout: int = 60) -> None:
        self.bindir = Path(bindir)
        self.startup_timeout = startup_timeout
        self.port: int | None = None
        self.base_dir: Path | None = None
        self._run_as = self._system_user() if os.geteuid() == 0 else None

    @property
    def data_dir(self) -> Path:
        assert self.base_dir is not None, "the cluster is not started"
        return self.base_dir / "data"

    @property
    def socket_dir(self) -> Path:
        assert self.base_dir is not None, "the cluster is not started"
        return self.base_dir / "socket"

    @property
    def log_file(self) -> Path:
        assert self.base_dir is not None, "the cluster is not started"
        return self.base_dir / "postgres.log"

    @property
    def running(self) -> bool:
        return self.port is not None

    def start(self) -> PostgresCluster:
        """Create the cluster and start the server; returns self once it accepts connections."""
        if self.running:
            return self
        for binary in ("initdb", "pg_ctl", "postgres"):
            if not (self.bindir / binary).is_file():
                raise PostgresNotAvailable(
                    f"{self.bindir / binary} not found: install PostgreSQL 15 "
                    "(Debian: apt-get install postgresql-15) or set DOSSIERFLOW_PG_BINDIR"
                )
        self.base_dir = Path(tempfile.mkdtemp(prefix="dossierflow-pg-"))
        atexit.register(self.stop)
        try:
            self.socket_dir.mkdir()
            if self._run_as:
                for path in (self.base_dir, self.socket_dir):
                    os.chown(path, self._run_as.pw_uid, self._run_as.pw_gid)
            self._run(
                "initdb", "--pgdata", self.data_dir, "--username", SUPERUSER, "--auth", "trust",
                "--encoding", "UTF8", "--no-locale", "--no-sync",
            )  # fmt: skip
            self._start_server()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop the server (fast shutdown) and remove the cluster's folder. Safe to call twice."""
        atexit.unregister(self.stop)
        if self.base_dir is None:
            return
        # Checked on disk rather than with self.running: a start that timed out may have left a
        # server behind.
        if (self.data_dir / "postmaster.pid").exists():
            try:
                self._run("pg_ctl", "stop", "--pgdata", self.data_dir, "--mode", "fast", "--wait")
            except PostgresError:
                self._run("pg_ctl", "stop", "--pgdata", self.data_dir, "--mode", "immediate",
                          check=False)  # fmt: skip
        shutil.rmtree(self.base_dir, ignore_errors=True)
        self.base_dir = None
        self.port = None

    def url(self, database: str = "postgres") -> str:
        """The SQLAlchemy URL of a database in this cluster."""
        assert self.port is not None, "the cluster is not started"
        return f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str, *, template: str | None = None) -> str:
        """Create a database, empty or as a copy of `template` (which must have no connections
        at that moment), and return its SQLAlchemy URL."""
        from psycopg import sql

        statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if template is not None:
            statement += sql.SQL(" TEMPLATE {}").format(sql.Identifier(template))
        self._execute(statement)
        return self.url(name)

    def drop_database(self, name: str) -> None:
        """Drop a database, ending whatever connections it still has."""
        from psycopg import sql

        self._execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
            sql.Identifier(name)))  # fmt: skip

    def _execute(self, statement) -> None:
        import psycopg

        assert self.port is not None, "the cluster is not started"
        with psycopg.connect(
            host="127.0.0.1", port=self.port, user=SUPERUSER, dbname="postgres", autocommit=True
        ) as connection:
            connection.execute(statement)

    def __enter__(self) -> PostgresCluster:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def _start_server(self, attempts: int = 5) -> None:
        options = " ".join(f"-c {name}={value}" for name, value in SETTINGS.items())
        options += f" -c unix_socket_directories='{self.socket_dir}'"
        for attempt in range(1, attempts + 1):
            # The port is free now but not reserved: another process may take it before the
            # server binds it, hence the retries.
            port = _free_port()
            result = self._run(
                "pg_ctl", "start", "--pgdata", self.data_dir, "--log", self.log_file, "--wait",
                "--timeout", str(self.startup_timeout), "-o", f"{options} -p {port}",
                check=False,
            )  # fmt: skip
            if result.returncode == 0:
                self.port = port
                return
            log = self.log_file.read_text(errors="replace") if self.log_file.exists() else ""
            if "could not bind" not in log or attempt == attempts:
                raise PostgresError(f"PostgreSQL did not start:\n{result.stdout}\n{log}")
            self.log_file.unlink()

    def _run(self, binary: str, *args, check: bool = True) -> subprocess.CompletedProcess[str]:
        command = [str(self.bindir / binary), *map(str, args)]
        if self._run_as:
            command = ["runuser", "-u", self._run_as.pw_name, "--", *command]
        result = subprocess.run(
            command,
            # The server must not share our terminal's process group: Ctrl-C is for us to
            # handle, with an orderly stop().
            start_new_session=True,
            # The postgres user may not be allowed into our working directory.
            cwd=self.base_dir,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        if check and result.returncode != 0:
            raise PostgresError(f"{' '.join(command)} failed:\n{result.stdout}")
        return result

    @staticmethod
    def _system_user() -> pwd.struct_passwd:
        try:
            return pwd.getpwnam(SUPERUSER)
        except KeyError:
            raise PostgresNotAvailable(
                f"running as root, and initdb refuses root: a '{SUPERUSER}' system user is "
                "needed to run the cluster as (Debian's postgresql package creates it)"
            ) from None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _run_until_signalled(database: str) -> None:
    def stop_on_sigterm(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop_on_sigterm)
    started = time.monotonic()
    with PostgresCluster() as cluster:
        url = cluster.create_database(database)
        print(
            f"PostgreSQL ready in {time.monotonic() - started:.1f}s, data in {cluster.base_dir}\n"
            f"DOSSIERFLOW_DATABASE_URL={url}\n"
            "Ctrl-C stops it and removes its data.",
            flush=True,
        )
        try:
            while True:
                signal.pause()
        except KeyboardInterrupt:
            print("stopping PostgreSQL", file=sys.stderr)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="start a cluster and keep it until Ctrl-C or SIGTERM")
    run.add_argument("--database", default="dossierflow", help="database to create")
    args = parser.parse_args(argv)
    if args.command == "run":
        _run_until_signalled(args.database)


if __name__ == "__main__":
    main()
