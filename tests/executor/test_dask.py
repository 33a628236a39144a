"""The Dask engine: same output as the local engine, in order, with failures in place, resumable."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("distributed", reason="the dask engine needs the 'cluster' extra")

from distributed import Client, LocalCluster

from marsad.corpus.store import Store, ingest
from marsad.document import Article
from marsad.errors import Failure, MarsadError
from marsad.executor.dask import DaskExecutor, default_work_dir
from marsad.executor.local import LocalExecutor
from marsad.ingest import read_inputs
from marsad.pipeline.runner import build_pipeline

# Cheaper than the default pipeline (no model loads) yet several steps deep; the CLI test in
# test_dask_cli.py runs the default pipeline.
STEPS = ["text", "dateline", "attributions", "claims"]


@pytest.fixture(scope="module")
def client() -> Iterator[Client]:
    # One cluster for the module: starting one costs seconds. Thread workers start fastest.
    with (
        LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None) as cluster,
        Client(cluster, set_as_default=False) as connected,
    ):
        yield connected


@pytest.fixture
def inputs(tmp_path: Path, examples_dir: Path) -> list[str]:
    """examples/articles.jsonl split over two files, the first with a malformed line in the middle."""
    lines = (examples_dir / "articles.jsonl").read_text(encoding="utf-8").splitlines()
    first, second = tmp_path / "first.jsonl", tmp_path / "second.jsonl"
    first.write_text("\n".join([*lines[:8], "{not json", *lines[8:15]]) + "\n", encoding="utf-8")
    second.write_text("\n".join(lines[15:]) + "\n", encoding="utf-8")
    return [str(first), str(second)]


def _lines(items: Iterator[Article | Failure]) -> list[str]:
    return [item.error.dumps() if isinstance(item, Failure) else item.dumps() for item in items]


def _executor(client: Client, work_dir: Path, *, shard_size: int = 4) -> DaskExecutor:
    return DaskExecutor(work_dir=work_dir, client=client, shard_size=shard_size)


def test_dask_and_local_engines_give_identical_jsonl(
    client: Client, inputs: list[str], tmp_path: Path
) -> None:
    pipeline = build_pipeline(STEPS)
    names = [*inputs, str(tmp_path / "missing.jsonl")]
    local = _lines(LocalExecutor(jobs=1).run(pipeline, read_inputs(names)))
    executor = _executor(client, tmp_path / "work")
    distributed = _lines(executor.run(pipeline, names))
    assert distributed == local
    assert len(local) == 32  # 30 articles, one malformed line, one missing file
    # 16 records in the first file, 15 in the second, 4 a shard.
    assert len(executor.computed) == 4 + 4
    errors = [json.loads(line) for line in distributed if '"marsad.error/1"' in line]
    assert [(e["code"], e["input"]) for e in errors] == [("E106", inputs[0]), ("E101", names[2])]
    assert json.loads(distributed[8])["code"] == "E106"  # in place: the ninth record of the first file


def test_rerun_skips_completed_partitions(client: Client, inputs: list[str], tmp_path: Path) -> None:
    pipeline = build_pipeline(["text"])
    first = _executor(client, tmp_path / "work")
    before = _lines(first.run(pipeline, inputs))
    again = _executor(client, tmp_path / "work")
    assert _lines(again.run(pipeline, inputs)) == before
    assert again.computed == []
    records = sorted((tmp_path / "work" / "parts").glob("*.done.json"))
    record = json.loads(records[0].read_text(encoding="utf-8"))
    assert {"partition", "input", "shard", "count", "digest"} <= set(record)
    assert not list((tmp_path / "work").rglob("*.tmp"))


def test_changed_steps_input_or_results_are_recomputed(
    client: Client, inputs: list[str], tmp_path: Path
) -> None:
    work = tmp_path / "work"
    _lines(_executor(client, work).run(build_pipeline(["text"]), inputs))
    # Other steps: other partitions.
    other_steps = _executor(client, work)
    _lines(other_steps.run(build_pipeline(["text", "dateline"]), inputs))
    assert len(other_steps.computed) == 8
    # A damaged result file fails its digest and is computed again; the rest are kept.
    victim = next((work / "parts").glob("*.jsonl"))
    victim.write_bytes(victim.read_bytes()[:-10])
    repaired = _executor(client, work)
    _lines(repaired.run(build_pipeline(["text", "dateline"]), inputs))
    _lines(repaired.run(build_pipeline(["text"]), inputs))
    assert len(repaired.computed) == 1
    # An edited input file is a new input: its partitions run again, the other file's do not.
    Path(inputs[1]).write_text(Path(inputs[1]).read_text(encoding="utf-8") + "\n", encoding="utf-8")
    os.utime(inputs[1], ns=(1, 1))
    edited = _executor(client, work)
    results = _lines(edited.run(build_pipeline(["text"]), inputs))
    assert len(edited.computed) == 4
    assert len(results) == 31


def test_standard_input_and_urls_are_refused_with_a_code(client: Client, tmp_path: Path) -> None:
    executor = _executor(client, tmp_path / "work")
    for name in ("-", "https://example.org/feed.xml"):
        with pytest.raises(MarsadError) as caught:
            executor.run(build_pipeline(["text"]), [name])
        assert caught.value.code == "E301"


def test_bad_options_are_coded_errors(tmp_path: Path) -> None:
    with pytest.raises(MarsadError) as caught:
        DaskExecutor(work_dir=tmp_path, shard_size=0)
    assert caught.value.code == "E301"
    article = tmp_path / "article.txt"
    article.write_text("نص قصير.", encoding="utf-8")
    unreachable = DaskExecutor(work_dir=tmp_path / "work", scheduler="tcp://127.0.0.1:9", connect_timeout=1)
    with pytest.raises(MarsadError) as caught:
        unreachable.run(build_pipeline(["text"]), [str(article)])
    assert caught.value.code == "E301"
    assert "tcp://127.0.0.1:9" in caught.value.message
    with pytest.raises(MarsadError) as caught:
        DaskExecutor(work_dir=tmp_path / "work", scheduler="no-port-here").run(["text"], [str(article)])
    assert caught.value.code == "E301"
    assert "tcp://HOST:PORT" in caught.value.message


def test_directories_are_walked_like_the_local_engine(
    client: Client, inputs: list[str], tmp_path: Path
) -> None:
    folder = Path(inputs[0]).parent
    (folder / "empty.txt").write_text("", encoding="utf-8")
    pipeline = build_pipeline(["text"])
    local = _lines(LocalExecutor().run(pipeline, read_inputs([str(folder)])))
    assert _lines(_executor(client, tmp_path / "work", shard_size=5).run(pipeline, [str(folder)])) == local
    assert any('"E102"' in line for line in local)


def test_ingest_stores_what_the_local_engine_stores(
    client: Client, inputs: list[str], tmp_path: Path
) -> None:
    local_db, dask_db = tmp_path / "local.db", tmp_path / "dask.db"
    local = ingest(inputs, db=local_db)
    executor = _executor(client, tmp_path / "work")
    from marsad.pipeline.runner import default_pipeline

    summary = executor.ingest(default_pipeline(), inputs, db=dask_db)
    assert (summary.new, summary.failed) == (local.new, local.failed)
    assert summary.new + summary.failed == 31
    with Store.open(local_db) as expected, Store.open(dask_db) as got:
        ids = list(expected.ids())
        assert list(got.ids()) == ids
        assert all(got.get(i).to_json() == expected.get(i).to_json() for i in ids)  # type: ignore[union-attr]
    # A rerun stores nothing again, reports the same failure, and keeps one row per article.
    rerun = _executor(client, tmp_path / "work").ingest(default_pipeline(), inputs, db=dask_db)
    assert (rerun.new, rerun.updated, rerun.unchanged, rerun.failed) == (0, 0, local.new, local.failed)
    assert [e.code for e in rerun.failures] == [e.code for e in local.failures]
    with Store.open(dask_db) as got:
        assert len(got) == local.new


def test_default_work_dir_sits_beside_the_target(tmp_path: Path) -> None:
    assert default_work_dir(tmp_path / "out.jsonl") == tmp_path / "out.jsonl.work"
    assert default_work_dir(tmp_path / "corpus.db") == tmp_path / "corpus.db.work"
    assert default_work_dir(None) == Path("marsad-work")
    assert default_work_dir("postgresql://marsad@127.0.0.1:5432/corpus") == Path("marsad-work")
