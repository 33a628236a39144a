"""From the names a user gives (files, directories, feed URLs, "-") to readers and articles.

Each input's format is found from its suffix (after removing ``.gz``), else by sniffing its
first bytes; gzip is recognised by its magic bytes whatever the name.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

from marsad import registry
from marsad.document import Article
from marsad.errors import Failure, MarsadError
from marsad.ingest.common import (
    DEFAULT_MAX_BYTES,
    GZIP_MAGIC,
    CompressedStreamError,
    bom_encoding,
    gunzip_stream,
    looks_binary,
    peek_head,
)
from marsad.pipeline.base import Reader

Item = Article | Failure

STDIN_NAME = "<stdin>"
# Formats holding one article: refused whole when larger than max_bytes. The others stream.
SINGLE_ARTICLE_FORMATS = frozenset({"text", "html"})
_SNIFF_BYTES = 8192
_MARKUP_MARKERS = (
    (b"<!doctype html", "html"),
    (b"<html", "html"),
    (b"<rss", "feed"),
    (b"<feed", "feed"),
    (b"<rdf:rdf", "feed"),
)


def read_inputs(
    inputs: Iterable[str | os.PathLike[str]],
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    stdin: BinaryIO | None = None,
) -> Iterator[Item]:
    """Yield the articles of every input in turn, and a Failure for each part that cannot be read.

    ``inputs`` are file or directory paths, http(s) feed URLs, or "-" for ``stdin`` (standard
    input when not given). Never raises for a problem in the input itself.
    """
    for name in inputs:
        yield from read_one(os.fspath(name), max_bytes=max_bytes, stdin=stdin)


def read_one(
    name: str, *, max_bytes: int = DEFAULT_MAX_BYTES, stdin: BinaryIO | None = None
) -> Iterator[Item]:
    """Yield the articles of one input: a path, a feed URL or "-"."""
    if name == "-":
        stream = stdin if stdin is not None else sys.stdin.buffer
        yield from _read_stream(stream, source=STDIN_NAME, suffix_name="", max_bytes=max_bytes, owned=False)
        return
    if name.startswith(("http://", "https://")):
        yield from _reader("feed", max_bytes=max_bytes).read_url(name)  # type: ignore[attr-defined]
        return
    if "://" in name:
        yield Failure(MarsadError("E110", "only http and https feed URLs are fetched", input=name))
        return
    path = Path(name)
    if path.is_dir():
        for file in walk(path):
            yield from _read_file(file, max_bytes=max_bytes)
    elif path.exists():
        yield from _read_file(path, max_bytes=max_bytes)
    else:
        yield Failure(MarsadError("E101", "no such file or directory", input=name))


def walk(directory: Path, *, _seen: set[Path] | None = None) -> Iterator[Path]:
    """Yield the files under ``directory``, depth first in sorted order, skipping hidden names."""
    seen = set() if _seen is None else _seen
    real = directory.resolve()
    if real in seen:
        return  # a symbolic link back up the tree would loop forever
    seen.add(real)
    try:
        entries = sorted(directory.iterdir(), key=lambda entry: entry.name)
    except OSError:
        return
    for entry in entries:
        if entry.name.startswith("."):
            continue
        if entry.is_dir():
            yield from walk(entry, _seen=seen)
        elif entry.is_file():
            yield entry


def _read_file(path: Path, *, max_bytes: int) -> Iterator[Item]:
    source = str(path)
    try:
        stream: BinaryIO = path.open("rb")
        size = os.fstat(stream.fileno()).st_size
    except OSError as err:
        yield Failure(MarsadError("E101", f"cannot open: {err.strerror or err}", input=source))
        return
    with stream:
        if format_from_suffix(path.name) in SINGLE_ARTICLE_FORMATS and size > max_bytes:
            if stream.read(2) != GZIP_MAGIC:  # a compressed file's size says nothing: counted while read
                message = f"{size:,} bytes is more than the limit of {max_bytes:,} for one article"
                yield Failure(MarsadError("E109", message, input=source))
                return
            stream.seek(0)
        yield from _read_stream(stream, source=source, suffix_name=path.name, max_bytes=max_bytes, owned=True)


def _read_stream(
    stream: BinaryIO, *, source: str, suffix_name: str, max_bytes: int, owned: bool
) -> Iterator[Item]:
    """Read one stream: undo gzip, find the format, run its reader, report a broken gzip as E105."""
    try:
        yield from _read_stream_unguarded(
            stream, source=source, suffix_name=suffix_name, max_bytes=max_bytes, owned=owned
        )
    except CompressedStreamError as err:
        # Whatever the reader yielded before the cut has already gone out.
        yield Failure(MarsadError("E105", str(err), input=source))
    except OSError as err:
        yield Failure(MarsadError("E101", f"cannot read: {err.strerror or err}", input=source))


def _read_stream_unguarded(
    stream: BinaryIO, *, source: str, suffix_name: str, max_bytes: int, owned: bool
) -> Iterator[Item]:
    head, stream = peek_head(stream, size=_SNIFF_BYTES, close_rest=owned)
    compressed = head.startswith(GZIP_MAGIC)
    if compressed:
        suffix_name = suffix_name[:-3] if suffix_name.lower().endswith(".gz") else ""
        head, stream = peek_head(gunzip_stream(stream), size=_SNIFF_BYTES)
    fmt = format_from_suffix(suffix_name) if suffix_name else None
    if fmt is None:
        fmt = sniff(head)
    if fmt is None:
        if source == STDIN_NAME:
            fmt = "text"  # the text reader then says precisely why it is not text
        else:
            yield Failure(
                MarsadError("E110", "unknown format: not text, HTML, JSONL, a feed or WARC", input=source)
            )
            return
    yield from _reader(fmt, max_bytes=max_bytes).read(stream, source=source)


def format_from_suffix(name: str) -> str | None:
    """Return the name of the reader claiming ``name``'s suffix (registered readers' ``suffixes``)."""
    lower = name.lower()
    best: tuple[int, str] | None = None
    for reader_name in registry.names("reader"):
        for suffix in registry.get("reader", reader_name).suffixes:
            if lower.endswith(suffix) and (best is None or len(suffix) > best[0]):
                best = (len(suffix), reader_name)
    return best[1] if best else None


def sniff(head: bytes) -> str | None:
    """Guess a format from the first bytes of an input; None when they look binary."""
    if looks_binary(head):
        return None
    if bom_encoding(head) not in (None, "utf-8-sig"):
        return "text"  # UTF-16/32 text: markup in these encodings is too rare to sniff for
    start = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    if start.startswith(b"WARC/"):
        return "warc"
    if start.startswith(b"{"):
        return "jsonl"
    if start.startswith(b"<"):
        # The earliest marker wins: a feed may quote HTML in its entries, a page may link a feed.
        lower = start.lower()
        found = [(lower.find(marker), fmt) for marker, fmt in _MARKUP_MARKERS]
        hits = [(position, fmt) for position, fmt in found if position >= 0]
        if hits:
            return min(hits)[1]
    return "text"


def _reader(name: str, *, max_bytes: int) -> Reader:
    reader: Reader = registry.get("reader", name)(max_bytes=max_bytes)
    return reader
