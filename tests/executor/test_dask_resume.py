"""A Dask run killed mid-way (SIGKILL of the driver) and started again gives the same result once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("distributed", reason="the dask engine needs the 'cluster' extra")

from marsad.corpus.store import Store

# The driver, run as its own process so that it can be killed. A slow step makes the run last a
# few seconds; thread workers die with the driver, as a real driver's cluster would lose it.
DRIVER = """
import sys, time
from marsad import registry
from marsad.pipeline.base import Step
from marsad.pipeline.runner import build_pipeline

@registry.register("step", "test-slow")
class Slow(Step):
    name = "test-slow"
    requires = ("text",)
    provides = ("slow",)

    def __call__(self, article):
        time.sleep(0.05)
        return article

mode, work, target, *inputs = sys.argv[1:]
pipeline = build_pipeline(["text", "test-slow"])
if mode == "local":
    from marsad.executor.local import LocalExecutor
    from marsad.ingest import read_inputs
    items = LocalExecutor().run(pipeline, read_inputs(inputs))
    with open(target, "w", encoding="utf-8") as out:
        for item in items:
            out.write((item.dumps() if hasattr(item, "dumps") else item.error.dumps()) + "\\n")
    sys.exit(0)
from marsad.executor.dask import DaskExecutor
with DaskExecutor(work_dir=work, jobs=1, shard_size=3, processes=False) as executor:
    if mode == "analyze":
        with open(target, "w", encoding="utf-8") as out:
            for item in executor.run(pipeline, inputs):
                out.write((item.dumps() if hasattr(item, "dumps") else item.error.dumps()) + "\\n")
        print(len(executor.computed))
    else:
        summary = executor.ingest(pipeline, inputs, db=target)
        print(summary.new, summary.unchanged, summary.failed, len(executor.computed))
"""


@pytest.fixture
def inputs(tmp_path: Path, examples_dir: Path) -> list[str]:
    lines = (examples_dir / "articles.jsonl").read_text(encoding="utf-8").splitlines()
    first, second = tmp_path / "first.jsonl", tmp_path / "second.jsonl"
    first.write_text("\n".join([*lines[:14], "[1, 2]"]) + "\n", encoding="utf-8")
    second.write_text("\n".join(lines[14:]) + "\n", encoding="utf-8")
    return [str(first), str(second)]


def _driver(tmp_path: Path, mode: str, work: Path, target: Path, inputs: list[str]) -> list[str]:
    script = tmp_path / "driver.py"
    script.write_text(DRIVER, encoding="utf-8")
    return [sys.executable, str(script), mode, str(work), str(target), *inputs]


def _kill_when(process: subprocess.Popen[bytes], folder: Path, pattern: str, *, count: int) -> int:
    """SIGKILL the driver once ``count`` files match ``pattern`` in ``folder``; return how many did."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        done = len(list(folder.glob(pattern))) if folder.exists() else 0
        if done >= count:
            os.kill(process.pid, signal.SIGKILL)
            process.wait()
            return done
        if process.poll() is not None:
            pytest.fail("the driver finished before it could be interrupted")
        time.sleep(0.02)
    process.kill()
    pytest.fail("no partition completed within two minutes")


def test_killed_analyze_resumes_and_matches_the_local_engine(tmp_path: Path, inputs: list[str]) -> None:
    work = tmp_path / "work"
    expected, output = tmp_path / "local.jsonl", tmp_path / "dask.jsonl"
    subprocess.run(_driver(tmp_path, "local", work, expected, inputs), check=True)

    driver = subprocess.Popen(_driver(tmp_path, "analyze", work, output, inputs))
    completed = _kill_when(driver, work / "parts", "*.done.json", count=3)
    assert driver.returncode == -signal.SIGKILL
    total_partitions = 5 + 6  # 15 records then 16, 3 a shard
    assert completed < total_partitions

    finished = subprocess.run(
        _driver(tmp_path, "analyze", work, output, inputs), check=True, capture_output=True, text=True
    )
    assert int(finished.stdout) <= total_partitions - completed  # what was complete is not run again
    assert output.read_text(encoding="utf-8") == expected.read_text(encoding="utf-8")
    lines = output.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 31 and len(set(lines)) == 31
    assert len(list((work / "parts").glob("*.done.json"))) == total_partitions


def test_killed_ingest_resumes_without_losing_or_doubling(tmp_path: Path, inputs: list[str]) -> None:
    work, db = tmp_path / "work", tmp_path / "corpus.db"
    driver = subprocess.Popen(_driver(tmp_path, "ingest", work, db, inputs))
    stored = _kill_when(driver, work / "stored", "*/*.json", count=2)
    assert driver.returncode == -signal.SIGKILL
    with Store.open(db) as store:
        assert 0 < len(store) < 30  # some partitions stored, not all

    finished = subprocess.run(
        _driver(tmp_path, "ingest", work, db, inputs), check=True, capture_output=True, text=True
    )
    new, unchanged, failed, computed = map(int, finished.stdout.split())
    assert new + unchanged == 30 and failed == 1
    assert unchanged >= 3 * stored  # the partitions stored before the kill were not stored again
    assert computed < 11  # and the partitions completed before the kill were not run again
    with Store.open(db) as store:
        ids = list(store.ids())
        duplicates = store.connection.execute("SELECT COUNT(*) - COUNT(DISTINCT id) FROM articles").fetchone()
    assert len(ids) == len(set(ids)) == 30
    assert duplicates[0] == 0
