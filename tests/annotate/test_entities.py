"""The entities step: model spans linked to actors, gazetteer matches the model missed, actors."""

from __future__ import annotations

import pytest

from marsad.annotate.entities import decode_bio
from marsad.document import Article
from marsad.pipeline.base import Pipeline
from marsad.pipeline.runner import build_pipeline
from marsad.schema import validate


@pytest.fixture(scope="module")
def pipeline() -> Pipeline:
    return build_pipeline(["text", "entities"])


def _entities(pipeline: Pipeline, text: str) -> list[tuple[str, str, str | None]]:
    article = pipeline(Article(text=text))
    validate(article.to_json())
    return [
        (span.label, text[span.start : span.end], span.attrs.get("actor"))
        for span in article.layer("entities")
    ]


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        (["B-PER", "I-PER", "O", "B-LOC"], [(0, 2, "PER"), (3, 4, "LOC")]),
        (["I-ORG", "I-ORG", "B-ORG"], [(0, 2, "ORG"), (2, 3, "ORG")]),
        (["B-PER", "I-LOC"], [(0, 1, "PER"), (1, 2, "LOC")]),
        (["O", "O"], []),
    ],
)
def test_decode_bio_counts_like_conlleval(tags: list[str], expected: list[tuple[int, int, str]]) -> None:
    assert decode_bio(tags) == expected


def test_clitics_are_left_out_of_entities_and_actors_are_linked(pipeline: Pipeline) -> None:
    found = _entities(pipeline, "وصل الوفد إلى موسكو، وبموسكو التقى مسؤولين من روسيا ولبنان.")
    surfaces = {surface: actor for _, surface, actor in found}
    assert surfaces.get("موسكو") == "RUS"
    assert "وبموسكو" not in surfaces
    assert surfaces.get("روسيا") == "RUS"
    assert surfaces.get("لبنان") == "LBN"


@pytest.mark.parametrize(
    ("text", "surface", "actor"),
    [
        ("أعلن الكرملين أمس رفضه للمقترح الجديد.", "الكرملين", "RUS"),
        ("ردّ البيت الأبيض على التصريحات ببيان مقتضب.", "البيت الأبيض", "USA"),
        ("قالت وزارة الخارجية الروسية إن المحادثات مستمرة.", "وزارة الخارجية الروسية", "RUS"),
        ("انتقد حلف شمال الأطلسي التدريبات العسكرية.", "حلف شمال الأطلسي", "nato"),
    ],
)
def test_metonyms_and_institutions_link_to_their_state(
    pipeline: Pipeline, text: str, surface: str, actor: str
) -> None:
    found = _entities(pipeline, text)
    assert any(s == surface and a == actor for _, s, a in found), found


def test_demonyms_link_to_the_state(pipeline: Pipeline) -> None:
    found = _entities(pipeline, "التقى الدبلوماسيون الروس نظراءهم الأمريكيين في فيينا.")
    actors = {actor for _, _, actor in found}
    assert {"RUS", "USA"} <= actors


def test_a_name_broken_across_a_line_still_links(pipeline: Pipeline) -> None:
    found = _entities(pipeline, "وأكدت الولايات\nالمتحدة دعمها للاتفاق.")
    assert any(actor == "USA" and "\n" in surface for _, surface, actor in found), found


def test_a_transliterated_foreign_name_is_a_person(pipeline: Pipeline) -> None:
    found = _entities(pipeline, "وقال المستشار الألماني فريدريش ميرتس إن بلاده ستزيد مساعداتها.")
    assert any(label == "PER" and "ميرتس" in surface for label, surface, _ in found), found


def test_an_article_that_names_no_one(pipeline: Pipeline) -> None:
    article = pipeline(Article(text="ارتفعت درجات الحرارة اليوم وهبت رياح خفيفة في المساء."))
    assert article.layer("entities") == []
    assert article.actors == []
    validate(article.to_json())


def test_actors_are_listed_once_with_mention_counts(pipeline: Pipeline) -> None:
    article = pipeline(
        Article(text="زار وزير الخارجية موسكو. وقالت روسيا إن الكرملين يرحب. ثم غادر إلى بكين.")
    )
    by_id = {actor.id: actor for actor in article.actors}
    assert by_id["RUS"].mentions == 3
    assert by_id["RUS"].kind == "state"
    assert by_id["CHN"].mentions == 1
    assert len(article.actors) == len(by_id)


@pytest.mark.parametrize(
    ("text", "surface"),
    [
        # names that begin with the letters of a proclitic (و ف ب ل ك س) keep them
        ("استقبل الأمير فيصل بن خالد الوفد في مكتبه.", "فيصل بن خالد"),
        ("أطلقت كوريا الشمالية صاروخا من بيونغيانغ فجر اليوم.", "بيونغيانغ"),
        ("سافر الباحث إلى كامبريدج لإكمال دراسته.", "كامبريدج"),
        ("وقال ستيف جوبز إن الجهاز سيباع في الخريف.", "ستيف جوبز"),
        ("تحدثت مارين لوبان أمس. وقالت لوبان إن حزبها سيشارك.", "لوبان"),
        ("زار الرئيس فنلندا الأسبوع الماضي.", "فنلندا"),
    ],
)
def test_a_name_that_begins_like_a_proclitic_stays_whole(pipeline: Pipeline, text: str, surface: str) -> None:
    found = _entities(pipeline, text)
    surfaces = [s for _, s, _ in found]
    assert surface in surfaces, found
    # and no entity is the name with its first letter cut off
    assert not any(s == surface[1:] or s.startswith(surface[1:] + " ") for s in surfaces), found


@pytest.mark.parametrize(
    ("text", "surface", "actor"),
    [
        ("ووصل المبعوث لواشنطن مساء الأحد.", "واشنطن", "USA"),
        ("عاد الوزير من زيارة لألمانيا أمس.", "ألمانيا", "DEU"),
        ("وقع الطرفان اتفاقا وبموسكو اجتمعا مرة ثانية.", "موسكو", "RUS"),
        ("تتوسع الشركات الصينية في آسيا وأفريقيا بسرعة.", "أفريقيا", None),
    ],
)
def test_real_proclitics_are_still_left_out(
    pipeline: Pipeline, text: str, surface: str, actor: str | None
) -> None:
    found = _entities(pipeline, text)
    assert any(s == surface and a == actor for _, s, a in found), found


def test_a_namesake_of_a_known_person_is_not_linked_to_them(pipeline: Pipeline) -> None:
    found = _entities(pipeline, "قال المحامي لويس روبيو إن الدعوى رفعت. وأضاف روبيو أن الجلسة تأجلت.")
    assert [(s, a) for label, s, a in found if label == "PER"] == [("لويس روبيو", None), ("روبيو", None)]
    # the known person named in full keeps the bare surname linked
    found = _entities(pipeline, "قال ماركو روبيو إن المحادثات انتهت. وأضاف روبيو أنه سيعود.")
    assert {a for label, _, a in found if label == "PER"} == {"marco-rubio"}
    # a bare surname alone still links
    found = _entities(pipeline, "وقال روبيو إن واشنطن تدرس المقترح.")
    assert ("روبيو", "marco-rubio") in [(s, a) for _, s, a in found]


def test_a_patronymic_links_only_with_the_given_name(pipeline: Pipeline) -> None:
    found = _entities(pipeline, "استقبل الأمير فيصل بن سلمان بن عبدالعزيز أمير المدينة المنورة الوفد.")
    assert "mohammed-bin-salman" not in {a for _, _, a in found}, found
    found = _entities(pipeline, "قال عبداللطيف بن راشد الزياني إن البحرين ترحب بالاتفاق.")
    assert any(a == "abdullatif-al-zayani" for _, _, a in found), found


def test_a_listed_name_wins_over_the_part_the_model_read(pipeline: Pipeline) -> None:
    article = pipeline(
        Article(
            text="زار الوفد هونغ كونغ ثم جنوب أفريقيا. وقال مجلس التعاون لدول الخليج العربية إن القمة "
            "ستعقد في سلطنة عمان، وأعلن تحالف دعم الشرعية في اليمن أن جماعة الحوثي أطلقت صاروخا."
        )
    )
    text = article.text
    found = [(s.label, text[s.start : s.end], s.attrs.get("actor")) for s in article.layer("entities")]
    assert found == [
        ("LOC", "هونغ كونغ", "hong-kong"),
        ("LOC", "جنوب أفريقيا", "ZAF"),
        ("ORG", "مجلس التعاون لدول الخليج العربية", "gcc"),
        ("LOC", "سلطنة عمان", "OMN"),
        ("ORG", "تحالف دعم الشرعية في اليمن", "arab-coalition"),
        ("ORG", "جماعة الحوثي", "houthis"),
    ]
    assert all(actor.mentions == 1 for actor in article.actors)
    # a title around a person's name stays outside the entity, as ANERcorp tags it
    found = _entities(pipeline, "استقبل الملك سلمان بن عبدالعزيز الوفد.")
    assert ("PER", "سلمان بن عبدالعزيز", "salman-bin-abdulaziz") in found, found


def test_a_place_or_demonym_in_a_persons_name_does_not_link_them_to_the_state(pipeline: Pipeline) -> None:
    found = _entities(pipeline, "قال منصور التركي المتحدث باسم الوزارة إن التحقيق مستمر.")
    assert ("PER", "منصور التركي", None) in found, found
    found = _entities(pipeline, "اكتشف العالم لويس باستير لقاح داء الكلب.")
    assert ("PER", "لويس باستير", None) in found, found
    # an office named by the state's adjective still links
    found = _entities(pipeline, "قال الرئيس التركي إن أنقرة ترحب بالمبادرة.")
    assert ("PER", "الرئيس التركي", "TUR") in found, found
