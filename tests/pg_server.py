"""A throw-away PostgreSQL server for the tests, on a free port of 127.0.0.1.

The server's programs come from Debian's postgresql package (.ci/postgres
installs it). PostgreSQL refuses to run as root, so when the tests run as
root the server runs as the `postgres` user, in a data folder it owns.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path


def binaries():
    """The newest installed PostgreSQL's bin folder, or None."""
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"),
        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0,
    )
    return Path(found[-1]).parent if found else None


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """initdb + pg_ctl start on start(); stop() stops it and removes its files."""

    def __init__(self, bindir):
        self.bindir = Path(bindir)
        self.port = _free_port()
        self.base = Path(tempfile.mkdtemp(prefix="autograder-pg-"))
        self.data = self.base / "data"
        self.as_user = []
        if os.geteuid() == 0:
            import pwd

            user = pwd.getpwnam("postgres")
            os.chown(self.base, user.pw_uid, user.pw_gid)
            os.chmod(self.base, 0o700)
            self.as_user = ["runuser", "-u", "postgres", "--"]

    def _run(self, *args):
        proc = subprocess.run(
            [*self.as_user, *args], capture_output=True, text=True, timeout=120
        )
        if proc.returncode != 0:
            raise RuntimeError(
                f"{' '.join(map(str, args[:2]))} failed:\n{proc.stdout}{proc.stderr}"
            )
        return proc

    def start(self):
        self._run(
            self.bindir / "initdb",
            "-D", self.data, "-U", "postgres", "-A", "trust",
            "-E", "UTF8", "--locale=C", "--no-sync",
        )  # fmt: skip
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 "
            f"-c unix_socket_directories={self.base} -c fsync=off "
            "-c full_page_writes=off -c max_connections=200"
        )
        self._run(
            self.bindir / "pg_ctl",
            "-D", self.data, "-o", options, "-l", self.base / "log", "-w", "start",
        )  # fmt: skip
        return self

    def url(self, database="postgres"):
        return f"postgresql+psycopg2://postgres@127.0.0.1:{self.port}/{database}"

    def new_database(self):
        """A fresh, empty database; its SQLAlchemy URL."""
        import psycopg2

        name = "gradebook_" + uuid.uuid4().hex[:12]
        conn = psycopg2.connect(f"postgresql://postgres@127.0.0.1:{self.port}/postgres")
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(f'CREATE DATABASE "{name}"')
        conn.close()
        return self.url(name)

    def stop(self):
        try:
            if (self.data / "postmaster.pid").exists():
                self._run(
                    self.bindir / "pg_ctl", "-D", self.data, "-m", "immediate", "stop"
                )
        finally:
            shutil.rmtree(self.base, ignore_errors=True)
