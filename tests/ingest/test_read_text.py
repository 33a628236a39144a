"""Plain text: encodings, empty and binary files, size limit."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from marsad.ingest import read_inputs

ARABIC = (
    "قال الوزير إن الميزانية الجديدة تضم ثلاثة مليارات دينار للتعليم.\n\nوأضاف أن المدارس ستفتح في أيلول."
)


def test_utf8_file_is_one_article_without_title(ingest_data: Path, split) -> None:
    articles, failures = split(read_inputs([str(ingest_data / "article.txt")]))
    assert failures == []
    [article] = articles
    assert article.meta.title is None
    assert article.text.startswith("افتتحت بلدية المدينة الساحلية")
    assert article.text.count("\n\n") == 2
    assert not article.text.endswith("\n")


@pytest.mark.parametrize(
    ("name", "encoded"),
    [
        ("utf8-bom.txt", codecs.BOM_UTF8 + ARABIC.encode("utf-8")),
        ("utf16le.txt", ARABIC.encode("utf-16")),  # Python writes the BOM, little-endian here
        ("utf16be.txt", codecs.BOM_UTF16_BE + ARABIC.encode("utf-16-be")),
        ("cp1256.txt", ARABIC.encode("cp1256")),
        ("crlf.txt", ARABIC.replace("\n", "\r\n").encode("utf-8")),
    ],
)
def test_encodings_decode_to_the_same_text(tmp_path: Path, split, name: str, encoded: bytes) -> None:
    path = tmp_path / name
    path.write_bytes(encoded)
    articles, failures = split(read_inputs([str(path)]))
    assert failures == []
    assert articles[0].text == ARABIC


def test_short_cp1256_text_is_not_mistaken_for_another_code_page(tmp_path: Path, split) -> None:
    path = tmp_path / "short.txt"
    path.write_bytes("عاجل: زلزال".encode("cp1256"))
    articles, _ = split(read_inputs([str(path)]))
    assert articles[0].text == "عاجل: زلزال"


def test_latin_text_in_a_legacy_code_page_is_detected(tmp_path: Path, split) -> None:
    text = "Le président a déclaré que la réunion était très importante pour l'économie régionale."
    path = tmp_path / "french.txt"
    path.write_bytes(text.encode("cp1252"))
    articles, failures = split(read_inputs([str(path)]))
    assert failures == []
    assert "président" in articles[0].text


@pytest.mark.parametrize("content", [b"", b"   \n\t\r\n  ", codecs.BOM_UTF8 + b"\n\n"])
def test_empty_or_whitespace_file_is_e102(tmp_path: Path, split, content: bytes) -> None:
    path = tmp_path / "empty.txt"
    path.write_bytes(content)
    articles, failures = split(read_inputs([str(path)]))
    assert articles == []
    assert [failure.code for failure in failures] == ["E102"]
    assert failures[0].error.input == str(path)


def test_binary_file_is_e103(tmp_path: Path, split) -> None:
    path = tmp_path / "picture.txt"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4)
    _, failures = split(read_inputs([str(path)]))
    assert [failure.code for failure in failures] == ["E103"]


def test_fifty_megabyte_file_is_refused_before_reading(tmp_path: Path, split) -> None:
    path = tmp_path / "huge.txt"
    with path.open("wb") as handle:
        handle.truncate(50_000_000)  # sparse: created instantly, refused by its size alone
    _, failures = split(read_inputs([str(path)]))
    assert [failure.code for failure in failures] == ["E109"]
    assert "50,000,000" in failures[0].error.message


def test_limit_is_a_parameter(tmp_path: Path, split) -> None:
    path = tmp_path / "article.txt"
    path.write_text(ARABIC, encoding="utf-8")
    _, failures = split(read_inputs([str(path)], max_bytes=20))
    assert [failure.code for failure in failures] == ["E109"]
    articles, failures = split(read_inputs([str(path)], max_bytes=len(ARABIC.encode("utf-8"))))
    assert failures == [] and len(articles) == 1
