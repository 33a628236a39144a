"""Outlet and actor profiles, from hand-built articles with their layers filled."""

from __future__ import annotations

import json
from types import MappingProxyType

import pytest
from corpus_texts import ECONOMY, FOOTBALL, WATER, join

from marsad.corpus.profiles import actor_profile, format_actor_profile, format_outlet_profile, outlet_profile
from marsad.corpus.store import Store
from marsad.document import Actor, Article, Meta, Span
from marsad.errors import MarsadError

KSA = ("KSA", "السعودية", "Saudi Arabia", "state")
IRN = ("IRN", "إيران", "Iran", "state")
USA = ("USA", "الولايات المتحدة", "United States", "state")


def _actor(spec: tuple[str, str, str, str], mentions: int, tone: float) -> Actor:
    return Actor(*spec, mentions=mentions, tone=tone)


def _build(
    paragraphs: list[str],
    *,
    key: str,
    outlet: str,
    published: str,
    actors: list[Actor] | None = None,
    paragraph_techniques: dict[int, list[str]] | None = None,
    spans: list[tuple[int, str]] | None = None,
    sources: list[str | None] | None = None,
) -> Article:
    """An article with paragraphs, techniques, attributions and actors set as a test needs.

    ``spans`` puts a persuasion span of a technique at the start of a paragraph; ``sources``
    adds one attribution per entry over successive paragraphs: "named", "vague" or None.
    """
    text = join(paragraphs)
    article = Article(
        text=text, meta=Meta(outlet=outlet, url=f"https://{outlet}.example/{key}", published=published)
    )
    starts = [0]
    for paragraph in paragraphs[:-1]:
        starts.append(starts[-1] + len(paragraph) + 2)
    paragraph_techniques = paragraph_techniques or {}
    article.set_layer(
        "paragraphs",
        [
            Span(
                start,
                start + len(paragraph),
                "paragraph",
                0.9 if index in paragraph_techniques else 0.1,
                MappingProxyType(
                    {
                        "propagandistic": index in paragraph_techniques,
                        "techniques": [
                            {"technique": t, "score": 0.8} for t in paragraph_techniques.get(index, [])
                        ],
                    }
                ),
            )
            for index, (start, paragraph) in enumerate(zip(starts, paragraphs, strict=True))
        ],
    )
    article.set_layer(
        "persuasion",
        [Span(starts[index], starts[index] + 10, technique, 0.7) for index, technique in spans or []],
    )
    attributions = []
    for index, source in enumerate(sources or []):
        start = starts[index]
        end = start + len(paragraphs[index])
        source_json = None
        if source is not None:
            source_json = {"start": start, "end": start + 6, "actor": None, "vague": source == "vague"}
        attributions.append(
            Span(
                start,
                end,
                "reported",
                None,
                MappingProxyType(
                    {
                        "cue": {"start": start + 7, "end": start + 10, "class": "neutral"},
                        "source": source_json,
                        "content": {"start": start + 11, "end": end},
                    }
                ),
            )
        )
    article.set_layer("attributions", attributions)
    article.actors = actors or []
    return article


@pytest.fixture
def filled(store: Store) -> Store:
    store.upsert_many(
        [
            # spa publishes the water story first; okaz copies it a day later.
            _build(
                WATER,
                key="water",
                outlet="spa",
                published="2015-07-05T08:00:00",
                actors=[_actor(KSA, 3, 0.5)],
                paragraph_techniques={0: ["Loaded_Language"]},
                sources=["named", "vague", None, "named"],
            ),
            _build(
                WATER,
                key="water",
                outlet="okaz",
                published="2015-07-06T08:00:00",
                actors=[_actor(KSA, 3, 0.5)],
                sources=["named"],
            ),
            # okaz writes about the economy with Iran and the USA; two techniques, one by span only.
            _build(
                ECONOMY,
                key="economy",
                outlet="okaz",
                published="2015-07-20T09:00:00",
                actors=[_actor(IRN, 2, -0.6), _actor(USA, 1, 0.0), _actor(KSA, 1, 0.2)],
                paragraph_techniques={1: ["Loaded_Language", "Doubt"]},
                spans=[(3, "Exaggeration-Minimisation")],
                sources=["vague", "vague"],
            ),
            # aawsat later reuses three economy paragraphs inside a football story.
            _build(
                FOOTBALL[:3] + ECONOMY[:3] + FOOTBALL[3:],
                key="mixed",
                outlet="aawsat",
                published="2015-08-03T10:00:00",
                actors=[_actor(IRN, 1, -0.2)],
            ),
            _build(
                FOOTBALL,
                key="football",
                outlet="okaz",
                published="2015-08-10T10:00:00",
                actors=[_actor(IRN, 1, -0.4)],
            ),
        ]
    )
    return store


def test_technique_rates_count_articles_and_paragraphs(filled: Store) -> None:
    profile = outlet_profile(filled, "okaz")
    assert profile["articles"] == 3
    rates = {item["technique"]: item for item in profile["techniques"]}
    assert set(rates) == {"Loaded_Language", "Doubt", "Exaggeration-Minimisation"}
    # One of three okaz articles, one of its 15 paragraphs; the span-only technique counts too.
    assert rates["Doubt"]["articles"] == 1
    assert rates["Doubt"]["article_share"] == pytest.approx(1 / 3, abs=1e-3)
    assert rates["Doubt"]["paragraphs"] == 1
    assert rates["Doubt"]["paragraph_share"] == pytest.approx(1 / 15, abs=1e-3)
    assert rates["Exaggeration-Minimisation"]["paragraphs"] == 1
    assert profile["propaganda"]["paragraphs"] == 15
    assert profile["propaganda"]["propagandistic_paragraphs"] == 1


def test_sourcing_profile_splits_named_vague_and_missing(filled: Store) -> None:
    spa = outlet_profile(filled, "spa")["sourcing"]
    assert (spa["named"], spa["vague"], spa["none"]) == (2, 1, 1)
    assert spa["named_share"] == 0.5
    assert spa["by_kind"] == {"reported": {"named": 2, "vague": 1, "none": 1}}
    okaz = outlet_profile(filled, "okaz")["sourcing"]
    assert (okaz["named"], okaz["vague"], okaz["none"]) == (1, 2, 0)
    assert okaz["articles_with_attributions"] == 2
    # The vague sources are reported by their wording (the first six characters here).
    assert okaz["top_vague"][0]["count"] == 1
    assert okaz["top_vague"][0]["source"] in {ECONOMY[0][:6], ECONOMY[1][:6]}


def test_top_actors_are_ranked_with_their_tone(filled: Store) -> None:
    actors = outlet_profile(filled, "okaz")["actors"]
    # Ranked by articles, then mentions: KSA (2 articles, 4 mentions) before IRN (2, 3).
    assert [actor["id"] for actor in actors] == ["KSA", "IRN", "USA"]
    iran = actors[1]
    assert (iran["articles"], iran["mentions"]) == (2, 3)
    assert iran["tone"] == pytest.approx(-0.5)
    assert iran["negative_articles"] == 2
    assert iran["name_ar"] == "إيران"
    assert [actor["id"] for actor in outlet_profile(filled, "okaz", top=1)["actors"]] == ["KSA"]


def test_copies_made_and_received_follow_publication_order(filled: Store) -> None:
    spa = outlet_profile(filled, "spa")["copies"]
    okaz = outlet_profile(filled, "okaz")["copies"]
    aawsat = outlet_profile(filled, "aawsat")["copies"]
    assert spa["received"] == [{"by": "okaz", "copies": 1, "reuses": 0, "median_delay_hours": 24.0}]
    assert spa["made"] == []
    made = {item["from"]: item for item in okaz["made"]}
    assert made["spa"] == {"from": "spa", "copies": 1, "reuses": 0, "median_delay_hours": 24.0}
    # aawsat's story reuses okaz's economy paragraphs (a reuse made by aawsat, received by okaz);
    # okaz's later football story is a copy of aawsat's (five of its eight paragraphs).
    assert aawsat["made_total"] == {"copies": 0, "reuses": 1}
    assert aawsat["received_total"] == {"copies": 1, "reuses": 0}
    assert okaz["received"] == [{"by": "aawsat", "copies": 0, "reuses": 1, "median_delay_hours": 337.0}]
    assert made["aawsat"] == {"from": "aawsat", "copies": 1, "reuses": 0, "median_delay_hours": 168.0}


def test_actor_profile_over_time_and_co_mentions(filled: Store) -> None:
    profile = actor_profile(filled, "IRN")
    assert profile["name_en"] == "Iran"
    assert (profile["articles"], profile["mentions"]) == (3, 4)
    assert [(item["period"], item["articles"], item["mentions"]) for item in profile["timeline"]] == [
        ("2015-07", 1, 2),
        ("2015-08", 2, 2),
    ]
    assert profile["timeline"][1]["tone"] == pytest.approx(-0.3)
    assert {item["outlet"]: item["articles"] for item in profile["outlets"]} == {"okaz": 2, "aawsat": 1}
    assert [item["id"] for item in profile["co_mentioned"]] == ["KSA", "USA"]
    assert profile["co_mentioned"][0]["share"] == pytest.approx(1 / 3, abs=1e-3)
    weekly = actor_profile(filled, "IRN", bucket="week")
    assert [item["period"] for item in weekly["timeline"]] == ["2015-W30", "2015-W32", "2015-W33"]


def test_profiles_are_json_and_render_with_isolated_arabic(filled: Store) -> None:
    outlet = outlet_profile(filled, "okaz")
    actor = actor_profile(filled, "KSA")
    assert json.loads(json.dumps(outlet)) == outlet
    assert json.loads(json.dumps(actor)) == actor
    text = format_outlet_profile(outlet)
    assert "\u2068إيران\u2069" in text
    assert "Loaded_Language" in text
    assert "from \u2068spa\u2069: 1 copies" in text
    rendered = format_actor_profile(actor)
    assert "\u2068السعودية\u2069" in rendered
    assert "2015-07" in rendered


def test_unknown_outlet_or_actor_suggests_close_names(filled: Store) -> None:
    with pytest.raises(MarsadError) as caught:
        outlet_profile(filled, "okas")
    assert caught.value.code == "E301"
    assert "'okaz'" in caught.value.message
    with pytest.raises(MarsadError) as caught:
        actor_profile(filled, "IRQ")
    assert caught.value.code == "E301"
    assert "'IRN'" in caught.value.message
    with pytest.raises(MarsadError, match="bucket"):
        actor_profile(filled, "IRN", bucket="quarter")


def test_empty_corpus_says_to_ingest_first(store: Store) -> None:
    with pytest.raises(MarsadError, match="ingest"):
        outlet_profile(store, "okaz")


def test_undated_articles_are_counted_last_in_the_timeline(filled: Store) -> None:
    filled.upsert(
        _build(
            ["مقال بلا تاريخ عن العلاقات بين البلدين وتطوراتها خلال الأشهر الماضية."],
            key="undated",
            outlet="okaz",
            published="",
            actors=[_actor(IRN, 2, 0.4)],
        )
    )
    timeline = actor_profile(filled, "IRN", bucket="year")["timeline"]
    assert [(item["period"], item["articles"]) for item in timeline] == [("2015", 3), ("undated", 1)]
    assert timeline[1]["positive_articles"] == 1
