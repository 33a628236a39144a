"""Tone: sentence tone with negation and intensifiers, and per-actor tone from the sentences naming it."""

from __future__ import annotations

import pytest

from marsad.annotate.tone import ToneStep, sentence_tone
from marsad.document import Actor, Article, Span
from marsad.pipeline.base import Pipeline
from marsad.pipeline.steps import TextStep
from marsad.schema import validate
from marsad.text.tokenise import tokenise


@pytest.mark.parametrize(
    ("text", "sign"),
    [
        ("حققت الحكومة نجاحا كبيرا في الإصلاح", 1),
        ("أشاد الوزير بالتعاون المثمر", 1),
        ("أدان الوزير الهجوم الإرهابي", -1),
        ("الوضع كارثي والفساد منتشر", -1),
        ("لم تحقق الحكومة أي نجاح", -1),
        ("ليس الوضع خطيرا", 1),
        ("اجتمع الوزير مع نظيره", 0),
    ],
)
def test_sentence_tone_sign(text: str, sign: int) -> None:
    tone = sentence_tone(tokenise(text))
    assert -1.0 <= tone <= 1.0
    assert (tone > 0) - (tone < 0) == sign


def test_intensifier_strengthens() -> None:
    plain = sentence_tone(tokenise("الوضع خطير"))
    strong = sentence_tone(tokenise("الوضع خطير جداً"))
    assert strong < plain < 0


def _article(text: str, mentions: dict[str, list[str]], persuasion: list[Span] | None = None) -> Article:
    article = Article(text=text)
    TextStep()(article)
    entities = []
    for actor, words in mentions.items():
        for word in words:
            start = text.index(word)
            entities.append(Span(start, start + len(word), "LOC", 0.9, {"actor": actor}))
    article.set_layer("entities", entities)
    if persuasion is not None:
        article.set_layer("persuasion", persuasion)
    article.actors = [Actor(actor, actor, actor, "state") for actor in mentions]
    return ToneStep()(article)


def test_actor_tone_is_the_mean_over_its_sentences() -> None:
    text = "حققت مصر نجاحا كبيرا. وتعاني إثيوبيا من أزمة خطيرة. وزار وفد من مصر إثيوبيا."
    article = _article(text, {"EGY": ["مصر"], "ETH": ["إثيوبيا"]})
    tones = {actor.id: actor.tone for actor in article.actors}
    assert tones["EGY"] > 0 > tones["ETH"]
    validate(article.to_json())


def test_persuasion_spans_add_negative_evidence() -> None:
    text = "وزار وفد من مصر العاصمة."
    without = _article(text, {"EGY": ["مصر"]}).actors[0].tone
    span = Span(0, 4, "Name_Calling-Labeling", 0.8)
    with_span = _article(text, {"EGY": ["مصر"]}, persuasion=[span]).actors[0].tone
    assert without == 0.0
    assert with_span < 0


def test_actor_without_mentions_keeps_zero() -> None:
    article = _article("كان الطقس جميلا.", {})
    article.actors.append(Actor("USA", "أمريكا", "USA", "state"))
    ToneStep()(article)
    assert article.actors[0].tone == 0.0


def test_tone_requires_entities() -> None:
    with pytest.raises(Exception, match="entities"):
        Pipeline([TextStep(), ToneStep()])
