"""The data model: spans, articles, and the lossless JSON round trip."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from marsad.document import Actor, Article, Meta, Span, SpanError, article_id, canonical_url
from marsad.schema import validate, validation_errors


@pytest.mark.parametrize(("start", "end"), [(-1, 3), (3, 3), (5, 2)])
def test_span_rejects_bad_offsets(start: int, end: int) -> None:
    with pytest.raises(SpanError):
        Span(start, end, "x")


def test_set_layer_rejects_span_past_text() -> None:
    article = Article(text="نص قصير")
    with pytest.raises(SpanError, match="runs past the text"):
        article.set_layer("entities", [Span(0, 50, "LOC")])


def test_id_is_stable_and_prefers_url() -> None:
    assert Article(text="نص").id == Article(text="نص").id
    with_url = Article(text="نص", meta=Meta(url="https://www.Example.org/a/#top"))
    assert with_url.id == article_id(text="نص آخر", url="https://example.org/a")
    assert canonical_url("HTTPS://WWW.Example.org/x/") == "https://example.org/x"


def test_empty_article_has_every_contract_field() -> None:
    data = Article(text="مرحبا").to_json()
    validate(data)
    for layer in ("sentences", "paragraphs", "entities", "attributions", "claims", "persuasion", "actors"):
        assert data[layer] == []
    assert data["scores"] == {"propaganda": 0.0, "vague_sourcing": 0.0}


def _full_article() -> Article:
    text = "قال الوزير إن موسكو أنفقت 3 مليارات دولار.\n\nهذا كلام خطير جداً!"
    article = Article(
        text=text,
        meta=Meta(title="عنوان", outlet="صحيفة الأفق", published="2026-01-12", extra={"warnings": ["W101"]}),
    )
    article.set_layer("sentences", [Span(0, 42, "sentence"), Span(44, 63, "sentence")])
    article.set_layer(
        "paragraphs",
        [
            Span(0, 42, "paragraph", 0.1, {"propagandistic": False, "techniques": []}),
            Span(
                44,
                63,
                "paragraph",
                0.8,
                {"propagandistic": True, "techniques": [{"technique": "Loaded_Language", "score": 0.7}]},
            ),
        ],
    )
    article.set_layer("entities", [Span(14, 19, "LOC", 0.93, {"actor": "RUS"})])
    article.set_layer(
        "attributions",
        [
            Span(
                0,
                42,
                "reported",
                None,
                {
                    "cue": {"start": 0, "end": 3, "class": "neutral"},
                    "source": {"start": 4, "end": 10, "actor": None, "vague": False},
                    "content": {"start": 14, "end": 42},
                },
            )
        ],
    )
    article.set_layer(
        "claims", [Span(26, 41, "money", None, {"value": 3_000_000_000, "unit": "USD", "sentence": 0})]
    )
    article.set_layer("persuasion", [Span(48, 52, "Loaded_Language", 0.66)])
    article.actors.append(Actor("RUS", "روسيا", "Russia", "state", 1, -0.2))
    article.scores.update(propaganda=0.55, vague_sourcing=0.0)
    return article


def test_full_article_is_valid_and_round_trips() -> None:
    article = _full_article()
    data = article.to_json()
    validate(data)
    again = Article.loads(json.dumps(data, ensure_ascii=False))
    assert again.to_json() == data
    assert again.text == article.text
    assert again.layer("claims")[0].attrs["value"] == 3_000_000_000
    assert data["attributions"][0]["source"]["vague"] is False


def test_validator_catches_offsets_past_text() -> None:
    data = _full_article().to_json()
    data["entities"][0]["end"] = 10_000
    assert any("do not fit" in problem for problem in validation_errors(data))


spans = st.tuples(st.integers(0, 60), st.integers(1, 30)).map(lambda pair: (pair[0], pair[0] + pair[1]))


@given(text=st.text(min_size=1, max_size=90), offsets=st.lists(spans, max_size=6))
def test_round_trip_is_lossless_for_any_text_and_spans(text: str, offsets: list[tuple[int, int]]) -> None:
    article = Article(text=text, meta=Meta(title=text[:10] or None))
    fitting = [(start, end) for start, end in offsets if end <= len(text)]
    article.set_layer("entities", [Span(start, end, "PER", None, {"actor": None}) for start, end in fitting])
    article.set_layer("sentences", [Span(start, end, "sentence") for start, end in fitting])
    data = article.to_json()
    assert not validation_errors(data)
    assert Article.loads(article.dumps()).to_json() == data
    for item in data["entities"]:
        assert text[item["start"] : item["end"]] == article.text[item["start"] : item["end"]]
