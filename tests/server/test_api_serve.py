"""``marsad serve``: its error paths through the CLI, and one real start on a free port."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from typer.testing import CliRunner

from marsad.cli.main import app

runner = CliRunner()


def test_serve_without_a_corpus_is_a_coded_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["serve", "--db", str(tmp_path / "missing.db")])
    assert result.exit_code == 1
    assert "error[E101]" in result.stderr and "marsad ingest" in result.stderr
    assert "Traceback" not in result.output
    assert not (tmp_path / "missing.db").exists()


def test_serve_on_a_file_that_is_not_a_corpus_is_a_usage_error(tmp_path: Path) -> None:
    notes = tmp_path / "notes.db"
    notes.write_text("هذه ملاحظات وليست قاعدة بيانات\n" * 200, encoding="utf-8")
    result = runner.invoke(app, ["serve", "--db", str(notes)])
    assert result.exit_code == 2
    assert "error[E301]" in result.stderr and "Traceback" not in result.output


@pytest.mark.parametrize("option", [["--port", "0"], ["--port", "70000"], ["--workers", "0"]])
def test_serve_refuses_impossible_options(corpus_db: Path, option: list[str]) -> None:
    result = runner.invoke(app, ["serve", "--db", str(corpus_db), *option])
    assert result.exit_code == 2


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _request(url: str, *, method: str = "GET") -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, method=method, data=b"{}" if method == "POST" else None)
    request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), err.read()


def test_serve_starts_answers_and_stops(corpus_db: Path) -> None:
    port = _free_port()
    environment = {**os.environ, "MARSAD_API_TOKEN": "started-with-a-token"}
    server = subprocess.Popen(
        [sys.executable, "-m", "marsad.cli.main", "serve", "--db", str(corpus_db), "--port", str(port)],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if server.poll() is not None:
                output = server.stdout.read().decode() if server.stdout else ""
                pytest.fail(f"marsad serve exited with {server.returncode}:\n{output}")
            try:
                status, headers, body = _request(f"{base}/api/health")
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail("marsad serve did not answer within 60 s")
                time.sleep(0.2)
        assert status == 200 and json.loads(body)["status"] == "ok"
        assert "script-src 'self'" in headers["content-security-policy"]
        status, _, body = _request(f"{base}/api/analyze", method="POST")
        assert status == 401 and json.loads(body)["error"]["code"] == "E605"
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert server.returncode in {0, -15}
