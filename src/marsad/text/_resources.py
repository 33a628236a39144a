"""Load the readable data tables under ``marsad/resources/text``."""

from __future__ import annotations

from functools import cache
from importlib.resources import files


@cache
def data_lines(name: str) -> tuple[str, ...]:
    """Non-empty lines of the data file ``name``, with ``#`` comments and surrounding spaces removed."""
    text = files("marsad.resources").joinpath("text", name).read_text(encoding="utf-8")
    lines = []
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if line:
            lines.append(line)
    return tuple(lines)
