"""The feed reader: RSS and Atom, from a local file or fetched once from an http(s) URL.

Only the feed itself is fetched: entry links are never followed, so an entry's text is what
the feed carries (its content, else its summary).
"""

from __future__ import annotations

import http.client
import io
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any, BinaryIO

from marsad import registry
from marsad.document import Article, Meta
from marsad.errors import Failure, MarsadError
from marsad.ingest.common import DEFAULT_MAX_BYTES, clean_field, parse_published
from marsad.ingest.html import html_fragment_paragraphs
from marsad.pipeline.base import Reader

USER_AGENT = "marsad/0.1"
TIMEOUT_SECONDS = 10.0


@registry.register("reader", "feed")
class FeedReader(Reader):
    """Reads every entry of an RSS or Atom feed as one article.

    feedparser parses a whole document, so a feed is held in memory; each entry's text is
    limited to ``max_bytes``.
    """

    name = "feed"
    suffixes = (".rss", ".atom", ".xml")

    def __init__(self, *, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.max_bytes = max_bytes

    def read(self, stream: BinaryIO, *, source: str) -> Iterator[Article | Failure]:
        yield from self.read_bytes(stream.read(), source=source)

    def read_url(self, url: str) -> Iterator[Article | Failure]:
        """Fetch a feed once (10 s timeout) and read it; any network problem is one E108 failure."""
        try:
            data = fetch(url)
        except MarsadError as err:
            yield Failure(err)
            return
        yield from self.read_bytes(data, source=url)

    def read_bytes(self, data: bytes, *, source: str) -> Iterator[Article | Failure]:
        import feedparser

        benign = (feedparser.CharacterEncodingOverride, feedparser.NonXMLContentType)

        if not data.strip():
            yield Failure(MarsadError("E102", "the feed is empty", input=source))
            return
        # A stream, not bytes or a str: feedparser would try a str as a URL or a file name.
        parsed = feedparser.parse(io.BytesIO(data))
        if not parsed.get("version") and not parsed.entries:
            problem = parsed.get("bozo_exception")
            why = f" ({problem})" if problem else ""
            yield Failure(MarsadError("E111", f"not an RSS or Atom feed{why}", input=source))
            return
        outlet = clean_field(parsed.feed.get("title"))
        for number, entry in enumerate(parsed.entries, start=1):
            yield self._article(entry, number=number, outlet=outlet, source=source)
        problem = parsed.get("bozo_exception")
        if parsed.get("bozo") and not isinstance(problem, benign):
            # The loose parser read what it could (a truncated feed, say): say the rest is lost.
            message = f"the feed is malformed ({problem}); {len(parsed.entries)} entries read before it"
            yield Failure(MarsadError("E111", message, input=source))

    def _article(self, entry: Any, *, number: int, outlet: str | None, source: str) -> Article | Failure:
        link = clean_field(entry.get("link"))
        where = f"entry {number}" + (f" ({link})" if link else "")
        markup, from_summary = _entry_markup(entry)
        if len(markup.encode("utf-8")) > self.max_bytes:
            message = f"{where}: text is larger than {self.max_bytes:,} bytes; skipped"
            return Failure(MarsadError("E109", message, input=source))
        paragraphs = html_fragment_paragraphs(markup)
        if not paragraphs:
            return Failure(MarsadError("E102", f"{where}: has no text", input=source))
        author_detail = entry.get("author_detail") or {}
        meta = Meta(
            title=clean_field(entry.get("title")),
            outlet=outlet,
            url=link,
            published=_published(entry),
            author=clean_field(author_detail.get("name")) or clean_field(entry.get("author")),
        )
        if from_summary:
            meta.extra["warnings"] = ["W103"]
        return Article(text="\n\n".join(paragraphs), meta=meta)


def _entry_markup(entry: Any) -> tuple[str, bool]:
    """Return an entry's text markup and whether it came from the summary."""
    for content in entry.get("content") or ():
        value = content.get("value")
        if isinstance(value, str) and value.strip():
            return value, False
    summary = entry.get("summary")
    if isinstance(summary, str) and summary.strip():
        return summary, True
    return "", False


def _published(entry: Any) -> str | None:
    for name in ("published", "updated", "created"):
        value = parse_published(entry.get(name))
        if value is not None:
            return value
    for name in ("published_parsed", "updated_parsed"):
        parsed = entry.get(name)
        if parsed:
            # feedparser gives these in UTC.
            return time.strftime("%Y-%m-%dT%H:%M:%S+00:00", parsed)
    return None


def fetch(url: str) -> bytes:
    """Fetch ``url`` with marsad's User-Agent; raise E108 (its input is the URL) on any failure."""
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
            data: bytes = response.read()
            return data
    except urllib.error.HTTPError as err:
        raise MarsadError("E108", f"the server answered HTTP {err.code} {err.reason}", input=url) from None
    except urllib.error.URLError as err:
        raise MarsadError("E108", f"cannot reach the feed: {err.reason}", input=url) from None
    except (OSError, ValueError, http.client.HTTPException) as err:
        raise MarsadError("E108", f"cannot fetch the feed: {err}", input=url) from None
