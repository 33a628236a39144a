"""The actor gazetteer: what it links, where it puts the offsets, and what it must leave alone."""

from __future__ import annotations

import gzip
import itertools
import json
from pathlib import Path

import pytest

from marsad.annotate.actors import ActorMatch, Gazetteer, fold
from marsad.text.normalise import normalise


@pytest.fixture(scope="module")
def gazetteer() -> Gazetteer:
    return Gazetteer.load()


def found(gazetteer: Gazetteer, text: str) -> list[tuple[str, str]]:
    """(surface, actor id) of every match, checking the offsets on the way."""
    matches = gazetteer.match(text)
    for match in matches:
        assert 0 <= match.start < match.end <= len(text)
    assert all(a.end <= b.start for a, b in itertools.pairwise(matches)), "overlap or disorder"
    return [(text[m.start : m.end], m.actor_id) for m in matches]


def only(gazetteer: Gazetteer, text: str) -> ActorMatch:
    matches = gazetteer.match(text)
    assert len(matches) == 1, [(text[m.start : m.end], m.actor_id) for m in matches]
    return matches[0]


# -- the data ----------------------------------------------------------------------------------


def test_load_is_cached_and_counts_the_data(gazetteer: Gazetteer) -> None:
    assert Gazetteer.load() is gazetteer
    assert gazetteer.counts["states"] >= 198  # 193 members, 2 observers, TWN, XKX, ESH
    assert gazetteer.counts["organisations"] >= 35
    assert gazetteer.counts["persons"] >= 60


@pytest.mark.parametrize(
    ("actor_id", "kind", "name_en"),
    [
        ("RUS", "state", "Russia"),
        ("PSE", "state", "Palestine"),
        ("VAT", "state", "Holy See"),
        ("XKX", "state", "Kosovo"),
        ("nato", "organisation", "North Atlantic Treaty Organization"),
        ("arab-league", "organisation", "Arab League"),
        ("vladimir-putin", "person", "Vladimir Putin"),
    ],
)
def test_actor_lookup(gazetteer: Gazetteer, actor_id: str, kind: str, name_en: str) -> None:
    info = gazetteer.actor(actor_id)
    assert (info.id, info.kind, info.name_en) == (actor_id, kind, name_en)
    assert info.name_ar


def test_persons_belong_to_a_known_state(gazetteer: Gazetteer) -> None:
    putin = gazetteer.actor("vladimir-putin")
    assert putin.state == "RUS" and "head-of-state" in putin.roles
    for info in gazetteer.actors():
        if info.kind == "person" and info.state is not None:
            assert gazetteer.actor(info.state).kind == "state"


def test_ids_follow_the_contract(gazetteer: Gazetteer) -> None:
    for info in gazetteer.actors():
        if info.kind == "state":
            assert len(info.id) == 3 and info.id.isupper() and info.id.isalpha(), info.id
        else:
            assert info.id == info.id.lower() and info.id.isascii() and " " not in info.id, info.id


def test_no_surface_is_shared_without_a_rule(gazetteer: Gazetteer) -> None:
    assert gazetteer.shared_surfaces() == {}


def test_unknown_actor_raises_key_error(gazetteer: Gazetteer) -> None:
    with pytest.raises(KeyError):
        gazetteer.actor("atlantis")


# -- names, clitics and spelling -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "surface", "actor_id"),
    [
        ("وروسيا", "روسيا", "RUS"),
        ("لموسكو", "موسكو", "RUS"),
        ("وبموسكو", "موسكو", "RUS"),
        ("بالولايات المتحدة", "الولايات المتحدة", "USA"),
        ("للولايات المتحدة", "لولايات المتحدة", "USA"),  # ل + ال is written لل: one ل is the clitic
        ("وللصين", "لصين", "CHN"),
        ("فالصين", "الصين", "CHN"),
        ("رُوسْيَا", "رُوسْيَا", "RUS"),
        ("روسـيا", "روسـيا", "RUS"),
        ("امريكا", "امريكا", "USA"),
        ("أميركا", "أميركا", "USA"),
        ("إيران", "إيران", "IRN"),
        ("ايران", "ايران", "IRN"),
        ("سوريه", "سوريه", "SYR"),  # ta marbuta written as ha
        ("المملكة المتحدة", "المملكة المتحدة", "GBR"),
        ("بريطانيا", "بريطانيا", "GBR"),
    ],
)
def test_names_with_clitics_marks_and_spelling_variants(
    gazetteer: Gazetteer, text: str, surface: str, actor_id: str
) -> None:
    match = only(gazetteer, f"قال مسؤول إن {text} ترفض ذلك")
    assert match.actor_id == actor_id
    assert match.kind == ("metonym" if "موسكو" in surface else "name")
    assert match.entity_type == "LOC"
    assert f"قال مسؤول إن {text} ترفض ذلك"[match.start : match.end] == surface


def test_a_name_broken_across_a_line_still_matches(gazetteer: Gazetteer) -> None:
    text = "وصل الوفد إلى الولايات\nالمتحدة أمس، ثم إلى الولايات  \n  المتحدة"
    assert found(gazetteer, text) == [("الولايات\nالمتحدة", "USA"), ("الولايات  \n  المتحدة", "USA")]


def test_punctuation_breaks_a_phrase(gazetteer: Gazetteer) -> None:
    assert found(gazetteer, "الولايات، المتحدة") == []


def test_offsets_point_into_the_original_text(gazetteer: Gazetteer) -> None:
    text = "أكّدَ الرَّئِيسُ أنّ رُوسْيَا وَالصِّينَ تَتَّفِقَانِ"
    matches = gazetteer.match(text)
    assert [m.actor_id for m in matches] == ["RUS", "CHN"]
    assert [fold(text[m.start : m.end]) for m in matches] == ["روسيا", "الصين"]
    assert text[matches[1].start - 1] == "َ"  # the و clitic (with its fatha) stays outside


def test_a_normalised_view_can_be_passed_in(gazetteer: Gazetteer) -> None:
    text = "زار لافروف القاهرة"
    for view in (normalise(text), normalise(text, search=True)):
        assert gazetteer.match(text, normalised=view) == gazetteer.match(text)
    with pytest.raises(ValueError, match="not a view of this text"):
        gazetteer.match(text, normalised=normalise("نص آخر"))


# -- metonyms, demonyms, institutions, organisations, persons ---------------------------------


@pytest.mark.parametrize(
    ("text", "actor_id", "entity_type"),
    [
        ("الكرملين", "RUS", "ORG"),
        ("البيت الأبيض", "USA", "ORG"),
        ("البنتاغون", "USA", "ORG"),
        ("واشنطن", "USA", "LOC"),
        ("الإليزيه", "FRA", "ORG"),
        ("داوننغ ستريت", "GBR", "ORG"),
        ("قصر بعبدا", "LBN", "ORG"),
        ("طهران", "IRN", "LOC"),
    ],
)
def test_metonyms_link_to_the_state(gazetteer: Gazetteer, text: str, actor_id: str, entity_type: str) -> None:
    match = only(gazetteer, f"وأعلن {text} أمس")
    assert (match.actor_id, match.kind, match.entity_type) == (actor_id, "metonym", entity_type)


@pytest.mark.parametrize(
    "form",
    [
        "روسي",
        "روسية",
        "روس",
        "الروسي",
        "الروسية",
        "الروس",
        "الروسيين",
        "الروسيون",
        "روسيين",
        "روسيات",
        "للروس",
    ],
)
def test_demonyms_in_every_gender_and_number(gazetteer: Gazetteer, form: str) -> None:
    match = only(gazetteer, f"التقى {form} في المدينة")
    assert (match.actor_id, match.kind, match.entity_type) == ("RUS", "demonym", "MISC")


@pytest.mark.parametrize(
    ("text", "actor_id"),
    [("الأمريكيين", "USA"), ("الأميركية", "USA"), ("السعوديين", "SAU"), ("الكوري الشمالي", "PRK")],
)
def test_demonyms_of_other_states(gazetteer: Gazetteer, text: str, actor_id: str) -> None:
    assert found(gazetteer, f"قال {text} إن") == [(text, actor_id)]


@pytest.mark.parametrize(
    ("phrase", "actor_id", "entity_type"),
    [
        ("وزارة الخارجية الروسية", "RUS", "ORG"),
        ("الخارجية الروسية", "RUS", "ORG"),
        ("الحكومة الروسية", "RUS", "ORG"),
        ("الجيش الروسي", "RUS", "ORG"),
        ("القوات الروسية", "RUS", "ORG"),
        ("البرلمان الروسي", "RUS", "ORG"),
        ("السفارة الروسية", "RUS", "ORG"),
        ("الرئاسة الروسية", "RUS", "ORG"),
        ("الرئيس الروسي", "RUS", "PER"),
        ("وزير الخارجية الأمريكي", "USA", "PER"),
        ("السفارة الأمريكية", "USA", "ORG"),
        ("حكومة روسيا", "RUS", "ORG"),
        ("القوات المسلحة الكورية الشمالية", "PRK", "ORG"),
    ],
)
def test_institutions_are_one_match(
    gazetteer: Gazetteer, phrase: str, actor_id: str, entity_type: str
) -> None:
    text = f"وأكدت {phrase} أمس"
    match = only(gazetteer, text)
    assert text[match.start : match.end] == phrase
    assert (match.actor_id, match.kind, match.entity_type) == (actor_id, "institution", entity_type)


def test_adjective_agrees_with_the_head(gazetteer: Gazetteer) -> None:
    # A masculine head with a feminine adjective is not an institution phrase: only the demonym counts.
    assert [m.kind for m in gazetteer.match("الجيش الروسية")] == ["demonym"]


@pytest.mark.parametrize(
    ("text", "actor_id", "kind"),
    [
        ("الناتو", "nato", "acronym"),
        ("حلف شمال الأطلسي", "nato", "name"),
        ("حلف الأطلسي", "nato", "name"),
        ("الأمم المتحدة", "un", "name"),
        ("جامعة الدول العربية", "arab-league", "name"),
        ("مجلس التعاون الخليجي", "gcc", "name"),
        ("أوبك", "opec", "acronym"),
        ("منظمة شنغهاي للتعاون", "sco", "name"),
        ("منظمة معاهدة الأمن الجماعي", "csto", "name"),
        ("اليونسكو", "unesco", "acronym"),
        ("NATO", "nato", "acronym"),
    ],
)
def test_organisations_by_name_and_acronym(gazetteer: Gazetteer, text: str, actor_id: str, kind: str) -> None:
    match = only(gazetteer, f"وقالت {text} في بيان")
    assert (match.actor_id, match.kind, match.entity_type) == (actor_id, kind, "ORG")


def test_persons(gazetteer: Gazetteer) -> None:
    text = "وقال الرئيس الروسي فلاديمير بوتين إن بوتين ولافروف التقيا"
    assert found(gazetteer, text) == [
        ("الرئيس الروسي", "RUS"),
        ("فلاديمير بوتين", "vladimir-putin"),
        ("بوتين", "vladimir-putin"),
        ("لافروف", "sergey-lavrov"),
    ]
    assert gazetteer.match(text)[1].entity_type == "PER"


# -- longest match and overlaps ----------------------------------------------------------------


def test_longest_match_wins(gazetteer: Gazetteer) -> None:
    assert found(gazetteer, "الولايات المتحدة الأمريكية") == [("الولايات المتحدة الأمريكية", "USA")]
    assert found(gazetteer, "روسيا البيضاء") == [("روسيا البيضاء", "BLR")]
    assert found(gazetteer, "جنوب السودان") == [("جنوب السودان", "SSD")]
    assert found(gazetteer, "دول أمريكا اللاتينية") == [("أمريكا اللاتينية", "latin-america")]
    assert found(gazetteer, "الاتحاد الأوروبي لكرة القدم") == [("الاتحاد الأوروبي لكرة القدم", "uefa")]


def test_overlapping_names_are_read_left_to_right(gazetteer: Gazetteer) -> None:
    # "الخارجية الروسية" and "الروسية" overlap the longer phrase: one match only.
    assert found(gazetteer, "بيان وزارة الخارجية الروسية اليوم") == [("وزارة الخارجية الروسية", "RUS")]
    text = "وزير الخارجية الروسي سيرغي لافروف ونظيره الأمريكي ماركو روبيو"
    assert found(gazetteer, text) == [
        ("وزير الخارجية الروسي", "RUS"),
        ("سيرغي لافروف", "sergey-lavrov"),
        ("نظيره الأمريكي", "USA"),
        ("ماركو روبيو", "marco-rubio"),
    ]


# -- ambiguity ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "تحسن الوضع المالي للشركة",
        "قدمت دعما ماليا من مالي الخاص",
        "أعلنت وزارة المالية والسلطات المالية",
        "وصل الوفد إلى ولاية جورجيا",
        "منسوب نهر الأردن",
        "بعد صلاة المغرب",
        "عاد إلى مسقط رأسه",
        "هطلت السيول على سيول المدينة",
        "أبدى حماسا كبيرا وعمل بحماس",
        "أكد الأمين العام للأمم وحده",
        "قال تركي بن محمد",
        "قرأت صحيفة واشنطن بوست",
        "اجتمع مجلس الأمن القومي",
        "على القاعدة العسكرية",
    ],
)
def test_false_friends_do_not_match(gazetteer: Gazetteer, text: str) -> None:
    assert found(gazetteer, text) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("وقعت اشتباكات في مالي وشمال مالي", [("مالي", "MLI"), ("مالي", "MLI")]),
        ("زار جورجيا", [("جورجيا", "GEO")]),
        ("تحدث عن حماس وحماس", [("حماس", "hamas"), ("حماس", "hamas")]),
        ("تظاهر أنصار تنظيم القاعدة وقالت القاعدة", [("تنظيم القاعدة", "al-qaeda"), ("القاعدة", "al-qaeda")]),
        ("اجتمع مجلس الأمن أمس", [("مجلس الأمن", "un-security-council")]),
    ],
)
def test_ambiguous_variants_match_in_their_context(
    gazetteer: Gazetteer, text: str, expected: list[tuple[str, str]]
) -> None:
    assert found(gazetteer, text) == expected


def test_document_rule_resolves_amman_and_oman(gazetteer: Gazetteer) -> None:
    assert found(gazetteer, "وصل إلى عمان") == []  # Oman or Amman: no guess
    assert found(gazetteer, "زار مسقط ثم عمان") == [("مسقط", "OMN"), ("عمان", "OMN")]
    assert found(gazetteer, "قال الأردن إن عمان") == [("الأردن", "JOR"), ("عمان", "JOR")]
    assert [m.kind for m in gazetteer.match("الأردن وعمان")] == ["name", "metonym"]


def test_document_rule_for_korea(gazetteer: Gazetteer) -> None:
    assert found(gazetteer, "كوريا") == []
    assert found(gazetteer, "بيونغ يانغ وكوريا") == [("بيونغ يانغ", "PRK"), ("كوريا", "PRK")]


def test_an_article_that_names_no_one(gazetteer: Gazetteer) -> None:
    text = (
        "ارتفعت درجات الحرارة اليوم في معظم المناطق، ونصحت الجهات المختصة السكان بشرب الماء "
        "والابتعاد عن أشعة الشمس في ساعات الظهيرة. وقال خبير الأرصاد إن الطقس سيعتدل نهاية الأسبوع."
    )
    assert gazetteer.match(text) == []
    assert gazetteer.match("") == []


# -- speed -------------------------------------------------------------------------------------


@pytest.mark.data
def test_matching_finds_actors_in_real_news(gazetteer: Gazetteer, data_dir: Path) -> None:
    # Speed is measured by bench/ and `python -m marsad.annotate.actors bench`, not asserted here.
    path = data_dir / "corpora" / "saudinewsnet" / "saudinewsnet.jsonl.gz"
    if not path.exists():
        pytest.skip(f"{path} is absent")
    texts = []
    with gzip.open(path, "rt", encoding="utf-8") as stream:
        for line in stream:
            texts.append(json.loads(line).get("content") or "")
            if len(texts) == 300:
                break
    matches = [match for text in texts for match in gazetteer.match(text)]
    assert len(matches) > 300
    for text in texts[:50]:
        for match in gazetteer.match(text):
            assert 0 <= match.start < match.end <= len(text)
    assert {"SAU", "USA"} <= {match.actor_id for match in matches}
