"""Language detection by the share of Arabic letters."""

from __future__ import annotations

import pytest

from marsad.text.language import arabic_share, detect_language


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("قال الرئيس إن الاقتصاد ينمو", "ar"),
        ("The president said the economy grows", "other"),
        ("قال CEO شركة Apple إن", "ar"),
        ("Apple CEO Tim Cook قال", "other"),
        ("12345 !!! ...", "other"),
        ("", "other"),
        ("ﻻ ﺃﺣﻤﺪ", "ar"),
        ("مُحَمَّدٌ", "ar"),
    ],
)
def test_detect_language(text: str, language: str) -> None:
    assert detect_language(text) == language


def test_share() -> None:
    assert arabic_share("abcd") == 0.0
    assert arabic_share("عربي") == 1.0
    assert arabic_share("ab عر") == 0.5
    assert arabic_share("") == 0.0
