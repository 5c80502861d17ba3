"""A PostgreSQL server of the tests' own, for what the shared one cannot show: a
frozen server (SIGSTOP) and password authentication (the shared one trusts)."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import _missing

PG_BIN = Path(os.environ.get("AZORA_TEST_PG_BIN", "/usr/lib/postgresql/15/bin"))
PASSWORD = "s3cret-pw"


@dataclass
class OwnServer:
    """A private PostgreSQL server: superuser ``postgres`` with a password, scram auth."""

    port: int
    datadir: Path
    pid: int

    def url(self, password: str = PASSWORD, user: str = "postgres", db: str = "postgres") -> str:
        return f"postgresql://{user}:{password}@127.0.0.1:{self.port}/{db}"

    def freeze(self) -> None:
        """Stop every process of the server (postmaster and backends)."""
        self._signal(signal.SIGSTOP)

    def thaw(self) -> None:
        self._signal(signal.SIGCONT)

    def _signal(self, signum: int) -> None:
        for pid in self._pids():
            with contextlib.suppress(ProcessLookupError):  # a backend that just exited
                os.kill(pid, signum)

    def _pids(self) -> list[int]:
        children = subprocess.run(
            ["pgrep", "-P", str(self.pid)], capture_output=True, text=True, check=False
        ).stdout.split()
        return [self.pid, *(int(p) for p in children)]


def _as_postgres(args: list[str]) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *args]
    return args


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def own_pg() -> Iterator[OwnServer]:
    if not (PG_BIN / "initdb").exists() or shutil.which("pgrep") is None:
        _missing(f"PostgreSQL binaries under {PG_BIN}")
    root = Path(tempfile.mkdtemp(prefix="azora-own-pg-"))
    datadir = root / "data"
    pwfile = root / "pw"
    pwfile.write_text(PASSWORD + "\n")
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
        shutil.chown(pwfile, "postgres")
    subprocess.run(
        _as_postgres(
            [
                str(PG_BIN / "initdb"),
                "-D",
                str(datadir),
                "-U",
                "postgres",
                "--pwfile",
                str(pwfile),
                "--auth-host=scram-sha-256",
                "--auth-local=trust",
                "-E",
                "UTF8",
                "--no-sync",
            ]
        ),
        check=True,
        capture_output=True,
    )
    port = _free_port()
    options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off"
    subprocess.run(
        _as_postgres(
            [
                str(PG_BIN / "pg_ctl"),
                "-D",
                str(datadir),
                "-o",
                options,
                "-w",
                "-l",
                str(root / "log"),
                "start",
            ]
        ),
        check=True,
        capture_output=True,
    )
    pid = int((datadir / "postmaster.pid").read_text().split()[0])
    server = OwnServer(port=port, datadir=datadir, pid=pid)
    try:
        yield server
    finally:
        server.thaw()
        subprocess.run(
            _as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(datadir), "-m", "immediate", "stop"]),
            check=False,
            capture_output=True,
        )
        time.sleep(0.1)
        shutil.rmtree(root, ignore_errors=True)
