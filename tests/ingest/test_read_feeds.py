"""RSS and Atom feeds: local files, entries as articles, unreachable and malformed feeds."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from marsad.ingest import read_inputs


def test_rss_entries_become_articles(ingest_data: Path, split) -> None:
    articles, failures = split(read_inputs([str(ingest_data / "feed.rss")]))
    assert failures == []
    first, second = articles
    assert first.text == "افتتحت البلدية جسراً جديداً للمشاة.\n\nوقال رئيس البلدية إن الجسر يخدم عشرة آلاف شخص."
    assert first.meta.title == "افتتاح جسر للمشاة"
    assert first.meta.url == "https://example.org/news/bridge"
    assert first.meta.outlet == "جريدة التجربة"
    assert first.meta.published == "2022-09-11T08:30:00+03:00"
    assert first.meta.author == "سامر يوسف"
    assert "warnings" not in first.meta.extra
    # No content:encoded: the description is used, HTML stripped, and W103 says so.
    assert second.text == "بدأ موسم الحصاد في السهل الشرقي."
    assert second.meta.extra["warnings"] == ["W103"]
    assert second.meta.published == "2022-09-12T10:00:00+00:00"


def test_atom_entries_become_articles(ingest_data: Path, split) -> None:
    articles, failures = split(read_inputs([str(ingest_data / "feed.atom")]))
    assert failures == []
    [article] = articles
    assert article.text == "اجتمع وزراء الزراعة في العاصمة لبحث أسعار القمح.\n\nواتفقوا على خطة مشتركة."
    assert article.meta.outlet == "وكالة المثال"
    assert article.meta.url == "https://example.net/1"
    assert article.meta.author == "هدى كريم"
    assert article.meta.published == "2023-01-02T09:00:00+00:00"


def test_unreachable_feed_url_fails_fast_with_e108(split) -> None:
    url = "http://127.0.0.1:9/feed.xml"  # the discard port: closed, so the connection is refused locally
    started = time.monotonic()
    articles, failures = split(read_inputs([url, "http://127.0.0.1:9/other.rss"]))
    assert time.monotonic() - started < 5
    assert articles == []
    assert [failure.code for failure in failures] == ["E108", "E108"]
    assert failures[0].error.input == url
    assert url in str(failures[0].error)


@pytest.mark.parametrize(
    "content",
    [b"<?xml version='1.0'?><notafeed><a>b</a>", b"just some words", b"<html><body><p>x</p></body></html>"],
)
def test_unparsable_feed_is_e111(tmp_path: Path, split, content: bytes) -> None:
    path = tmp_path / "broken.xml"
    path.write_bytes(content)
    articles, failures = split(read_inputs([str(path)]))
    assert articles == []
    assert [failure.code for failure in failures] == ["E111"]


def test_truncated_feed_keeps_complete_entries_then_e111(ingest_data: Path, tmp_path: Path, split) -> None:
    content = (ingest_data / "feed.rss").read_bytes()
    path = tmp_path / "cut.rss"
    path.write_bytes(content[: content.rindex(b"<item>")])  # cut before the second entry
    articles, failures = split(read_inputs([str(path)]))
    assert [article.meta.title for article in articles] == ["افتتاح جسر للمشاة"]
    assert [failure.code for failure in failures] == ["E111"]


def test_entry_without_text_is_e102_and_others_are_read(tmp_path: Path, split) -> None:
    path = tmp_path / "feed.rss"
    path.write_text(
        "<rss version='2.0'><channel><title>ت</title>"
        "<item><title>عنوان فقط</title><link>https://example.org/t</link></item>"
        "<item><title>خبر</title><description>نص الخبر</description></item>"
        "</channel></rss>",
        encoding="utf-8",
    )
    articles, failures = split(read_inputs([str(path)]))
    assert [article.text for article in articles] == ["نص الخبر"]
    assert [failure.code for failure in failures] == ["E102"]
    assert "https://example.org/t" in failures[0].error.message
