"""WARC and WARC.gz built in the test: HTML responses become articles, the rest is skipped."""

from __future__ import annotations

import gzip
import io
from pathlib import Path

from marsad.ingest import read_inputs

PAGE = (
    "<html><head><meta charset='utf-8'><title>سوق السمك</title></head><body><article><h1>سوق السمك</h1>"
    "<p>افتتحت البلدية سوقاً جديداً للسمك قرب الميناء القديم يضم أربعين محلاً.</p>"
    "<p>وقال التجار إن الأسعار ستنخفض بعد انتقالهم إلى السوق الجديد.</p></article></body></html>"
)
DATED_PAGE = PAGE.replace(
    "<head>", "<head><meta property='article:published_time' content='2019-05-06T07:00:00Z'>"
)


def warc_record(
    warc_type: str, uri: str, block: bytes, *, content_type: str = "application/http; msgtype=response"
) -> bytes:
    header = (
        f"WARC/1.0\r\nWARC-Type: {warc_type}\r\nWARC-Target-URI: {uri}\r\n"
        f"WARC-Date: 2020-01-02T03:04:05Z\r\nWARC-Record-ID: <urn:uuid:{abs(hash((uri, warc_type)))}>\r\n"
        f"Content-Type: {content_type}\r\nContent-Length: {len(block)}\r\n\r\n"
    )
    return header.encode("ascii") + block + b"\r\n\r\n"


def http_response(body: bytes, content_type: str) -> bytes:
    head = f"HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\nContent-Length: {len(body)}\r\n\r\n"
    return head.encode("ascii") + body


def crawl_records() -> list[bytes]:
    return [
        warc_record("warcinfo", "", b"software: test\r\n", content_type="application/warc-fields"),
        warc_record(
            "request",
            "https://example.org/fish",
            b"GET /fish HTTP/1.1\r\nHost: example.org\r\n\r\n",
            content_type="application/http; msgtype=request",
        ),
        warc_record(
            "response", "https://example.org/fish", http_response(PAGE.encode(), "text/html; charset=utf-8")
        ),
        warc_record("response", "https://example.org/api", http_response(b'{"a": 1}', "application/json")),
        warc_record("response", "https://example.org/empty", http_response(b"", "text/html")),
        warc_record("response", "https://example.org/dated", http_response(DATED_PAGE.encode(), "text/html")),
    ]


def test_warc_html_responses_become_articles(tmp_path: Path, split) -> None:
    path = tmp_path / "crawl.warc"
    path.write_bytes(b"".join(crawl_records()))
    articles, failures = split(read_inputs([str(path)]))
    assert failures == []
    assert [article.meta.url for article in articles] == [
        "https://example.org/fish",
        "https://example.org/dated",
    ]
    first, dated = articles
    assert first.text.startswith("افتتحت البلدية سوقاً جديداً")
    assert first.text.count("\n\n") == 1
    assert first.meta.title == "سوق السمك"
    assert first.meta.published == "2020-01-02T03:04:05+00:00"  # no date on the page: WARC-Date
    assert dated.meta.published == "2019-05-06T07:00:00+00:00"  # the page's own date wins


def test_chunked_and_gzip_encoded_payloads_are_decoded(tmp_path: Path, split) -> None:
    body = PAGE.encode()
    chunked = (
        b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nTransfer-Encoding: chunked\r\n\r\n"
        + f"{len(body):x}\r\n".encode()
        + body
        + b"\r\n0\r\n\r\n"
    )
    compressed = (
        b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Encoding: gzip\r\n\r\n" + gzip.compress(body)
    )
    path = tmp_path / "encoded.warc"
    path.write_bytes(
        warc_record("response", "https://x/c", chunked) + warc_record("response", "https://x/g", compressed)
    )
    articles, failures = split(read_inputs([str(path)]))
    assert failures == []
    assert [article.text for article in articles] == [articles[0].text] * 2
    assert articles[0].text.startswith("افتتحت البلدية")


def test_warc_gz_with_one_member_per_record(tmp_path: Path, split) -> None:
    path = tmp_path / "crawl.warc.gz"
    path.write_bytes(b"".join(gzip.compress(record) for record in crawl_records()))
    articles, failures = split(read_inputs([str(path)]))
    assert failures == []
    assert len(articles) == 2


def test_warc_with_garbage_after_good_records_is_e112(tmp_path: Path, split) -> None:
    path = tmp_path / "bad.warc"
    path.write_bytes(b"".join(crawl_records()[:3]) + b"this is not a WARC record\r\n" * 5)
    articles, failures = split(read_inputs([str(path)]))
    assert len(articles) == 1
    assert [failure.code for failure in failures] == ["E112"]


def test_truncated_warc_is_e112(tmp_path: Path, split) -> None:
    data = b"".join(crawl_records())
    path = tmp_path / "cut.warc"
    path.write_bytes(data[: len(data) - 200])
    articles, failures = split(read_inputs([str(path)]))
    assert len(articles) == 1
    assert [failure.code for failure in failures] == ["E112"]


def test_file_named_warc_that_is_not_one_is_e112(tmp_path: Path, split) -> None:
    path = tmp_path / "notes.warc"
    path.write_text("ملاحظات عادية وليست أرشيفاً\n" * 3, encoding="utf-8")
    _, failures = split(read_inputs([str(path)]))
    assert [failure.code for failure in failures] == ["E112"]


def test_warc_and_warc_gz_on_stdin_are_sniffed(split) -> None:
    data = b"".join(crawl_records())
    for payload in (data, gzip.compress(data)):
        articles, failures = split(read_inputs(["-"], stdin=io.BytesIO(payload)))
        assert failures == []
        assert [article.meta.url for article in articles] == [
            "https://example.org/fish",
            "https://example.org/dated",
        ]
