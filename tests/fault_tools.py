"""Stores a fault test can break: a PostgreSQL cluster and a Redis server of the test's own (so
the machine's servers are never disturbed), and where the figures such tests measure are kept."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import List, Optional

import pytest

from runner_up.runner import free_port
from runner_up.settings import ROOT


def record(line: str) -> None:
    """Prints a figure, and keeps it in test-artifacts/faults.txt."""
    print("\n" + line)
    artifacts = ROOT / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    with (artifacts / "faults.txt").open("a") as out:
        out.write(f"{time.strftime('%Y-%m-%d %H:%M:%S')} {line}\n")


class PrivateCluster:
    """A PostgreSQL server of our own (initdb into a temporary directory), so the test can
    restart it without disturbing the machine's server. Needs PostgreSQL's binaries; as root it
    runs them as the `postgres` user, as initdb refuses root."""

    def __init__(self) -> None:
        found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))
        if not found:
            pytest.fail("PostgreSQL's server binaries (pg_ctl, initdb) are not installed")
        self.bin = found[-1].parent
        self.dir = Path(tempfile.mkdtemp(prefix="runner-up-pg-"))
        self.port = free_port()
        self.as_postgres: List[str] = []
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres")
            self.as_postgres = ["runuser", "-u", "postgres", "--"]
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def ctl(self, *args: str) -> None:
        subprocess.run([*self.as_postgres, str(self.bin / "pg_ctl"), "-D", str(self.dir / "data"),
                        "-l", str(self.dir / "log"), "-w", *args], check=True, stdout=subprocess.DEVNULL)

    def start(self) -> "PrivateCluster":
        subprocess.run([*self.as_postgres, str(self.bin / "initdb"), "-D", str(self.dir / "data"), "-A",
                        "trust", "-U", "postgres"], check=True, stdout=subprocess.DEVNULL)
        return self.resume()

    def resume(self) -> "PrivateCluster":
        """Starts the (initialised) server again."""
        self.ctl("-o", f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1", "start")
        return self

    def crash(self) -> None:
        """Stops the server the way a crash does (no shutdown checkpoint)."""
        self.ctl("-m", "immediate", "stop")

    def crash_and_restart(self) -> float:
        """Crashes the server, then starts it again; returns how long it was down."""
        start = time.perf_counter()
        self.crash()
        self.resume()
        return time.perf_counter() - start

    def database(self, name: str) -> str:
        """A new database on this server; its URL."""
        from sqlalchemy import create_engine, text

        admin = create_engine(self.url, isolation_level="AUTOCOMMIT", future=True)
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        return f"{self.url.rsplit('/', 1)[0]}/{name}"

    def stop(self) -> None:
        try:
            self.ctl("-m", "fast", "stop")
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)


class PrivateRedis:
    """A redis-server of our own on a free port (skips the test where Redis is not installed)."""

    def __init__(self, workdir: Path) -> None:
        if shutil.which("redis-server") is None:
            pytest.skip("redis-server is not installed")
        self.workdir = workdir
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.server: Optional[subprocess.Popen] = None

    def start(self) -> "PrivateRedis":
        import redis

        self.server = subprocess.Popen(["redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
                                        "--save", "", "--appendonly", "no", "--dir", str(self.workdir)],
                                       stdout=subprocess.DEVNULL)
        client = redis.Redis(port=self.port)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                return self
            except redis.ConnectionError:
                assert time.monotonic() < deadline, "redis-server did not start"
                time.sleep(0.05)

    def stop(self) -> None:
        if self.server is not None and self.server.poll() is None:
            self.server.terminate()
            self.server.wait(timeout=10)
