"""Datelines at the top of an article and agency credits inside it."""

from __future__ import annotations

import pytest

from marsad.annotate.dateline import DatelineStep, find_credits, find_dateline
from marsad.document import Article
from marsad.pipeline.steps import TextStep
from marsad.schema import validate


@pytest.mark.parametrize(
    ("text", "surface", "place", "agency"),
    [
        ("عمّان - بترا\nقال وزير المياه إن …", "عمّان - بترا", "عمّان", "Petra"),
        ("القاهرة (رويترز) - قالت مصادر إن …", "القاهرة (رويترز) -", "القاهرة", "Reuters"),
        ("موسكو - سبوتنيك. أعلن الكرملين أن …", "موسكو - سبوتنيك.", "موسكو", "Sputnik"),
        ("بيروت – «الأفق»: ارتفع سعر البنزين.", "بيروت – «الأفق»:", "بيروت", "الأفق"),
        ("تونس (د ب أ) - قال الاتحاد …", "تونس (د ب أ) -", "تونس", "dpa"),
        ("الرياض - واس\nأكد الوزير …", "الرياض - واس", "الرياض", "SPA"),
        ("باريس (أ ف ب) - أعلنت الحكومة …", "باريس (أ ف ب) -", "باريس", "AFP"),
        ("الدوحة - قنا\nبحث الأمير …", "الدوحة - قنا", "الدوحة", "QNA"),
        ("أبوظبي - وام: وقعت الإمارات …", "أبوظبي - وام:", "أبوظبي", "WAM"),
        ("واشنطن – أعلن البيت الأبيض أن …", "واشنطن –", "واشنطن", None),
        ("رويترز - أعلنت الشركة …", "رويترز -", None, "Reuters"),
    ],
)
def test_opening_dateline(text: str, surface: str, place: str | None, agency: str | None) -> None:
    dateline = find_dateline(text)
    assert dateline is not None
    assert text[dateline["start"] : dateline["end"]] == surface
    assert (dateline["place"], dateline["agency"]) == (place, agency)


@pytest.mark.parametrize(
    "text",
    ["قال الوزير إن الوضع - كما يبدو - صعب.", "ارتفعت الأسعار اليوم.", "وقال - في بيان - إن الوفد وصل."],
)
def test_no_dateline_in_an_ordinary_opening(text: str) -> None:
    assert find_dateline(text) is None


@pytest.mark.parametrize(
    ("text", "agencies"),
    [
        ("وقتل ثلاثة أشخاص. (أ ف ب)", ["AFP"]),
        ("وقتل ثلاثة أشخاص (أ.ف.ب).", ["AFP"]),
        ("ذكرت وكالة الأناضول أن …", ["Anadolu"]),
        ("نقلا عن وكالة الأنباء الكويتية (كونا).", ["KUNA"]),
        ("(د ب أ) - قال المتحدث …", ["dpa"]),
        ("قالت وكالة شينخوا إن …", ["Xinhua"]),
        ("ذهب وام إلى السوق.", []),
    ],
)
def test_agency_credits(text: str, agencies: list[str]) -> None:
    credits = find_credits(text)
    assert [credit["agency"] for credit in credits] == agencies
    for credit in credits:
        assert 0 <= credit["start"] < credit["end"] <= len(text)


def test_step_fills_meta_and_validates() -> None:
    text = "القاهرة (رويترز) - قالت الحكومة إن الأسعار ستنخفض. (أ ف ب)"
    article = Article(text=text)
    TextStep()(article)
    DatelineStep()(article)
    data = article.to_json()
    validate(data)
    assert data["meta"]["dateline"]["agency"] == "Reuters"
    assert [credit["agency"] for credit in data["meta"]["credits"]] == ["AFP"]
