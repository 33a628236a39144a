"""The persuasion scorer: hand-computed label and span figures, file formats, errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from marsad.errors import MarsadError
from marsad.evaluate.persuasion import (
    evaluate_persuasion,
    format_report,
    label_prf,
    read_persuasion_file,
    span_prf,
)


def test_label_prf_binary_micro_is_accuracy() -> None:
    gold = [{"true"}, {"true"}, {"false"}, {"false"}]
    pred = [{"true"}, {"false"}, {"false"}, {"true"}]
    result = label_prf(gold, pred)
    # 2 of 4 right: micro P = R = 2/4, F1 0.5. Per class: true P 1/2 R 1/2 F1 .5; false the same.
    assert result["micro_f1"] == pytest.approx(0.5)
    assert result["macro_f1"] == pytest.approx(0.5)


def test_label_prf_multilabel_by_hand() -> None:
    gold = [{"Loaded_Language", "Doubt"}, {"no_technique"}, {"Loaded_Language"}]
    pred = [{"Loaded_Language"}, {"Loaded_Language"}, {"Loaded_Language", "Doubt"}]
    result = label_prf(gold, pred)
    # Loaded_Language: tp 2 (items 1, 3), fp 1 (item 2), fn 0 -> P 2/3, R 1, F1 0.8
    # Doubt: tp 0, fp 1 (item 3), fn 1 (item 1) -> F1 0
    # no_technique: tp 0, fp 0, fn 1 -> F1 0
    # micro: tp 2, fp 2, fn 2 -> P 0.5, R 0.5, F1 0.5; macro (0.8 + 0 + 0) / 3
    assert result["micro_precision"] == pytest.approx(0.5)
    assert result["micro_recall"] == pytest.approx(0.5)
    assert result["micro_f1"] == pytest.approx(0.5)
    assert result["macro_f1"] == pytest.approx(0.8 / 3)
    assert result["per_label"]["Loaded_Language"]["f1"] == pytest.approx(0.8)


def test_label_prf_rejects_length_mismatch() -> None:
    with pytest.raises(MarsadError) as caught:
        label_prf([{"a"}], [])
    assert caught.value.code == "E302"


def test_span_prf_partial_overlap_by_hand() -> None:
    gold = [[(0, 10, "Loaded_Language"), (20, 30, "Doubt")]]
    pred = [[(5, 15, "Loaded_Language", 0.9), (20, 25, "Loaded_Language", 0.4)]]
    result = span_prf(gold, pred)
    # Predicted [5,15) LL overlaps gold LL [0,10) on 5 chars -> 5/10 = 0.5
    # Predicted [20,25) LL meets no LL gold -> 0
    # precision = (0.5 + 0) / 2 = 0.25
    # Gold LL [0,10) is covered by predicted LL on 5 chars -> 0.5; gold Doubt [20,30) -> 0
    # recall = (0.5 + 0) / 2 = 0.25; F1 = 0.25
    assert result["micro_precision"] == pytest.approx(0.25)
    assert result["micro_recall"] == pytest.approx(0.25)
    assert result["micro_f1"] == pytest.approx(0.25)
    # per technique: LL P 0.5/2 = 0.25, R 0.5/1 = 0.5, F1 1/3; Doubt F1 0 -> macro 1/6
    assert result["per_label"]["Loaded_Language"]["f1"] == pytest.approx(1 / 3)
    assert result["macro_f1"] == pytest.approx(1 / 6)


def test_span_prf_counts_union_once_and_keeps_paragraphs_apart() -> None:
    gold = [[(0, 4, "Slogans")], [(0, 4, "Slogans")]]
    pred = [[(0, 2, "Slogans"), (0, 4, "Slogans")], []]
    result = span_prf(gold, pred)
    # precision: 2/2 and 4/4 -> (1 + 1) / 2 = 1
    # recall: paragraph 1 gold covered 4/4 by the union -> 1; paragraph 2 gold -> 0; (1 + 0) / 2 = 0.5
    assert result["micro_precision"] == pytest.approx(1.0)
    assert result["micro_recall"] == pytest.approx(0.5)
    assert result["micro_f1"] == pytest.approx(2 * 1.0 * 0.5 / 1.5)


def test_span_prf_empty_prediction_scores_zero() -> None:
    result = span_prf([[(0, 3, "Doubt")]], [[]])
    assert result["micro_f1"] == 0.0


def _write_jsonl(path: Path, rows: list[dict[str, object]]) -> Path:
    path.write_text("\n".join(json.dumps(row, ensure_ascii=False) for row in rows) + "\n", encoding="utf-8")
    return path


def test_reads_armpro_span_and_araieval_formats(tmp_path: Path) -> None:
    span_file = _write_jsonl(
        tmp_path / "span.jsonl",
        [
            {"paragraph": "نص أول", "labels": [{"technique": "Doubt", "start": 0, "end": 2, "text": "نص"}]},
            {"paragraph": "نص ثان", "labels": []},
        ],
    )
    items = read_persuasion_file(span_file)
    assert items[0].spans == ((0, 2, "Doubt"),)
    assert items[0].coarse == frozenset({"Reputation"})
    assert items[1].binary is False and items[1].spans == ()

    araieval = _write_jsonl(
        tmp_path / "b.jsonl",
        [
            {"id": "1", "text": "تغريدة", "labels": ["Loaded_Language"], "type": "tweet"},
            {"id": "2", "text": "فقرة", "labels": ["no_technique"], "type": "paragraph"},
        ],
    )
    items = read_persuasion_file(araieval, paragraphs_only=True)
    assert len(items) == 1 and items[0].techniques == frozenset()


def test_reads_wanlp_names_mapped(tmp_path: Path) -> None:
    path = tmp_path / "w.json"
    path.write_text(
        json.dumps([{"id": "x", "text": "abc", "labels": ["Smears", "Bandwagon"]}]), encoding="utf-8"
    )
    assert read_persuasion_file(path)[0].techniques == frozenset(
        {"Questioning_the_Reputation", "Appeal_to_Popularity"}
    )


def test_unknown_task_and_bad_file(tmp_path: Path) -> None:
    with pytest.raises(MarsadError) as caught:
        evaluate_persuasion(task="tweets", data_path=tmp_path / "x.jsonl")
    assert caught.value.code == "E301"
    bad = tmp_path / "bad.jsonl"
    bad.write_text("{not json\n", encoding="utf-8")
    with pytest.raises(MarsadError) as caught:
        evaluate_persuasion(task="binary", data_path=bad)
    assert caught.value.code == "E302"


def test_evaluate_with_shipped_model_prints_report(tmp_path: Path) -> None:
    path = _write_jsonl(
        tmp_path / "bin.jsonl",
        [
            {"paragraph": "قال المتحدث إن الاجتماع سيعقد يوم الأحد في العاصمة.", "label": "false"},
            {"paragraph": "ارتكبت العصابة المجرمة مجزرة وحشية مروعة بحق الأبرياء!", "label": "true"},
        ],
    )
    report = evaluate_persuasion(task="binary", data_path=path)
    text = format_report(report)
    assert report.items == 2
    assert "micro" in text and "macro" in text
    assert 0.0 <= report.figures["micro_f1"] <= 1.0
