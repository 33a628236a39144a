"""JSONL: field names, dates, broken lines reported by number, streaming."""

from __future__ import annotations

import io
import json
from pathlib import Path

from marsad.ingest import read_inputs
from marsad.ingest.jsonl import JsonlReader


def test_fields_and_their_aliases(ingest_data: Path, split) -> None:
    articles, failures = split(read_inputs([str(ingest_data / "articles.jsonl")]))
    assert failures == []
    first, second, third = articles
    assert (
        first.text
        == "هطلت أمطار غزيرة على المناطق الشمالية مساء الخميس.\n\nوأغلقت السلطات طريقين جبليين احتياطاً."
    )
    assert (first.meta.title, first.meta.outlet, first.meta.author) == (
        "مطر غزير في الشمال",
        "جريدة التجربة",
        "ليلى حسن",
    )
    assert first.meta.url == "https://example.org/a/1"
    assert first.meta.published == "2021-03-04"
    assert first.meta.extra["source_id"] == "n1"
    assert second.text.startswith("يفتح معرض الكتاب")  # from "content"
    assert second.meta.outlet == "وكالة المثال"
    assert second.meta.published == "2018-02-18T21:35:43+04:00"  # RFC 2822 becomes ISO 8601
    assert third.meta.outlet == "موقع الرياضة"  # from "src"
    assert third.meta.published == "2018-02-18T21:35:43"


def test_broken_lines_are_named_and_the_rest_is_read(ingest_data: Path, split) -> None:
    articles, failures = split(read_inputs([str(ingest_data / "broken.jsonl")]))
    assert [article.text[:7] for article in articles] == ["خبر أول", "خبر أخي"]
    assert [failure.code for failure in failures] == ["E106", "E106", "E106"]
    messages = [failure.error.message for failure in failures]
    assert messages[0].startswith("line 2: not valid JSON")
    assert messages[1].startswith("line 3: ")
    assert messages[2] == "line 4: no 'text' or 'content' field"
    assert all(failure.error.input == str(ingest_data / "broken.jsonl") for failure in failures)


def test_empty_text_is_e102_with_its_line(split) -> None:
    lines = [{"text": "نص أول"}, {"text": "   "}, {"content": None}]
    stream = io.BytesIO("\n".join(json.dumps(line, ensure_ascii=False) for line in lines).encode())
    articles, failures = split(JsonlReader().read(stream, source="x.jsonl"))
    assert len(articles) == 1
    assert [(failure.code, failure.error.message[:7]) for failure in failures] == [
        ("E102", "line 2:"),
        ("E102", "line 3:"),
    ]


def test_non_string_text_and_bad_utf8_are_e106(split) -> None:
    stream = io.BytesIO(b'{"text": 42}\n{"text": "\xff\xfe"}\n{"text": "\xd8\xb3\xd9\x84\xd8\xa7\xd9\x85"}\n')
    articles, failures = split(JsonlReader().read(stream, source="x.jsonl"))
    assert [article.text for article in articles] == ["سلام"]
    assert [failure.error.message for failure in failures] == [
        "line 1: the 'text' field is not a string",
        "line 2: not UTF-8",
    ]


def test_unparseable_date_is_dropped(split) -> None:
    stream = io.BytesIO('{"text": "نص", "date": "الأسبوع الماضي"}\n'.encode())
    [article] = list(JsonlReader().read(stream, source="x.jsonl"))
    assert article.meta.published is None  # type: ignore[union-attr]


def test_over_long_line_is_e109_and_reading_goes_on(split) -> None:
    long_line = json.dumps({"text": "ن" * 500}).encode()
    stream = io.BytesIO(long_line + b"\n" + '{"text": "قصير"}\n'.encode())
    articles, failures = split(JsonlReader(max_bytes=200).read(stream, source="x.jsonl"))
    assert [article.text for article in articles] == ["قصير"]
    assert [(failure.code, failure.error.message[:7]) for failure in failures] == [("E109", "line 1:")]


def test_reads_lazily_one_line_at_a_time(split) -> None:
    # The first article comes out before the stream is read to the end.
    class Endless(io.RawIOBase):
        def readable(self) -> bool:
            return True

        def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def]
            line = '{"text": "خبر"}\n'.encode()
            buffer[: len(line)] = line
            return len(line)

    items = JsonlReader().read(io.BufferedReader(Endless()), source="endless.jsonl")
    assert next(items).text == "خبر"  # type: ignore[union-attr]
