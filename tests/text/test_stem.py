"""The light stemmer and search terms."""

from __future__ import annotations

import pytest

from marsad.text.normalise import normalise_text
from marsad.text.stem import light_stem, search_terms


def _stem(word: str) -> str:
    return light_stem(normalise_text(word, search=True))


@pytest.mark.parametrize(
    "group",
    [
        ["أمريكا", "الأمريكية", "الأمريكي", "أمريكيون", "والأمريكيين"],
        ["أميركا", "الأميركي", "الأميركية"],
        ["روسيا", "الروسية", "الروسي"],
        ["الرئيس", "والرئيس", "بالرئيس", "للرئيس"],
        ["كبير", "كبيرة", "الكبيرة"],
        ["ولاية", "ولايات", "الولايات", "للولايات"],
        ["مدرسة", "المدرسة", "والمدرسة"],
        ["مستشفى", "المستشفيات", "مستشفيين"],
    ],
)
def test_conflated(group: list[str]) -> None:
    assert len({_stem(word) for word in group}) == 1


def test_spelling_variants_stay_close_but_apart() -> None:
    assert _stem("أمريكا") == "امريك"
    assert _stem("أميركا") == "اميرك"


@pytest.mark.parametrize("word", ["من", "في", "هو", "دول", "قال"])
def test_short_words_kept(word: str) -> None:
    assert _stem(word) == normalise_text(word, search=True)


def test_search_terms() -> None:
    assert search_terms("وبموسكو أعلنت الحكومة الروسية 15% عن Putin") == [
        "موسكو",
        "اعلنت",
        "حكوم",
        "روس",
        "15",
        "عن",
        "putin",
    ]
