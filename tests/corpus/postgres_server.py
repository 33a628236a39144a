"""A throw-away PostgreSQL server for the tests: initdb into a temporary folder, pg_ctl start.

The binaries are looked up in ``$MARSAD_PG_BIN``, then Debian's /usr/lib/postgresql/*/bin (newest
first), then PATH. PostgreSQL refuses to run as root, so under root the server runs as the
``postgres`` user (else ``nobody``) in a folder that user owns.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["PostgresServer", "find_binaries", "fresh_postgres_url", "start_server"]

_NEEDED = ("initdb", "pg_ctl", "postgres")


def find_binaries() -> Path | None:
    """The folder holding initdb, pg_ctl and postgres, or None."""
    candidates: list[Path] = []
    if os.environ.get("MARSAD_PG_BIN"):
        candidates.append(Path(os.environ["MARSAD_PG_BIN"]))

    def version(folder: Path) -> int:
        name = folder.parent.name
        return int(name) if name.isdigit() else 0

    candidates.extend(sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=version, reverse=True))
    on_path = shutil.which("pg_ctl")
    if on_path:
        candidates.append(Path(on_path).resolve().parent)
    for folder in candidates:
        if all((folder / name).is_file() and os.access(folder / name, os.X_OK) for name in _NEEDED):
            return folder
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class PostgresServer:
    """A running server; ``url`` reaches its ``postgres`` database as the superuser ``marsad``."""

    binaries: Path
    folder: Path
    port: int
    run_as: dict[str, Any]

    @property
    def url(self) -> str:
        return f"postgresql://marsad@127.0.0.1:{self.port}/postgres"

    def stop(self) -> None:
        subprocess.run(
            [str(self.binaries / "pg_ctl"), "-D", str(self.folder / "data"), "-m", "immediate", "-w", "stop"],
            capture_output=True,
            check=False,
            **self.run_as,
        )
        shutil.rmtree(self.folder, ignore_errors=True)


def _unprivileged_user() -> dict[str, Any]:
    """subprocess arguments that drop root to a user PostgreSQL accepts; none when not root."""
    if os.geteuid() != 0:
        return {}
    for name in ("postgres", "nobody"):
        try:
            entry = pwd.getpwnam(name)
        except KeyError:
            continue
        return {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}
    raise RuntimeError("running as root and neither a 'postgres' nor a 'nobody' user exists")


def start_server(binaries: Path) -> PostgresServer:
    """initdb and start a server on a free port of 127.0.0.1; raises RuntimeError with its log."""
    run_as = _unprivileged_user()
    folder = Path(tempfile.mkdtemp(prefix="marsad-pg-"))
    if run_as:
        os.chown(folder, run_as["user"], run_as["group"])
    data = folder / "data"
    init = subprocess.run(
        [str(binaries / "initdb"), "-D", str(data), "-U", "marsad", "--auth=trust", "-E", "UTF8",
         "--locale=C", "--no-sync"],
        capture_output=True,
        text=True,
        check=False,
        **run_as,
    )  # fmt: skip
    if init.returncode != 0:
        shutil.rmtree(folder, ignore_errors=True)
        raise RuntimeError(f"initdb failed: {init.stderr or init.stdout}")
    last_error = ""
    for _attempt in range(3):
        port = _free_port()
        options = f"-k {folder} -p {port} -h 127.0.0.1 -c fsync=off -c synchronous_commit=off"
        started = subprocess.run(
            [str(binaries / "pg_ctl"), "-D", str(data), "-l", str(folder / "server.log"), "-w", "-t", "60",
             "-o", options, "start"],
            capture_output=True,
            text=True,
            check=False,
            **run_as,
        )  # fmt: skip
        if started.returncode == 0:
            return PostgresServer(binaries=binaries, folder=folder, port=port, run_as=run_as)
        # Another process may have taken the port between the probe and the start: try another.
        log = folder / "server.log"
        last_error = (started.stderr or "") + (log.read_text(errors="replace") if log.exists() else "")
    shutil.rmtree(folder, ignore_errors=True)
    raise RuntimeError(f"pg_ctl start failed: {last_error}")


def fresh_postgres_url(server: PostgresServer) -> str:
    """A URL whose tables land in a new, empty schema of the test server."""
    import psycopg

    schema = "test_" + uuid.uuid4().hex[:12]
    with psycopg.connect(server.url, autocommit=True) as admin:
        admin.execute(f"CREATE SCHEMA {schema}")
    return f"{server.url}?options=-csearch_path%3D{schema}"
