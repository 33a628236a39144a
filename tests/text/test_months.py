"""Month names in the three Arabic systems."""

from __future__ import annotations

import pytest

from marsad.text.months import find_months, month_number


@pytest.mark.parametrize(
    ("word", "month"),
    [
        ("يناير", 1),
        ("فبراير", 2),
        ("مارس", 3),
        ("أبريل", 4),
        ("إبريل", 4),
        ("مايو", 5),
        ("يونيو", 6),
        ("يونية", 6),
        ("يوليو", 7),
        ("يولية", 7),
        ("أغسطس", 8),
        ("سبتمبر", 9),
        ("أكتوبر", 10),
        ("نوفمبر", 11),
        ("ديسمبر", 12),
        ("كانون الثاني", 1),
        ("شباط", 2),
        ("آذار", 3),
        ("نيسان", 4),
        ("أيار", 5),
        ("حزيران", 6),
        ("تموز", 7),
        ("آب", 8),
        ("أيلول", 9),
        ("تشرين الأول", 10),
        ("تشرين الثاني", 11),
        ("كانون الأول", 12),
        ("تشرين أول", 10),
        ("جانفي", 1),
        ("فيفري", 2),
        ("أفريل", 4),
        ("ماي", 5),
        ("جوان", 6),
        ("جويلية", 7),
        ("أوت", 8),
        ("في يناير", 1),
        ("بكانون الثاني", 1),
        ("وفبراير", 2),
        ("ليناير", 1),
        ("يَنَايِر", 1),
    ],
)
def test_month_number(word: str, month: int) -> None:
    assert month_number(word) == month


@pytest.mark.parametrize("word", ["كانون", "تشرين", "كتاب", "", "الثاني", "شهر"])
def test_not_a_month(word: str) -> None:
    assert month_number(word) is None


def _found(text: str) -> list[tuple[str, int]]:
    return [(text[start:end], month) for start, end, month in find_months(text)]


def test_find_months_both_systems() -> None:
    text = "في 5 يناير (كانون الثاني) وبكانون الأول وفي تشرين الثاني"
    assert _found(text) == [("يناير", 1), ("كانون الثاني", 1), ("كانون الأول", 12), ("تشرين الثاني", 11)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("قال أب الضحية إنه حزين", []),
        ("في 5 آب الماضي", [("آب", 8)]),
        ("في آب 2015", [("آب", 8)]),
        ("خلال شهر آب", [("آب", 8)]),
        ("مارس الرياضة طويلا", []),
        ("في 3 مارس", [("مارس", 3)]),
        ("اشترى سيارة نيسان جديدة", []),
        ("في 1 ماي 2015", [("ماي", 5)]),
    ],
)
def test_ambiguous_names_need_context(text: str, expected: list[tuple[str, int]]) -> None:
    assert _found(text) == expected
