"""Helpers shared by the readers: bounded reads, decoding, dates, gzip streams.

Nothing here knows about a particular format. Problems a user can cause surface as
``MarsadError`` (caught by the reader, which yields a ``Failure``) or, for a broken
compressed stream, as ``CompressedStreamError`` (caught by the dispatcher, see dispatch.py).
"""

from __future__ import annotations

import codecs
import io
import re
import unicodedata
import zlib
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime
from typing import Any, BinaryIO

from marsad.errors import MarsadError

DEFAULT_MAX_BYTES = 20_000_000
GZIP_MAGIC = b"\x1f\x8b"
_CHUNK = 1 << 16

# Byte-order marks, longest first: the UTF-32 LE mark begins with the UTF-16 LE one.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


class CompressedStreamError(Exception):
    """A gzip stream that ends early or holds corrupt data (reported as E105).

    Deliberately not an ``OSError``: readers that catch their own parsers' ``OSError``
    must let this one through to the dispatcher.
    """


def read_limited(stream: BinaryIO, *, max_bytes: int, source: str, what: str = "input") -> bytes:
    """Read all of ``stream`` unless it holds more than ``max_bytes``; then raise E109.

    Counts while reading, so standard input and decompressed streams are bounded too.
    """
    data = stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise MarsadError("E109", f"{what} is larger than {max_bytes:,} bytes", input=source)
    return data


def bom_encoding(data: bytes) -> str | None:
    """Return the codec named by a leading byte-order mark, or None."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return encoding
    return None


def decode_text(data: bytes, *, source: str, declared: str | None = None) -> str:
    """Decode bytes of text: BOM, then a declared charset, then UTF-8, then cp1256 or detection.

    Raises E103 for binary data and E104 for text in no encoding that can be identified.
    """
    encoding = bom_encoding(data)
    if encoding is not None:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError as err:
            raise MarsadError(
                "E104", f"starts with a {encoding} mark but is not {encoding}", input=source
            ) from err
    if b"\x00" in data:
        raise MarsadError("E103", "holds NUL bytes: this is a binary file, not text", input=source)
    if declared:
        text = _try_decode(data, declared)
        if text is not None:
            return text
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    # Arabic-looking bytes that are not UTF-8 are almost always Windows Arabic (cp1256);
    # generic detectors often guess a Cyrillic or Latin code page for short Arabic texts.
    candidate = data.decode("cp1256")
    if _looks_arabic(candidate):
        return _check_not_binary(candidate, source=source)
    from charset_normalizer import from_bytes  # imported here: only needed for rare inputs

    best = from_bytes(data).best()
    if best is None:
        if _control_share(candidate) > 0.01:
            raise MarsadError("E103", "does not look like text in any encoding", input=source)
        raise MarsadError("E104", "is not UTF-8 and its encoding could not be identified", input=source)
    return _check_not_binary(str(best), source=source)


def _try_decode(data: bytes, encoding: str) -> str | None:
    try:
        return data.decode(encoding)
    except (LookupError, UnicodeDecodeError):
        return None


def _looks_arabic(text: str) -> bool:
    non_ascii = [char for char in text if ord(char) > 127 and char.isalpha()]
    if not non_ascii:
        return False
    arabic = sum(1 for char in non_ascii if "\u0600" <= char <= "\u06ff")
    return arabic / len(non_ascii) >= 0.6


def _control_share(text: str) -> float:
    if not text:
        return 0.0
    controls = sum(1 for char in text if unicodedata.category(char) == "Cc" and char not in "\t\n\r\f\v")
    return controls / len(text)


def _check_not_binary(text: str, *, source: str) -> str:
    if _control_share(text) > 0.01:
        raise MarsadError("E103", "holds control bytes: this is a binary file, not text", input=source)
    return text


def looks_binary(head: bytes) -> bool:
    """True for bytes that are surely not text (NUL bytes without a UTF-16/32 byte-order mark)."""
    return b"\x00" in head and bom_encoding(head) is None


# -- dates ------------------------------------------------------------------------------------

_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def parse_published(value: Any) -> str | None:
    """Return ``value`` as an ISO-8601 date or datetime string, or None when it cannot be read.

    Reads ISO-8601 (with a space or ``T``, with or without offset), RFC 2822
    ("Sun, 18 Feb 2018 21:35:43 +0400") and Unix timestamps in seconds.
    """
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return _from_timestamp(float(value))
    if not isinstance(value, str):
        return None
    raw = value.strip()
    if not raw:
        return None
    if _DATE_ONLY.match(raw):
        try:
            return date.fromisoformat(raw).isoformat()
        except ValueError:
            return None
    try:
        return datetime.fromisoformat(raw).isoformat()
    except ValueError:
        pass
    try:
        return parsedate_to_datetime(raw).isoformat()
    except (TypeError, ValueError, IndexError):
        pass
    if raw.isdigit():
        return _from_timestamp(float(raw))
    return None


def _from_timestamp(seconds: float) -> str | None:
    # Only plausible publication times: 1990 to 2100. Anything else is more likely an id.
    if not 631_152_000 <= seconds <= 4_102_444_800:
        return None
    return datetime.fromtimestamp(seconds, tz=UTC).isoformat()


def clean_field(value: Any) -> str | None:
    """Return a metadata value as a stripped string, or None when absent or empty."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        value = str(value)
    if not isinstance(value, str):
        return None
    value = value.strip()
    return value or None


def body_text(text: str) -> str:
    """Return a body ready to analyse: newlines unified, outer whitespace removed, letters untouched."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text.strip()


# -- gzip -------------------------------------------------------------------------------------


class _GunzipRaw(io.RawIOBase):
    """Decompresses a (possibly multi-member) gzip stream as it is read.

    Unlike ``gzip.GzipFile`` it hands out every byte decompressed before a truncation and
    raises ``CompressedStreamError`` only when asked for more, so a reader keeps all the
    complete records that precede the cut.
    """

    def __init__(self, raw: BinaryIO) -> None:
        super().__init__()
        self._raw = raw
        self._decompressor = zlib.decompressobj(wbits=31)
        self._input = b""
        self._done = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        size = len(buffer)
        while not self._done:
            if self._decompressor.eof:
                if not self._next_member(self._decompressor.unused_data):
                    self._done = True
                    break
                continue
            data = self._decompressor.unconsumed_tail or self._input
            self._input = b""
            if not data:
                data = self._raw.read(_CHUNK)
                if not data:
                    raise CompressedStreamError("the gzip stream ends before its end marker (truncated)")
            try:
                out = self._decompressor.decompress(data, size)
            except zlib.error as err:
                raise CompressedStreamError(f"corrupt gzip data ({err})") from err
            if out:
                buffer[: len(out)] = out
                return len(out)
        return 0

    def _next_member(self, leftover: bytes) -> bool:
        # Another gzip member may follow; zero bytes of padding between members are allowed.
        data = leftover.lstrip(b"\x00")
        while not data:
            data = self._raw.read(_CHUNK)
            if not data:
                return False
            data = data.lstrip(b"\x00")
        self._decompressor = zlib.decompressobj(wbits=31)
        self._input = data
        return True

    def close(self) -> None:
        self._raw.close()
        super().close()


def gunzip_stream(raw: BinaryIO) -> BinaryIO:
    """Wrap a gzip stream in a buffered stream of its decompressed bytes."""
    return io.BufferedReader(_GunzipRaw(raw), buffer_size=_CHUNK)


class _PrefixedRaw(io.RawIOBase):
    """Bytes already read (to sniff a format) followed by the rest of the stream."""

    def __init__(self, head: bytes, rest: BinaryIO, *, close_rest: bool) -> None:
        super().__init__()
        self._head = memoryview(head)
        self._rest = rest
        self._close_rest = close_rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self._head:
            count = min(len(buffer), len(self._head))
            buffer[:count] = self._head[:count]
            self._head = self._head[count:]
            return count
        data = self._rest.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        if self._close_rest:
            self._rest.close()
        super().close()


def peek_head(stream: BinaryIO, *, size: int = 8192, close_rest: bool = True) -> tuple[bytes, BinaryIO]:
    """Return the first ``size`` bytes of ``stream`` and a stream that still yields them.

    With ``close_rest=False`` closing the returned stream leaves ``stream`` open (standard input).
    """
    head = stream.read(size)
    return head, io.BufferedReader(_PrefixedRaw(head, stream, close_rest=close_rest), buffer_size=_CHUNK)
