"""`marsad eval` as a user calls it, on the shared datasets' native formats."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from marsad.cli.main import app

runner = CliRunner()


def test_eval_ner_prints_entity_level_scores(data_dir: Path) -> None:
    path = data_dir / "ner" / "anercorp" / "ANERCorp_CamelLabRecipe_test.txt"
    result = runner.invoke(app, ["eval", "ner", "--data", str(path)])
    assert result.exit_code == 0, result.stderr
    assert "overall" in result.stdout
    for kind in ("PER", "LOC", "ORG", "MISC"):
        assert kind in result.stdout


def test_eval_checkworthy_reports_positive_class_f1(data_dir: Path) -> None:
    path = data_dir / "claims" / "checkthat2024_arabic" / "CT24_checkworthy_arabic_dev-test.tsv"
    result = runner.invoke(app, ["eval", "checkworthy", "--data", str(path), "--format", "json"])
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["items"] == 500
    assert 0.0 < report["f1"] <= 1.0


def test_eval_usage_errors(tmp_path: Path) -> None:
    result = runner.invoke(app, ["eval", "nothing", "--data", str(tmp_path / "x")])
    assert result.exit_code == 2
    assert "error[E301]" in result.stderr
    result = runner.invoke(
        app, ["eval", "persuasion", "--data", str(tmp_path / "missing.jsonl"), "--task", "binary"]
    )
    assert result.exit_code == 2
    assert "error[E101]" in result.stderr
