"""read_inputs: directories, gzip, standard input, format detection and missing inputs."""

from __future__ import annotations

import gzip
import io
import json
from pathlib import Path

import pytest

from marsad import registry
from marsad.ingest import read_inputs
from marsad.ingest.dispatch import format_from_suffix, sniff

TEXT = "وصل وفد تجاري إلى العاصمة صباح اليوم لبحث تعزيز التبادل بين البلدين."


def jsonl_lines(count: int) -> bytes:
    return "".join(
        json.dumps(
            {"text": f"الخبر رقم {number} عن أسعار الخضار في السوق.", "id": number}, ensure_ascii=False
        )
        + "\n"
        for number in range(count)
    ).encode("utf-8")


def test_directories_are_read_recursively_in_sorted_order_skipping_hidden(tmp_path: Path, split) -> None:
    (tmp_path / "b" / "inner").mkdir(parents=True)
    (tmp_path / ".git").mkdir()
    (tmp_path / "a.txt").write_text("أ " + TEXT, encoding="utf-8")
    (tmp_path / "b" / "inner" / "c.txt").write_text("ج " + TEXT, encoding="utf-8")
    (tmp_path / "b" / "b.txt").write_text("ب " + TEXT, encoding="utf-8")
    (tmp_path / "b" / ".hidden.txt").write_text("مخفي", encoding="utf-8")
    (tmp_path / ".git" / "x.txt").write_text("مخفي", encoding="utf-8")
    articles, failures = split(read_inputs([str(tmp_path)]))
    assert failures == []
    assert [article.text[0] for article in articles] == ["أ", "ب", "ج"]


def test_symbolic_link_loop_is_read_once(tmp_path: Path, split) -> None:
    (tmp_path / "a.txt").write_text(TEXT, encoding="utf-8")
    (tmp_path / "loop").symlink_to(tmp_path, target_is_directory=True)
    articles, failures = split(read_inputs([str(tmp_path)]))
    assert failures == [] and len(articles) == 1


@pytest.mark.parametrize("name", ["article.txt", "articles.jsonl", "article.html", "feed.rss", "feed.atom"])
def test_gzip_of_each_format_gives_the_same_articles(
    ingest_data: Path, tmp_path: Path, split, name: str
) -> None:
    plain, plain_failures = split(read_inputs([str(ingest_data / name)]))
    packed = tmp_path / (name + ".gz")
    packed.write_bytes(gzip.compress((ingest_data / name).read_bytes()))
    articles, failures = split(read_inputs([str(packed)]))
    assert plain_failures == failures == []
    assert [article.text for article in articles] == [article.text for article in plain]
    assert len(articles) >= 1


def test_gzip_is_recognised_by_magic_bytes_without_gz_suffix(tmp_path: Path, split) -> None:
    path = tmp_path / "export.dat"
    path.write_bytes(gzip.compress(jsonl_lines(3)))
    articles, failures = split(read_inputs([str(path)]))
    assert failures == [] and len(articles) == 3


def test_truncated_gzip_keeps_articles_before_the_cut_then_e105(tmp_path: Path, split) -> None:
    packed = gzip.compress(jsonl_lines(3000))
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(packed[: len(packed) * 2 // 3])
    articles, failures = split(read_inputs([str(path)]))
    assert 1000 < len(articles) < 3000
    assert [article.meta.extra["source_id"] for article in articles] == [str(n) for n in range(len(articles))]
    assert [failure.code for failure in failures] == ["E105"]
    assert failures[0].error.input == str(path)


def test_truncated_gzip_text_is_e105(tmp_path: Path, split) -> None:
    packed = gzip.compress((TEXT * 200).encode("utf-8"))
    path = tmp_path / "cut.txt.gz"
    path.write_bytes(packed[:-20])
    articles, failures = split(read_inputs([str(path)]))
    assert articles == []
    assert [failure.code for failure in failures] == ["E105"]


def test_compressed_single_article_is_limited_while_reading(tmp_path: Path, split) -> None:
    path = tmp_path / "bomb.txt.gz"
    path.write_bytes(gzip.compress(b"a" * 3_000_000))  # a few kB on disk, 3 MB inside
    _, failures = split(read_inputs([str(path)], max_bytes=1_000_000))
    assert [failure.code for failure in failures] == ["E109"]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("article.txt", "text"),
        ("articles.jsonl", "jsonl"),
        ("article.html", "html"),
        ("feed.rss", "feed"),
        ("feed.atom", "feed"),
    ],
)
def test_stdin_format_is_sniffed(ingest_data: Path, split, name: str, expected: str) -> None:
    data = (ingest_data / name).read_bytes()
    assert sniff(data[:8192]) == expected
    from_stdin, stdin_failures = split(read_inputs(["-"], stdin=io.BytesIO(data)))
    from_file, _ = split(read_inputs([str(ingest_data / name)]))
    assert stdin_failures == []
    assert [article.text for article in from_stdin] == [article.text for article in from_file]


def test_stdin_gzip_is_undone_then_sniffed(split) -> None:
    articles, failures = split(read_inputs(["-"], stdin=io.BytesIO(gzip.compress(jsonl_lines(4)))))
    assert failures == [] and len(articles) == 4


def test_stdin_failures_name_stdin_and_respect_the_limit(split) -> None:
    _, failures = split(read_inputs(["-"], stdin=io.BytesIO(TEXT.encode("utf-8")), max_bytes=10))
    assert [(failure.code, failure.error.input) for failure in failures] == [("E109", "<stdin>")]
    _, failures = split(read_inputs(["-"], stdin=io.BytesIO(b"\x00\x01binary")))
    assert [failure.code for failure in failures] == ["E103"]
    _, failures = split(read_inputs(["-"], stdin=io.BytesIO(b"")))
    assert [failure.code for failure in failures] == ["E102"]


def test_missing_path_is_e101_and_later_inputs_still_read(ingest_data: Path, split) -> None:
    articles, failures = split(read_inputs(["/no/such/file.txt", str(ingest_data / "article.txt")]))
    assert [(failure.code, failure.error.input) for failure in failures] == [("E101", "/no/such/file.txt")]
    assert len(articles) == 1


def test_unknown_suffix_is_sniffed_and_binary_is_e110(tmp_path: Path, split) -> None:
    (tmp_path / "notes.md").write_text(TEXT, encoding="utf-8")
    (tmp_path / "photo.jpg").write_bytes(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(200))
    articles, failures = split(read_inputs([str(tmp_path)]))
    assert [article.text for article in articles] == [TEXT]
    assert [(failure.code, Path(failure.error.input or "").name) for failure in failures] == [
        ("E110", "photo.jpg")
    ]


def test_suffixes_come_from_the_registered_readers() -> None:
    assert format_from_suffix("a.TXT") == "text"
    assert format_from_suffix("a.ndjson") == "jsonl"
    assert format_from_suffix("a.htm") == "html"
    assert format_from_suffix("a.xml") == "feed"
    assert format_from_suffix("a.warc") == "warc"
    assert format_from_suffix("a.pdf") is None
    assert set(registry.names("reader")) >= {"text", "jsonl", "html", "feed", "warc"}


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b'\n{"text": "x"}\n', "jsonl"),
        (b"WARC/1.0\r\n", "warc"),
        (b"<?xml version='1.0'?><rss><channel><item><description><![CDATA[<html><p>x</p>]]>", "feed"),
        (b"<!DOCTYPE html><html><head><link rel='alternate' href='/feed'>", "html"),
        (b"<?xml version='1.0'?>\n<feed xmlns='http://www.w3.org/2005/Atom'>", "feed"),
        (b"<p>fragment</p>", "text"),
        ("نص عادي".encode(), "text"),
        (b"\x00\x01\x02", None),
        ("نص".encode("utf-16"), "text"),
    ],
)
def test_sniffing(head: bytes, expected: str | None) -> None:
    assert sniff(head) == expected
