"""Paragraph and sentence splitting: Arabic edge cases and span invariants (hypothesis)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from marsad.text.sentences import split_paragraphs, split_sentences


def _sentences(text: str) -> list[str]:
    return [text[start:end] for start, end in split_sentences(text)]


def _paragraphs(text: str) -> list[str]:
    return [text[start:end] for start, end in split_paragraphs(text)]


def test_paragraphs_at_blank_lines() -> None:
    text = " الفقرة الأولى.\n\n \n الفقرة الثانية\n\n"
    assert _paragraphs(text) == ["الفقرة الأولى.", "الفقرة الثانية"]


def test_single_newline_after_sentence_end_ends_paragraph() -> None:
    assert _paragraphs("انتهت الجملة.\nبدأت فقرة") == ["انتهت الجملة.", "بدأت فقرة"]


def test_wrapped_line_stays_in_paragraph() -> None:
    assert _paragraphs("سطر ملفوف\nيكمل الجملة.") == ["سطر ملفوف\nيكمل الجملة."]


def test_list_items_are_paragraphs() -> None:
    assert _paragraphs("النقاط\n- الأولى\n- الثانية") == ["النقاط", "- الأولى", "- الثانية"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ذهب. عاد! لماذا؟ لا أعرف? ربما…", ["ذهب.", "عاد!", "لماذا؟", "لا أعرف?", "ربما…"]),
        ("بلغ النمو 3.5 في المئة. ثم تراجع.", ["بلغ النمو 3.5 في المئة.", "ثم تراجع."]),
        ("قال د. محمد إن الوضع جيد. وغادر.", ["قال د. محمد إن الوضع جيد.", "وغادر."]),
        ("أعلنت شركة ش.م.ع الأرباح. ثم صمتت.", ["أعلنت شركة ش.م.ع الأرباح.", "ثم صمتت."]),
        ("التقى ج. بوش بالوفد. وانتهى.", ["التقى ج. بوش بالوفد.", "وانتهى."]),
        ("زار الرئيس وج. بوش المدينة.", ["زار الرئيس وج. بوش المدينة."]),
        ("The U.S. envoy arrived. He left.", ["The U.S. envoy arrived.", "He left."]),
        ("قال Dr. Smith شيئا.", ["قال Dr. Smith شيئا."]),
        ("قال «لن نتراجع. أبدا» ثم غادر.", ["قال «لن نتراجع. أبدا» ثم غادر."]),
        ("قال: “هذا جيد. جدا” وغادر.", ["قال: “هذا جيد. جدا” وغادر."]),
        ('وأضاف: "سنعمل على ذلك." وتابع حديثه.', ['وأضاف: "سنعمل على ذلك."', "وتابع حديثه."]),
        ("زوروا www.spa.gov.sa للمزيد.", ["زوروا www.spa.gov.sa للمزيد."]),
        ("جملة أولى\n\nجملة ثانية", ["جملة أولى", "جملة ثانية"]),
        ("م. ص. حضر الاجتماع.", ["م. ص. حضر الاجتماع."]),
        ("بيان أ.ف.ب عن الحادث. انتهى.", ["بيان أ.ف.ب عن الحادث.", "انتهى."]),
        ("  ", []),
        ("", []),
    ],
)
def test_sentences(text: str, expected: list[str]) -> None:
    assert _sentences(text) == expected


def test_unclosed_quote_does_not_swallow_the_paragraph() -> None:
    assert _sentences('قال "هذا. ثم ذاك. وانتهى.') == ['قال "هذا.', "ثم ذاك.", "وانتهى."]


_ALPHABET = st.sampled_from(
    [
        *"ابتثجحخد ",
        " ",
        "  ",
        "\n",
        "\n\n",
        ".",
        "!",
        "؟",
        "?",
        "…",
        "3.5",
        "د.",
        "«",
        "»",
        '"',
        "“",
        "”",
        "-",
    ]
)
_TEXTS = st.lists(_ALPHABET, max_size=60).map("".join)


@settings(max_examples=300, deadline=None)
@given(_TEXTS)
def test_span_invariants(text: str) -> None:
    paragraphs = split_paragraphs(text)
    sentences = split_sentences(text)
    previous = 0
    for start, end in paragraphs:
        assert previous <= start < end <= len(text)
        assert text[start:end].strip() == text[start:end]
        previous = end
    previous = 0
    for start, end in sentences:
        assert previous <= start < end <= len(text)
        assert text[start:end].strip()
        assert any(p_start <= start and end <= p_end for p_start, p_end in paragraphs)
        previous = end
