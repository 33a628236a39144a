"""The HTML reader: trafilatura extracts the article, with a small lxml fallback of our own."""

from __future__ import annotations

import copy
import logging
import re
from collections.abc import Iterator
from typing import Any, BinaryIO

from lxml import etree
from lxml import html as lxml_html

from marsad import registry
from marsad.document import Article, Meta
from marsad.errors import Failure, MarsadError
from marsad.ingest.common import DEFAULT_MAX_BYTES, clean_field, decode_text, parse_published, read_limited
from marsad.pipeline.base import Reader

logger = logging.getLogger(__name__)

# Elements whose text is never article text.
DROPPED = ("script", "style", "noscript", "template", "iframe", "svg", "canvas", "object", "button", "select")
# Page furniture removed before any extraction: trafilatura's last-resort extractor would
# otherwise return a menu as the "article" of a page that has none.
FURNITURE = ("nav", "aside", "form", "footer")
# Elements that start and end a paragraph: HTML blocks and trafilatura's output tags.
BLOCKS = frozenset(
    {
        *("p", "div", "br", "li", "ul", "ol", "dl", "dt", "dd", "blockquote", "pre", "hr", "address"),
        *("h1", "h2", "h3", "h4", "h5", "h6", "table", "tr", "section", "article", "main", "header"),
        *("footer", "figure", "figcaption", "center", "details", "summary"),
        *("head", "item", "list", "quote", "lb", "row", "code"),  # trafilatura's XML
    }
)
_TIMESTAMP_XPATH = (
    '//meta[@property="article:published_time"]/@content'
    ' | //meta[@itemprop="datePublished"]/@content'
    ' | //meta[@name="pubdate"]/@content'
    " | //article//time/@datetime"
)
_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)


@registry.register("reader", "html")
class HtmlReader(Reader):
    """Reads one HTML page as one article: text, title, date, outlet (site name), url, author."""

    name = "html"
    suffixes = (".html", ".htm", ".xhtml")

    def __init__(self, *, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.max_bytes = max_bytes

    def read(self, stream: BinaryIO, *, source: str) -> Iterator[Article | Failure]:
        try:
            data = read_limited(stream, max_bytes=self.max_bytes, source=source)
        except MarsadError as err:
            yield Failure(err)
            return
        yield extract_article(data, source=source)


def extract_article(
    data: bytes,
    *,
    source: str,
    url: str | None = None,
    charset: str | None = None,
    fallback_published: str | None = None,
) -> Article | Failure:
    """Extract the article of one HTML page.

    ``url`` (a crawl's target URI) overrides the page's canonical link; ``charset`` is the
    HTTP header's; ``fallback_published`` is used when the page carries no date.
    Returns a Failure with E102 (empty), E103 (binary) or E107 (no article body).
    """
    try:
        markup = decode_text(data, source=source, declared=charset or declared_charset(data))
    except MarsadError as err:
        return Failure(err)
    if not markup.strip():
        return Failure(MarsadError("E102", "the page is empty", input=source))
    tree = _parse(markup)
    if tree is None:
        return Failure(MarsadError("E107", "the page holds no HTML that could be parsed", input=source))
    _remove(tree, FURNITURE)

    document = _trafilatura(tree, url=url)
    warnings: list[str] = []
    paragraphs = _paragraphs(document.body) if document is not None and document.body is not None else []
    if document is None or not paragraphs:
        paragraphs = fallback_paragraphs(tree)
        warnings.append("W102")
        document = _metadata(tree, url=url)
    meta = Meta(
        title=clean_field(getattr(document, "title", None)),
        outlet=clean_field(getattr(document, "sitename", None)),
        url=url or clean_field(getattr(document, "url", None)),
        published=_published(tree, getattr(document, "date", None)) or fallback_published,
        author=clean_field(getattr(document, "author", None)),
    )
    # The page's own heading repeats the title; the body starts after it.
    if paragraphs and meta.title and _squash(paragraphs[0]) == _squash(meta.title):
        paragraphs = paragraphs[1:]
    if not paragraphs:
        return Failure(MarsadError("E107", "no article text was found on the page", input=source))
    if warnings:
        meta.extra["warnings"] = warnings
    return Article(text="\n\n".join(paragraphs), meta=meta)


def _published(tree: Any, day: str | None) -> str | None:
    """Return the page's date, with its time when a meta tag gives one for the same day.

    trafilatura reports the day only; the time orders copies of one story (who ran it first).
    """
    day = parse_published(day)
    for value in tree.xpath(_TIMESTAMP_XPATH):
        moment = parse_published(value)
        if moment is not None and "T" in moment and (day is None or moment.startswith(day)):
            return moment
    return day


def declared_charset(data: bytes) -> str | None:
    """Return the charset a page declares in a ``<meta>`` tag near its start, if any."""
    match = _CHARSET.search(data[:4096])
    return match.group(1).decode("ascii") if match else None


def _parse(markup: str) -> Any:
    # Re-encoding lets lxml accept pages with an XML declaration, which it refuses in a str.
    parser = lxml_html.HTMLParser(encoding="utf-8", remove_comments=True, remove_pis=True)
    try:
        tree = lxml_html.document_fromstring(markup.encode("utf-8", "surrogatepass"), parser=parser)
    except (etree.ParserError, ValueError):
        return None
    etree.strip_elements(tree, *DROPPED, with_tail=False)
    return tree


def _remove(tree: Any, tags: tuple[str, ...]) -> None:
    etree.strip_elements(tree, *tags, with_tail=False)
    for element in tree.xpath('//*[@role="navigation"]'):
        element.drop_tree()


def _trafilatura(tree: Any, *, url: str | None) -> Any:
    from trafilatura import bare_extraction

    try:
        return bare_extraction(
            copy.deepcopy(tree),
            url=url,
            with_metadata=True,
            favor_precision=True,
            include_comments=False,
            include_tables=False,
            include_images=False,
            deduplicate=False,
        )
    except Exception as err:  # a parser bug on one odd page must not stop a crawl; our fallback runs
        logger.debug("trafilatura failed: %r", err)
        return None


def _metadata(tree: Any, *, url: str | None) -> Any:
    from trafilatura.metadata import extract_metadata

    try:
        return extract_metadata(copy.deepcopy(tree), default_url=url)
    except Exception as err:  # metadata is optional; the text already found is what matters
        logger.debug("trafilatura metadata failed: %r", err)
        return None


def fallback_paragraphs(tree: Any) -> list[str]:
    """Our own extractor: paragraphs and headings in <article>/<main>, else the largest <p> cluster."""
    containers = tree.xpath("//article | //main")
    if containers:
        blocks = containers[0].xpath(".//p | .//h1 | .//h2 | .//h3 | .//h4 | .//h5 | .//h6")
        texts = [_squash(" ".join(block.itertext())) for block in blocks]
        found = [text for text in texts if text]
        if found:
            return found
    clusters: dict[Any, list[str]] = {}
    for paragraph in tree.iter("p"):
        text = _squash(" ".join(paragraph.itertext()))
        if text:
            clusters.setdefault(paragraph.getparent(), []).append(text)
    if not clusters:
        return []
    return max(clusters.values(), key=lambda texts: sum(len(text) for text in texts))


def _paragraphs(root: Any) -> list[str]:
    """Split an element's text into paragraphs at block elements, collapsing inner whitespace."""
    paragraphs: list[str] = []
    current: list[str] = []

    def flush() -> None:
        text = _squash("".join(current))
        if text:
            paragraphs.append(text)
        current.clear()

    for event, element in etree.iterwalk(root, events=("start", "end")):
        block = element.tag in BLOCKS
        if event == "start":
            if block:
                flush()
            if element.text:
                current.append(element.text)
        else:
            if block:
                flush()
            if element.tail and element is not root:
                current.append(element.tail)
    flush()
    return paragraphs


def html_fragment_paragraphs(markup: str) -> list[str]:
    """Return the paragraphs of an HTML fragment (a feed entry's content), markup removed."""
    if "<" not in markup:
        # Plain text: blank lines separate paragraphs; single newlines are soft wraps.
        return [_squash(part) for part in re.split(r"\n\s*\n", markup) if part.strip()]
    parser = lxml_html.HTMLParser(encoding="utf-8", remove_comments=True, remove_pis=True)
    try:
        root = lxml_html.fragment_fromstring(
            markup.encode("utf-8", "surrogatepass"), create_parent="div", parser=parser
        )
    except (etree.ParserError, ValueError):
        return []
    etree.strip_elements(root, *DROPPED, with_tail=False)
    return _paragraphs(root)


def _squash(text: str) -> str:
    return " ".join(text.split())
