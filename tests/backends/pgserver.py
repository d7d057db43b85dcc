"""A throwaway PostgreSQL 15 cluster on a free loopback port, in a temporary directory.

Debian's ``initdb`` and ``pg_ctl`` (``/usr/lib/postgresql/15/bin``) refuse to run as root; as
root the cluster runs as the ``postgres`` user.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

BIN = Path(os.environ.get("RIVALSCOPE_PG_BIN", "/usr/lib/postgresql/15/bin"))
USER = "rivalscope"


def available() -> str | None:
    """Why no cluster can be started here (None: it can)."""
    if not (BIN / "initdb").exists():
        return f"{BIN}/initdb is missing (apt-get install postgresql)"
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        return "running as root without runuser to drop to the postgres user"
    return None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Cluster:
    """A running cluster; :meth:`stop` stops it and removes its directory."""

    directory: Path
    port: int

    @property
    def url(self) -> str:
        """The URL of its ``postgres`` database."""
        return f"postgresql://{USER}@127.0.0.1:{self.port}/postgres"

    def stop(self) -> None:
        _run([str(BIN / "pg_ctl"), "stop", "-D", str(self.directory / "data"), "-m", "fast"])
        shutil.rmtree(self.directory, ignore_errors=True)


def _run(command: list[str]) -> None:
    if os.geteuid() == 0:
        command = ["runuser", "-u", "postgres", "--", *command]
    subprocess.run(command, check=True, capture_output=True, timeout=120)


def start() -> Cluster:
    """initdb a cluster in a new temporary directory and start it on a free loopback port."""
    directory = Path(tempfile.mkdtemp(prefix="rivalscope-pg-"))
    if os.geteuid() == 0:
        shutil.chown(directory, "postgres", "postgres")
    data = directory / "data"
    _run(
        [
            str(BIN / "initdb"),
            "-D",
            str(data),
            "-U",
            USER,
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C",
        ]
    )
    port = _free_port()
    options = (
        f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={directory} "
        "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    )
    _run(
        [
            str(BIN / "pg_ctl"),
            "start",
            "-D",
            str(data),
            "-w",
            "-l",
            str(directory / "server.log"),
            "-o",
            options,
        ]
    )
    return Cluster(directory, port)


class Databases:
    """Creates databases on a server given by the URL of one of its databases."""

    def __init__(self, url: str) -> None:
        self.url = url

    def create(self, name: str) -> str:
        """Create an empty database ``name`` and return its URL."""
        import psycopg
        from psycopg import sql

        with psycopg.connect(self.url, autocommit=True) as con:
            con.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        parts = urlsplit(self.url)
        return urlunsplit(parts._replace(path=f"/{name}"))
