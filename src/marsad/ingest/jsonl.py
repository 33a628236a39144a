"""The JSONL reader: one JSON object a line, streamed, a bad line reported and skipped."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any, BinaryIO

from marsad import registry
from marsad.document import Article, Meta
from marsad.errors import Failure, MarsadError
from marsad.ingest.common import DEFAULT_MAX_BYTES, clean_field, parse_published
from marsad.pipeline.base import Reader

# Field names accepted for each piece of metadata, first match wins. They cover the
# corpora in ../shared/data (SaudiNewsNet: content/source/date_extracted; ANT: text/src/time).
TEXT_FIELDS = ("text", "content")
OUTLET_FIELDS = ("outlet", "source", "src")
DATE_FIELDS = ("published", "date", "date_extracted", "time")


@registry.register("reader", "jsonl")
class JsonlReader(Reader):
    """Reads one article per line; ``text`` or ``content`` is required, the rest optional.

    The body is the field's value with outer whitespace stripped and nothing else changed, so
    offsets stay valid against the value the user gave. The optional ``id`` is kept as
    ``meta.extra["source_id"]``; the article id stays the hash of its URL or text.
    """

    name = "jsonl"
    suffixes = (".jsonl", ".ndjson")

    def __init__(self, *, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.max_bytes = max_bytes

    def read(self, stream: BinaryIO, *, source: str) -> Iterator[Article | Failure]:
        number = 0
        while True:
            line = stream.readline(self.max_bytes + 1)
            if not line:
                return
            number += 1
            if len(line) > self.max_bytes and not line.endswith(b"\n"):
                _skip_rest_of_line(stream)
                message = f"line {number}: longer than {self.max_bytes:,} bytes; skipped"
                yield Failure(MarsadError("E109", message, input=source))
                continue
            if number == 1:
                line = line.removeprefix(b"\xef\xbb\xbf")
            if not line.strip():
                continue
            yield self._article(line, number=number, source=source)

    def _article(self, line: bytes, *, number: int, source: str) -> Article | Failure:
        try:
            record = json.loads(line.decode("utf-8"))
        except UnicodeDecodeError:
            return _malformed(number, "not UTF-8", source)
        except json.JSONDecodeError as err:
            return _malformed(number, f"not valid JSON ({err.msg} at column {err.colno})", source)
        if not isinstance(record, dict):
            return _malformed(number, f"a JSON {type(record).__name__}, not an object", source)
        return article_from_record(record, number=number, source=source)


def article_from_record(record: Mapping[str, Any], *, number: int, source: str) -> Article | Failure:
    """Build an article from one decoded JSONL object, or a Failure naming the line."""
    present = [name for name in TEXT_FIELDS if name in record]
    if not present:
        return _malformed(number, "no 'text' or 'content' field", source)
    values = [record[name] for name in present]
    if not all(isinstance(value, str) or value is None for value in values):
        return _malformed(number, f"the {present[0]!r} field is not a string", source)
    text = next((value.strip() for value in values if value and value.strip()), "")
    if not text:
        message = f"line {number}: the {present[0]!r} field is empty"
        return Failure(MarsadError("E102", message, input=source))
    meta = Meta(
        title=clean_field(record.get("title")),
        outlet=_first(record, OUTLET_FIELDS),
        url=clean_field(record.get("url")),
        published=parse_published(_first_raw(record, DATE_FIELDS)),
        author=clean_field(record.get("author")),
    )
    source_id = clean_field(record.get("id"))
    if source_id is not None:
        meta.extra["source_id"] = source_id
    return Article(text=text, meta=meta)


def _first(record: Mapping[str, Any], names: tuple[str, ...]) -> str | None:
    for name in names:
        value = clean_field(record.get(name))
        if value is not None:
            return value
    return None


def _first_raw(record: Mapping[str, Any], names: tuple[str, ...]) -> Any:
    for name in names:
        value = record.get(name)
        if value not in (None, ""):
            return value
    return None


def _malformed(number: int, why: str, source: str) -> Failure:
    return Failure(MarsadError("E106", f"line {number}: {why}", input=source))


def _skip_rest_of_line(stream: BinaryIO) -> None:
    # Read the over-long line in bounded pieces so memory stays bounded too.
    while True:
        piece = stream.readline(1 << 20)
        if not piece or piece.endswith(b"\n"):
            return
