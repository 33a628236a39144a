"""The terminal and HTML reports of one article with every layer filled."""

from __future__ import annotations

import re

from marsad.document import Actor, Article, Meta, Span
from marsad.report.html import render_html
from marsad.report.text import render_text

TEXT = "قال الوزير إن موسكو أنفقت 3 مليارات دولار.\n\nوذكرت مصادر مطلعة أن <b>الخطة</b> فاشلة تماماً!"


def _article() -> Article:
    article = Article(
        text=TEXT,
        meta=Meta(
            title="عنوان <i>مائل</i>", outlet="صحيفة الأفق", published="2026-01-12", url="https://x.example/a"
        ),
    )
    second = TEXT.index("وذكرت")
    source_start = TEXT.index("مصادر")
    article.set_layer("sentences", [Span(0, 42, "sentence"), Span(second, len(TEXT), "sentence")])
    article.set_layer(
        "paragraphs",
        [
            Span(0, 42, "paragraph", 0.1, {"propagandistic": False, "techniques": []}),
            Span(
                second,
                len(TEXT),
                "paragraph",
                0.8,
                {"propagandistic": True, "techniques": [{"technique": "Loaded_Language", "score": 0.7}]},
            ),
        ],
    )
    article.set_layer("entities", [Span(14, 19, "LOC", 0.9, {"actor": "RUS"})])
    article.set_layer(
        "attributions",
        [
            Span(
                second,
                len(TEXT),
                "reported",
                None,
                {
                    "cue": {"start": second, "end": second + 5, "class": "neutral"},
                    "source": {"start": source_start, "end": source_start + 11, "actor": None, "vague": True},
                    "content": {"start": source_start + 15, "end": len(TEXT)},
                },
            )
        ],
    )
    article.set_layer(
        "claims", [Span(26, 41, "money", None, {"value": 3_000_000_000, "unit": "USD", "sentence": 0})]
    )
    fail = TEXT.index("فاشلة")
    article.set_layer("persuasion", [Span(fail, fail + 5, "Loaded_Language", 0.66)])
    article.actors.append(Actor("RUS", "روسيا", "Russia", "state", 1, -0.25))
    article.scores.update(propaganda=0.62, vague_sourcing=1.0)
    article.steps.extend(["text", "entities", "attributions", "claims", "persuasion"])
    return article


def test_text_report_lists_every_finding() -> None:
    report = render_text(_article())
    for expected in (
        "ACTORS",
        "RUS",
        "-0.25",
        "ENTITIES",
        "WHO SAYS WHAT",
        "(VAGUE)",
        "CLAIMS",
        "3000000000 USD",
    ):
        assert expected in report
    assert "vague sources: \u2068مصادر مطلعة\u2069" in report
    assert "propaganda 0.62" in report
    assert "vague sourcing 1.00" in report
    assert "Loaded_Language (0.66)" in report


def test_text_report_wraps_every_arabic_fragment_in_an_isolate() -> None:
    arabic = re.compile("[\u0600-\u06ff]+")
    for line in render_text(_article()).splitlines():
        outside = re.sub("\u2068[^\u2069]*\u2069", "", line)
        assert not arabic.search(outside), f"bare Arabic outside an isolate: {line!r}"


def test_html_report_escapes_and_highlights() -> None:
    page = render_html(_article())
    assert page.startswith("<!doctype html>")
    assert '<html lang="ar" dir="rtl">' in page
    assert "<b>" not in page and "&lt;b&gt;الخطة&lt;/b&gt;" in page
    assert "<i>" not in page and "عنوان &lt;i&gt;مائل&lt;/i&gt;" in page
    assert "<script" not in page
    assert "Content-Security-Policy" in page
    assert '<mark class="entities" title="LOC → RUS" tabindex="0">موسكو</mark>' in page
    assert 'class="persuasion"' in page or 'class="attributions persuasion"' in page
    assert "مبهم / vague" in page
    # the published date reads left-to-right inside the right-to-left page
    assert '<time class="ltr" datetime="2026-01-12">' in page


def test_html_report_keeps_every_character_of_the_text() -> None:
    page = render_html(_article())
    body = page.split("<article>", 1)[1].split("</article>", 1)[0]
    visible = re.sub(r"<br>", "\n", body)
    visible = re.sub(r"</p>\n<p>", "\n\n", visible)
    visible = re.sub(r"<[^>]+>", "", visible)
    visible = visible.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    assert visible == TEXT
