"""`marsad ingest`, `search`, `copies` and `syndication` as a user calls them, on the examples."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from marsad.cli.main import app

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
runner = CliRunner()


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("corpus") / "demo.db"
    code, out, err = run("ingest", str(EXAMPLES / "articles.jsonl"), "--db", str(db), "--no-progress")
    assert code == 0, err
    assert "30 new, 0 updated, 0 unchanged, 0 failed" in out
    return db


def test_ingest_twice_stores_once(corpus: Path) -> None:
    code, out, _ = run("ingest", str(EXAMPLES / "articles.jsonl"), "--db", str(corpus), "--format", "json")
    assert code == 0
    assert json.loads(out)["unchanged"] == 30
    assert json.loads(out)["new"] == 0


def test_search_is_arabic_aware_and_ranked(corpus: Path) -> None:
    code, out, _ = run("search", "أمريكا", "--db", str(corpus), "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert data["total"] >= 3
    scores = [hit["score"] for hit in data["hits"]]
    assert scores == sorted(scores, reverse=True)
    # أمريكا also finds the adjective الأمريكي
    assert any("الأمريكي" in hit["snippet"] for hit in data["hits"])


def test_bad_query_is_a_usage_error(corpus: Path) -> None:
    code, _, err = run("search", "x AND", "--db", str(corpus))
    assert code == 2
    assert "error[E301]" in err


def test_missing_database_is_a_coded_error(tmp_path: Path) -> None:
    code, _, err = run("search", "روسيا", "--db", str(tmp_path / "none.db"))
    assert code == 1
    assert "error[E101]" in err


def test_copies_and_syndication(corpus: Path) -> None:
    code, out, _ = run("syndication", "--db", str(corpus), "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert data["clusters"], "the example copies form clusters"
    first = data["clusters"][0]["first"]["id"]
    code, out, _ = run("copies", first, "--db", str(corpus), "--format", "json")
    assert code == 0
    copies = json.loads(out)
    assert copies["cluster"]["copies"]
    code, _, err = run("copies", "no-such-id", "--db", str(corpus))
    assert code == 2
    assert "error[E301]" in err
