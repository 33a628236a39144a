"""Whole-output golden files: the bundled examples analysed by the default pipeline.

When a change to an annotator changes the output on purpose, regenerate and review the diff:

    UPDATE_GOLDEN=1 python -m pytest tests/test_golden.py
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from marsad.document import Article
from marsad.ingest import read_inputs
from marsad.pipeline.runner import default_pipeline
from marsad.schema import validate

GOLDEN = Path(__file__).resolve().parent / "golden"
EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
CASES = ["articles.jsonl", "page.html", "feed.xml"]


def _analyse(path: Path) -> list[dict[str, object]]:
    pipeline = default_pipeline()
    outputs = []
    for item in read_inputs([str(path)]):
        assert isinstance(item, Article), f"example {path.name} failed to read: {item}"
        outputs.append(pipeline(item).to_json())
    return outputs


@pytest.mark.parametrize("name", CASES)
def test_example_output_matches_golden(name: str) -> None:
    path = EXAMPLES / name
    outputs = _analyse(path)
    assert outputs, f"{name} gave no article"
    for output in outputs:
        validate(output)
    golden = GOLDEN / (name + ".golden.jsonl")
    rendered = "".join(json.dumps(output, ensure_ascii=False, sort_keys=True) + "\n" for output in outputs)
    if os.environ.get("UPDATE_GOLDEN"):
        golden.write_text(rendered, encoding="utf-8")
    expected = golden.read_text(encoding="utf-8").splitlines()
    actual = rendered.splitlines()
    assert len(actual) == len(expected), f"{name}: {len(actual)} articles, golden has {len(expected)}"
    for index, (got, want) in enumerate(zip(actual, expected, strict=True)):
        if got != want:
            got_data, want_data = json.loads(got), json.loads(want)
            differing = sorted(
                key for key in set(got_data) | set(want_data) if got_data.get(key) != want_data.get(key)
            )
            pytest.fail(f"{name} article {index + 1} differs from golden in: {', '.join(differing)}")


def test_examples_are_at_least_twenty_and_varied() -> None:
    lines = (EXAMPLES / "articles.jsonl").read_text(encoding="utf-8").splitlines()
    records = [json.loads(line) for line in lines]
    assert len(records) >= 20
    assert len({record["outlet"] for record in records}) >= 5
    for record in records:
        assert record["title"] and record["published"] and record["outlet"]
    assert sum(record["text"].count("\n\n") >= 2 for record in records) >= 20
