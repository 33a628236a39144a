"""The plain-text reader: one file is one article, the whole file is its body."""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO

from marsad import registry
from marsad.document import Article, Meta
from marsad.errors import Failure, MarsadError
from marsad.ingest.common import DEFAULT_MAX_BYTES, body_text, decode_text, read_limited
from marsad.pipeline.base import Reader


@registry.register("reader", "text")
class TextReader(Reader):
    """Reads UTF-8 (with or without BOM), UTF-16/32 with a BOM, or cp1256 text as one article.

    No line is taken as a title: a short first line could as well be a dateline or a lead.
    """

    name = "text"
    suffixes = (".txt", ".text")

    def __init__(self, *, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.max_bytes = max_bytes

    def read(self, stream: BinaryIO, *, source: str) -> Iterator[Article | Failure]:
        try:
            data = read_limited(stream, max_bytes=self.max_bytes, source=source)
            text = body_text(decode_text(data, source=source))
        except MarsadError as err:
            yield Failure(err)
            return
        if not text:
            yield Failure(
                MarsadError("E102", "the file holds no text (empty or only whitespace)", input=source)
            )
            return
        yield Article(text=text, meta=Meta())
