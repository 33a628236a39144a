"""HTML: trafilatura extraction, our fallback with W102, pages without a body, encodings."""

from __future__ import annotations

from pathlib import Path

from lxml import html as lxml_html

from marsad.ingest import read_inputs
from marsad.ingest.html import extract_article, fallback_paragraphs, html_fragment_paragraphs

PARAGRAPH_1 = "أعلنت وزارة التربية اليوم نتائج الامتحانات النهائية لطلاب المرحلة الثانوية في جميع المحافظات."
PARAGRAPH_2 = "وبلغت نسبة النجاح هذا العام أعلى مستوى لها منذ عشر سنوات، بحسب البيان الرسمي للوزارة."


def test_article_page_gives_body_and_metadata(ingest_data: Path, split) -> None:
    articles, failures = split(read_inputs([str(ingest_data / "article.html")]))
    assert failures == []
    [article] = articles
    paragraphs = article.text.split("\n\n")
    assert len(paragraphs) == 3
    assert paragraphs[0].startswith("افتتحت بلدية المدينة الساحلية")
    assert "الرئيسية" not in article.text  # navigation
    assert "tracker" not in article.text and "جميع الحقوق" not in article.text
    meta = article.meta
    assert meta.title == "افتتاح جسر جديد للمشاة في المدينة الساحلية"
    assert meta.outlet == "جريدة التجربة"
    assert meta.url == "https://example.org/news/bridge"
    assert meta.author == "سامر يوسف"
    assert (
        meta.published == "2022-09-11T08:30:00+03:00"
    )  # the day from trafilatura, the time from the meta tag
    assert "warnings" not in meta.extra


def test_page_with_no_article_body_is_e107(ingest_data: Path, split) -> None:
    articles, failures = split(read_inputs([str(ingest_data / "no_body.html")]))
    assert articles == []
    assert [failure.code for failure in failures] == ["E107"]


def test_fallback_extractor_takes_over_with_w102(ingest_data: Path, split) -> None:
    # Old table layouts: trafilatura (tables excluded) finds nothing; our <p> cluster does.
    articles, failures = split(read_inputs([str(ingest_data / "table_layout.html")]))
    assert failures == []
    [article] = articles
    assert article.text == f"{PARAGRAPH_1}\n\n{PARAGRAPH_2}"
    assert article.meta.extra["warnings"] == ["W102"]
    assert article.meta.title == "نتائج الثانوية العامة"


def test_fallback_prefers_article_element_then_largest_cluster() -> None:
    page = lxml_html.document_fromstring(
        f"<html><body><div><p>قصير</p></div><main><h2>عنوان</h2><p>{PARAGRAPH_1}</p></main></body></html>"
    )
    assert fallback_paragraphs(page) == ["عنوان", PARAGRAPH_1]
    page = lxml_html.document_fromstring(
        f"<html><body><div><p>تعليق</p></div><div><p>{PARAGRAPH_1}</p><p>{PARAGRAPH_2}</p></div></body></html>"
    )
    assert fallback_paragraphs(page) == [PARAGRAPH_1, PARAGRAPH_2]


def test_cp1256_page_declared_in_meta() -> None:
    page = (
        "<html><head><meta http-equiv='Content-Type' content='text/html; charset=windows-1256'>"
        f"<title>نتائج</title></head><body><article><p>{PARAGRAPH_1}</p><p>{PARAGRAPH_2}</p></article></body></html>"
    ).encode("cp1256")
    article = extract_article(page, source="old.html")
    assert article.text == f"{PARAGRAPH_1}\n\n{PARAGRAPH_2}"  # type: ignore[union-attr]


def test_empty_and_binary_pages(tmp_path: Path, split) -> None:
    (tmp_path / "a.html").write_bytes(b"  \n")
    (tmp_path / "b.html").write_bytes(b"\x00\x01\x02GIF89a" * 20)
    _, failures = split(read_inputs([str(tmp_path)]))
    assert [failure.code for failure in failures] == ["E102", "E103"]


def test_oversized_page_is_e109(tmp_path: Path, split) -> None:
    path = tmp_path / "big.html"
    path.write_text(f"<html><body><p>{PARAGRAPH_1 * 50}</p></body></html>", encoding="utf-8")
    _, failures = split(read_inputs([str(path)], max_bytes=1000))
    assert [failure.code for failure in failures] == ["E109"]


def test_fragment_paragraphs_keep_blocks_and_drop_markup() -> None:
    fragment = f"<p>{PARAGRAPH_1}</p><script>x()</script><div>سطر <b>عريض</b><br>سطر ثان</div>"
    assert html_fragment_paragraphs(fragment) == [PARAGRAPH_1, "سطر عريض", "سطر ثان"]
    assert html_fragment_paragraphs("فقرة\nملفوفة\n\nفقرة ثانية") == ["فقرة ملفوفة", "فقرة ثانية"]
