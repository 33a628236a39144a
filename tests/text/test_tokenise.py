"""The tokeniser: kinds, offsets, clitic segments, and offset invariants (hypothesis)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from marsad.text.normalise import normalise, normalise_text
from marsad.text.tokenise import Token, tokenise


def _parts(token: Token) -> list[tuple[str, str]]:
    return [(segment.norm, segment.role) for segment in token.segments]


@pytest.mark.parametrize(
    ("word", "parts"),
    [
        ("وبموسكو", [("و", "conj"), ("ب", "prep"), ("موسكو", "stem")]),
        ("للولايات", [("ل", "prep"), ("ال", "article"), ("ولايات", "stem")]),
        ("والرئيس", [("و", "conj"), ("ال", "article"), ("رييس", "stem")]),
        ("فسيقول", [("ف", "conj"), ("س", "future"), ("يقول", "stem")]),
        ("بالعاصمة", [("ب", "prep"), ("ال", "article"), ("عاصمة", "stem")]),
        ("الحكومة", [("ال", "article"), ("حكومة", "stem")]),
        ("ستكون", [("س", "future"), ("تكون", "stem")]),
        ("سأذهب", [("س", "future"), ("اذهب", "stem")]),
        ("وهو", [("و", "conj"), ("هو", "stem")]),
        ("لها", [("ل", "prep"), ("ها", "stem")]),
        ("ولبنان", [("و", "conj"), ("لبنان", "stem")]),
        ("لليبيا", [("ل", "prep"), ("ليبيا", "stem")]),
        ("والذي", [("و", "conj"), ("الذي", "stem")]),
        ("كالعادة", [("ك", "prep"), ("ال", "article"), ("عادة", "stem")]),
        ("وبعضهم", [("و", "conj"), ("بعضهم", "stem")]),
        ("بفيتنام", [("ب", "prep"), ("فيتنام", "stem")]),
        ("ولافروف", [("و", "conj"), ("لافروف", "stem")]),
    ],
)
def test_clitics_split(word: str, parts: list[tuple[str, str]]) -> None:
    (token,) = tokenise(word)
    assert _parts(token) == parts
    assert token.stem_norm == parts[-1][0]


@pytest.mark.parametrize(
    "word",
    [
        "ولد",
        "بلد",
        "كتاب",
        "لبنان",
        "فلسطين",
        "والي",
        "إلى",
        "ألمانيا",
        "الذي",
        "بعد",
        "بين",
        "كان",
        "وزير",
        "وفقا",
        "وصلت",
        "بعضهما",
        "لافروف",
        "فيتنام",
        "وارسو",
        "بنسلفانيا",
        "سيدني",
        "سيارة",
        "سياسة",
        "سنوات",
        "سابق",
        "فرنسا",
        "واحد",
        "ستة",
        "الله",
        "ليس",
        "فقط",
        "بريطانيا",
    ],
)
def test_words_not_split(word: str) -> None:
    (token,) = tokenise(word)
    assert token.segments == ()
    assert token.stem_norm == token.norm


def test_hamza_alef_is_not_the_article() -> None:
    # written with hamza, ألم is "pain", not ال + م; and إلغاء is one word
    assert tokenise("إلغاء")[0].segments == ()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3.5", [("3.5", "number")]),
        ("1,200", [("1,200", "number")]),
        ("٢٠٢٣", [("2023", "number")]),
        ("15%", [("15", "number"), ("%", "punct")]),
        ("بـ3", [("ب", "word"), ("3", "number")]),
        ("Hello، العالم!", [("Hello", "latin"), ("،", "punct"), ("العالم", "word"), ("!", "punct")]),
        ("$5", [("$", "symbol"), ("5", "number")]),
        ("عربيEnglish", [("عربي", "word"), ("English", "latin")]),
    ],
)
def test_kinds(text: str, expected: list[tuple[str, str]]) -> None:
    assert [(token.norm, token.kind) for token in tokenise(text)] == expected


def test_offsets_point_into_original_with_marks() -> None:
    text = "قَالَ وَبِمُوسْكُو"
    first, second = tokenise(text)
    assert text[first.start : first.end] == "قَالَ"
    assert text[second.start : second.end] == "وَبِمُوسْكُو"
    conj, prep, stem = second.segments
    # marks between segments belong to the earlier one
    assert text[conj.start : conj.end] == "وَ"
    assert text[prep.start : prep.end] == "بِ"
    assert text[stem.start : stem.end] == "مُوسْكُو"


def test_tatweel_between_clitic_and_number() -> None:
    text = "بـ3 مليار"
    tokens = tokenise(text)
    assert [text[t.start : t.end] for t in tokens] == ["بـ", "3", "مليار"]


def test_accepts_precomputed_view() -> None:
    text = "والرئيس قال"
    assert tokenise(text, normalised=normalise(text)) == tokenise(text)


def test_ligature_phrase_is_one_token() -> None:
    text = "النبي ﷺ قال"
    tokens = tokenise(text)
    assert [text[t.start : t.end] for t in tokens] == ["النبي", "ﷺ", "قال"]


_ALPHABET = st.sampled_from(
    list("ابتثجحخدذرسشصضطظعغفقكلمنهويءأإآىؤئة")
    + ["وال", "بال", "لل", "فس", "ال", "كال", "وب"]
    + [chr(c) for c in range(0x064B, 0x0653)]
    + ["ـ", "ﻻ", "ﷺ", "ﷲ", "\u200c", "\u200f", "\ufeff"]
    + list("٠١٢٣٤٥٦٧٨٩0123456789٫٬.,%$")
    + list('abcXYZ  \n،!؟«»"')
)
_TEXTS = st.lists(_ALPHABET, max_size=30).map("".join)


@settings(max_examples=300, deadline=None)
@given(_TEXTS)
def test_token_invariants(text: str) -> None:
    tokens = tokenise(text)
    previous_end = 0
    for token in tokens:
        assert previous_end <= token.start < token.end <= len(text)
        previous_end = token.end
        assert token.norm == normalise_text(text[token.start : token.end])
        assert token.kind in ("word", "latin", "number", "punct", "symbol")
        if token.segments:
            assert token.segments[0].start == token.start
            assert token.segments[-1].end == token.end
            assert token.segments[-1].role == "stem"
            for left, right in zip(token.segments, token.segments[1:], strict=False):
                assert left.end == right.start
            for segment in token.segments:
                assert segment.start < segment.end
                if segment.role != "article":
                    assert segment.norm == normalise_text(text[segment.start : segment.end])


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        # regression: a listed word keeps its letters when a possessive follows its ta marbuta
        ("لائحته", []),
        ("لائحتها", []),
        ("بلائحته", [("ب", "prep"), ("لايحته", "stem")]),
        # regression: a place whose first letter looks like the preposition ك
        ("كييف", []),
        ("وكييف", [("و", "conj"), ("كييف", "stem")]),
    ],
)
def test_listed_words_keep_their_first_letters(word: str, expected: list[tuple[str, str]]) -> None:
    assert [(segment.norm, segment.role) for segment in tokenise(word)[0].segments] == expected
