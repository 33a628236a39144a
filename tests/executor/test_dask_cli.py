"""`marsad analyze|ingest --engine dask` as a user calls them, with worker processes."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

pytest.importorskip("distributed", reason="the dask engine needs the 'cluster' extra")

from marsad.cli.main import app
from marsad.corpus.store import Store

runner = CliRunner()


@pytest.fixture
def inputs(tmp_path: Path, examples_dir: Path) -> list[str]:
    lines = (examples_dir / "articles.jsonl").read_text(encoding="utf-8").splitlines()
    first, second = tmp_path / "first.jsonl", tmp_path / "second.jsonl"
    first.write_text("\n".join([*lines[:10], "{broken"]) + "\n", encoding="utf-8")
    second.write_text("\n".join(lines[10:]) + "\n", encoding="utf-8")
    return [str(first), str(second)]


def test_analyze_and_ingest_with_worker_processes(tmp_path: Path, inputs: list[str]) -> None:
    local_out, dask_out = tmp_path / "local.jsonl", tmp_path / "dask.jsonl"
    local = runner.invoke(app, ["analyze", *inputs, "-f", "jsonl", "-o", str(local_out)])
    options = ["--engine", "dask", "--jobs", "2", "--shard-size", "6"]
    dask = runner.invoke(app, ["analyze", *inputs, "-f", "jsonl", "-o", str(dask_out), *options])
    # Exit code 1 and the coded message: one input line failed, the rest were analysed.
    assert local.exit_code == dask.exit_code == 1
    assert "error[E106]" in dask.stderr and "line 11" in dask.stderr
    assert dask_out.read_bytes() == local_out.read_bytes()
    assert len(dask_out.read_text(encoding="utf-8").splitlines()) == 31
    assert (tmp_path / "dask.jsonl.work" / "parts").is_dir()  # the default work folder

    db = tmp_path / "corpus.db"
    # One worker process this time: each worker loads the models, which is most of the cost.
    options = ["--engine", "dask", "--jobs", "1", "--shard-size", "6", "--work-dir", str(tmp_path / "w")]
    stored = runner.invoke(app, ["ingest", *inputs, "--db", str(db), *options])
    assert stored.exit_code == 1
    analysed = dask_out.read_text(encoding="utf-8").count('"schema": "marsad.article/1"')
    assert f"{analysed} new, 0 updated, 0 unchanged, {31 - analysed} failed" in stored.stdout
    with Store.open(db) as store:
        assert len(store) == analysed


def test_dask_engine_refuses_text_and_standard_input(tmp_path: Path) -> None:
    refused = runner.invoke(app, ["analyze", "--text", "نص", "--engine", "dask"])
    assert refused.exit_code == 2
    assert "error[E301]" in refused.stderr
    stdin = runner.invoke(
        app, ["analyze", "-", "--engine", "dask", "--work-dir", str(tmp_path / "w")], input="نص"
    )
    assert stdin.exit_code == 2
    assert "error[E301]" in stdin.stderr
