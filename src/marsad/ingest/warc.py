"""The WARC reader: every HTML response record of a crawl becomes one article."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from typing import Any, BinaryIO

from marsad import registry
from marsad.document import Article
from marsad.errors import Failure, MarsadError
from marsad.ingest.common import DEFAULT_MAX_BYTES
from marsad.ingest.html import extract_article
from marsad.pipeline.base import Reader

logger = logging.getLogger(__name__)


@registry.register("reader", "warc")
class WarcReader(Reader):
    """Reads response records whose HTTP Content-Type is text/html through the HTML extractor.

    The url is the record's WARC-Target-URI; the date is the page's, else the WARC-Date.
    Compressed WARCs are decompressed by the dispatcher before they reach this reader.
    """

    name = "warc"
    suffixes = (".warc",)

    def __init__(self, *, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.max_bytes = max_bytes

    def read(self, stream: BinaryIO, *, source: str) -> Iterator[Article | Failure]:
        from fastwarc.warc import ArchiveIterator, WarcRecordType

        counted = _CountingStream(stream)
        records = ArchiveIterator(
            counted, parse_http=True, auto_decode="all", stream_detect=False, fsspec_args=False
        )
        skipped = {"not HTML": 0, "no body": 0}
        # (offset, payload length) of the last record seen: its end lies beyond their sum.
        last: tuple[int, int] | None = None
        try:
            for record in records:
                last = (record.stream_pos, record.content_length)
                if record.record_type != WarcRecordType.response:
                    continue
                item = self._record(record, source=source)
                if item == "cut short":
                    yield Failure(MarsadError("E112", "the last WARC record is cut short", input=source))
                    return
                if isinstance(item, str):
                    skipped[item] += 1
                else:
                    yield item
        except OSError as err:
            yield Failure(MarsadError("E112", f"cannot parse the WARC: {err}", input=source))
            return
        except BaseException as err:
            # fastwarc is written in Rust: a panic on malformed input arrives as pyo3's
            # PanicException, which derives from BaseException. Anything else goes on up.
            if type(err).__name__ != "PanicException":
                raise
            yield Failure(MarsadError("E112", f"cannot parse the WARC: {err}", input=source))
            return
        logger.debug("%s: skipped response records: %s", source, skipped)
        if last is None and counted.count:
            yield Failure(MarsadError("E112", "no WARC record found", input=source))
        elif last is not None and last[0] + last[1] > counted.count:
            # fastwarc ends quietly on a record cut short; its declared length tells.
            yield Failure(MarsadError("E112", "the last WARC record is cut short", input=source))

    def _record(self, record: Any, *, source: str) -> Article | Failure | str:
        """Return the record's article or failure, or why it was skipped."""
        uri = record.headers.get("WARC-Target-URI") or None
        where = f"{source} [{uri}]" if uri else source
        if record.content_length > self.max_bytes:
            message = f"record larger than {self.max_bytes:,} bytes; skipped"
            return Failure(MarsadError("E109", message, input=where))
        if not record.is_http_parsed:
            return "no body"
        if (record.http_content_type or "").lower() != "text/html":
            return "not HTML"
        body = record.reader.read()
        encoded = "Transfer-Encoding" in record.http_headers or "Content-Encoding" in record.http_headers
        if not encoded and len(body) < record.content_length:
            return "cut short"  # the file ends inside this record; its page would be partial
        if not body.strip():
            return "no body"
        date = record.record_date
        return extract_article(
            body,
            source=where,
            url=uri,
            charset=record.http_charset,
            fallback_published=date.isoformat() if date is not None else None,
        )


class _CountingStream:
    """Counts the bytes handed to fastwarc, to tell a complete WARC from a truncated one."""

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream
        self.count = 0

    def read(self, size: int = -1) -> bytes:
        data = self._stream.read(size)
        self.count += len(data)
        return data

    def tell(self) -> int:
        return self.count

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        # Only "where am I" is answered: the stream may be a pipe or a decompressor.
        if offset == 0 and whence == io.SEEK_CUR:
            return self.count
        raise io.UnsupportedOperation("the WARC stream is read once, front to back")

    def close(self) -> None:
        self._stream.close()
