"""The CoNLL reader and the entity scorer, against small cases counted by hand."""

from __future__ import annotations

from pathlib import Path

import pytest

from marsad.errors import MarsadError
from marsad.evaluate.conll import entities, format_report, normalise_tag, read_conll, score_entities


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("O", "O"),
        ("B-PERS", "B-PER"),
        ("I-PER", "I-PER"),
        ("B-LOC", "B-LOC"),
        ("I-ORG", "I-ORG"),
        ("B-MISC", "B-MISC"),
        ("B-MIS", "B-MISC"),
        ("I-MIS0", "I-MISC"),
        ("I-MIS1", "I-MISC"),
        ("B-DATE", None),
        ("X", None),
        ("PER", None),
    ],
)
def test_normalise_tag(tag: str, expected: str | None) -> None:
    assert normalise_tag(tag) == expected


def test_read_conll_splits_on_last_space_and_sentences(tmp_path: Path) -> None:
    path = tmp_path / "small.txt"
    path.write_text(
        "الأمم المتحدة B-ORG\nفي O\nنيويورك B-LOC\n\n\nقال O\nبوش B-PERS\nB-FOO O\nعيد B-MIS2\nx B-DATE\n",
        encoding="utf-8",
    )
    sentences, warnings = read_conll(path)
    assert [s.tokens for s in sentences] == [
        ["الأمم المتحدة", "في", "نيويورك"],
        ["قال", "بوش", "B-FOO", "عيد", "x"],
    ]
    assert sentences[1].tags == ["O", "B-PER", "O", "B-MISC", "O"]
    assert warnings == ["unknown tag 'B-DATE' read as O (1 tokens)"]


def test_read_conll_errors(tmp_path: Path) -> None:
    with pytest.raises(MarsadError) as missing:
        read_conll(tmp_path / "absent.txt")
    assert missing.value.code == "E101"
    empty = tmp_path / "empty.txt"
    empty.write_text("\n\n", encoding="utf-8")
    with pytest.raises(MarsadError) as no_tokens:
        read_conll(empty)
    assert no_tokens.value.code == "E302"


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        (["B-PER", "I-PER", "O"], {(0, 2, "PER")}),
        # an I- with no B- before it starts an entity (conlleval)
        (["O", "I-LOC", "I-LOC"], {(1, 3, "LOC")}),
        # a type change inside a run splits it
        (["B-PER", "I-LOC"], {(0, 1, "PER"), (1, 2, "LOC")}),
        # adjacent entities of one type are kept apart by B-
        (["B-LOC", "B-LOC", "I-LOC"], {(0, 1, "LOC"), (1, 3, "LOC")}),
        (["I-ORG", "O", "I-ORG"], {(0, 1, "ORG"), (2, 3, "ORG")}),
        ([], set()),
    ],
)
def test_entities(tags: list[str], expected: set[tuple[int, int, str]]) -> None:
    assert entities(tags) == expected


def test_score_entities_by_hand() -> None:
    gold = [
        ["B-PER", "I-PER", "O", "B-LOC", "O"],
        ["B-ORG", "I-ORG", "I-ORG", "O", "B-MISC"],
    ]
    pred = [
        # PER exact, LOC right span but typed ORG
        ["B-PER", "I-PER", "O", "B-ORG", "O"],
        # ORG too short, MISC found, an extra PER
        ["B-ORG", "I-ORG", "O", "B-PER", "B-MISC"],
    ]
    report = score_entities(gold, pred)
    # gold 4 entities, predicted 5, correct 2 (the PER and the MISC)
    assert (report.overall.gold, report.overall.predicted, report.overall.true_positives) == (4, 5, 2)
    assert report.overall.precision == pytest.approx(2 / 5)
    assert report.overall.recall == pytest.approx(2 / 4)
    assert report.overall.f1 == pytest.approx(2 * 0.4 * 0.5 / 0.9)
    assert report.per_type["PER"].precision == pytest.approx(1 / 2)
    assert report.per_type["PER"].recall == pytest.approx(1.0)
    assert report.per_type["LOC"].f1 == 0.0
    assert report.per_type["ORG"].true_positives == 0
    assert report.per_type["ORG"].predicted == 2
    assert report.per_type["MISC"].f1 == pytest.approx(1.0)
    assert list(report.per_type) == ["PER", "LOC", "ORG", "MISC"]


def test_score_entities_i_without_b_matches_b_form() -> None:
    # conlleval counts I-LOC I-LOC as the same entity as B-LOC I-LOC
    report = score_entities([["B-LOC", "I-LOC"]], [["I-LOC", "I-LOC"]])
    assert report.overall.f1 == pytest.approx(1.0)


def test_score_entities_rejects_misaligned() -> None:
    with pytest.raises(MarsadError) as err:
        score_entities([["O", "O"]], [["O"]])
    assert err.value.code == "E302"
    with pytest.raises(MarsadError):
        score_entities([["O"]], [])


def test_format_report_lists_types_and_overall() -> None:
    report = score_entities([["B-PER", "O"]], [["B-PER", "B-LOC"]])
    text = format_report(report)
    assert "PER" in text and "LOC" in text
    assert "overall" in text.splitlines()[-1]
    assert "0.6667" in text.splitlines()[-1]
