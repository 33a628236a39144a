"""The persuasion step in a pipeline: judged paragraphs, technique spans, the article's propaganda score."""

from __future__ import annotations

import pytest

from marsad.document import Article
from marsad.models.persuasion import TECHNIQUES
from marsad.pipeline.base import Pipeline
from marsad.pipeline.runner import build_pipeline
from marsad.schema import validate

SOBER = (
    "أعلنت وزارة النقل أن أعمال صيانة الطريق الساحلي ستبدأ يوم الأحد المقبل وتستمر ثلاثة أسابيع، "
    "وأوضحت في بيان أن حركة المرور ستحول إلى طريق فرعي خلال ساعات العمل."
)
LOADED = (
    "  ارتكبت العصابة الإرهابية المجرمة مجزرة وحشية مروعة بحق الأبرياء العزل، في جريمة همجية "
    "غير مسبوقة تكشف الوجه القبيح لهؤلاء الخونة المأجورين الذين باعوا ضمائرهم!  "
)
CLOSING = "وقال مسؤول في البلدية إن الميزانية المخصصة للمشروع بلغت أربعة ملايين ريال."
# The loaded paragraph again, with harakat and shadda: marks inside a word must not split it.
VOCALISED = "ارتكبتِ العِصابةُ الإرهابيّةُ المجرمةُ مجزرةً وحشيّةً مروِّعةً بحقِّ الأبرياءِ العُزَّلِ، في جريمةٍ همجيّةٍ!"


@pytest.fixture(scope="module")
def pipeline() -> Pipeline:
    return build_pipeline(["text", "persuasion"])


def _article() -> Article:
    return Article(text=f"{SOBER}\n\n{LOADED}\n\n{CLOSING}\n")


def test_loaded_paragraph_is_judged_higher_with_techniques(pipeline: Pipeline) -> None:
    article = pipeline(_article())
    paragraphs = article.layer("paragraphs")
    assert len(paragraphs) == 3
    sober, loaded, closing = paragraphs
    assert loaded.score is not None and sober.score is not None and closing.score is not None
    assert loaded.score > sober.score and loaded.score > closing.score
    assert loaded.get("propagandistic") is True
    techniques = loaded.get("techniques")
    assert techniques and all(entry["technique"] in TECHNIQUES for entry in techniques)
    assert "Loaded_Language" in {entry["technique"] for entry in techniques}
    for paragraph in paragraphs:
        assert 0.0 <= paragraph.score <= 1.0 and round(paragraph.score, 4) == paragraph.score
        for entry in paragraph.get("techniques"):
            assert 0.0 <= entry["score"] <= 1.0
    assert article.steps == ["text", "persuasion"]


def test_persuasion_spans_sit_in_article_offsets(pipeline: Pipeline) -> None:
    article = pipeline(_article())
    spans = article.layer("persuasion")
    assert spans, "the loaded paragraph should get span suggestions"
    loaded = article.layer("paragraphs")[1]
    for span in spans:
        surface = article.text[span.start : span.end]
        assert surface and surface == surface.strip()
        assert span.label in TECHNIQUES
        assert span.score is not None and 0.0 <= span.score <= 1.0
    # The obviously loaded words are found where they are in the article, not in the paragraph's own offsets.
    in_loaded = [span for span in spans if loaded.start <= span.start and span.end <= loaded.end]
    assert in_loaded
    assert any(
        word in article.text[span.start : span.end]
        for span in in_loaded
        for word in ("وحشية", "همجية", "الخونة", "الإرهابية", "المجرمة")
    )


def _inside_word(text: str, position: int) -> bool:
    return 0 <= position < len(text) and (text[position].isalnum() or "\u064b" <= text[position] <= "\u0652")


def test_spans_cover_whole_words_in_vocalised_text(pipeline: Pipeline) -> None:
    article = pipeline(Article(text=f"{SOBER}\n\n{VOCALISED}"))
    spans = article.layer("persuasion")
    assert spans
    for span in spans:
        assert not _inside_word(article.text, span.start - 1), article.text[span.start - 1 : span.end]
        assert not _inside_word(article.text, span.end), article.text[span.start : span.end + 1]
    validate(article.to_json())


def test_article_score_and_schema(pipeline: Pipeline) -> None:
    article = pipeline(_article())
    propaganda = article.scores["propaganda"]
    scores = [span.score for span in article.layer("paragraphs")]
    assert min(scores) <= propaganda <= max(scores)  # type: ignore[type-var]
    validate(article.to_json())
    sober_only = pipeline(Article(text=f"{SOBER}\n\n{CLOSING}"))
    assert sober_only.scores["propaganda"] < propaganda
    validate(sober_only.to_json())


def test_article_without_paragraphs(pipeline: Pipeline) -> None:
    article = pipeline(Article(text="   \n  "))
    assert article.layer("paragraphs") == []
    assert article.layer("persuasion") == []
    assert article.scores["propaganda"] == 0.0
    validate(article.to_json())


def test_round_trip_keeps_judgements(pipeline: Pipeline) -> None:
    article = pipeline(_article())
    again = Article.loads(article.dumps())
    assert again.to_json() == article.to_json()
