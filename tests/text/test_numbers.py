"""Numbers in digits, words and both."""

from __future__ import annotations

import pytest

from marsad.text.numbers import find_numbers, parse_number


@pytest.mark.parametrize(
    ("expression", "value"),
    [
        ("1,200", 1200),
        ("1.5", 1.5),
        ("٣٫٥", 3.5),
        ("١٬٢٠٠", 1200),
        ("٢٠٢٣", 2023),
        ("3,5", 3.5),
        ("واحد", 1),
        ("واحدة", 1),
        ("اثنان", 2),
        ("اثنين", 2),
        ("اثنتان", 2),
        ("ثلاث", 3),
        ("ثلاثة", 3),
        ("عشر", 10),
        ("عشرة", 10),
        ("أحد عشر", 11),
        ("إحدى عشرة", 11),
        ("اثنا عشر", 12),
        ("تسعة عشر", 19),
        ("عشرون", 20),
        ("عشرين", 20),
        ("تسعون", 90),
        ("تسعين", 90),
        ("خمسة وعشرون", 25),
        ("مئة", 100),
        ("مائة", 100),
        ("مئتان", 200),
        ("مئتين", 200),
        ("ثلاثمئة", 300),
        ("ثلاث مئة", 300),
        ("تسعمائة", 900),
        ("مائة وعشرون", 120),
        ("ألف", 1000),
        ("ألفاً", 1000),
        ("ألفان", 2000),
        ("ألفين", 2000),
        ("ثلاثة آلاف", 3000),
        ("ألف وخمسمئة", 1500),
        ("ثلاثمئة وخمسون ألفا", 350000),
        ("مليون", 1000000),
        ("مليوناً", 1000000),
        ("مليونان", 2000000),
        ("خمسة ملايين", 5000000),
        ("مليار", 1000000000),
        ("ثلاثة مليارات", 3000000000),
        ("تريليون", 10**12),
        ("3 مليار", 3000000000),
        ("2.5 مليون", 2500000),
        ("٤ آلاف", 4000),
        ("20 ألفا", 20000),
        ("مليون ونصف", 1500000),
        ("نصف مليون", 500000),
        ("ربع مليون", 250000),
        ("خمسة ملايين ونصف", 5500000),
        ("بخمسة", 5),
        ("وعشرين", 20),
        ("بـ3", 3),
        ("و20", 20),
    ],
)
def test_parse_number(expression: str, value: int | float) -> None:
    assert parse_number(expression) == value


@pytest.mark.parametrize("expression", ["نصف", "الخمسة", "الاثنين", "أحد", "لست", "كتاب", "", "3 و4", "15%"])
def test_not_a_number(expression: str) -> None:
    assert parse_number(expression) is None


def test_find_numbers_offsets_and_forms() -> None:
    text = "أنفقت بـ3 مليارات دولار على 20 طائرة وخمسة وعشرين جنديا في ٢٠١٥."
    found = [(text[m.start : m.end], m.value, m.form) for m in find_numbers(text)]
    assert found == [
        ("3 مليارات", 3000000000, "mixed"),
        ("20", 20, "digits"),
        ("خمسة وعشرين", 25, "words"),
        ("٢٠١٥", 2015, "digits"),
    ]


def test_values_are_ints_when_whole() -> None:
    assert isinstance(parse_number("2.5 مليون"), int)
    assert isinstance(parse_number("3.5"), float)


def test_adjacent_numbers_stay_apart() -> None:
    text = "ثلاثة 4 خمسة"
    assert [m.value for m in find_numbers(text)] == [3, 4, 5]
