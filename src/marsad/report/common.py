"""What the terminal and HTML reports share: excerpts, technique definitions, vague sources."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from marsad.document import Article, Span


@dataclass(frozen=True, slots=True)
class TechniqueInfo:
    name: str
    name_ar: str
    name_en: str
    coarse: str
    definition_ar: str
    definition_en: str


@cache
def technique_definitions() -> dict[str, TechniqueInfo]:
    """Return the technique definitions shipped in resources, or none when not installed."""
    import json
    from importlib import resources

    try:
        raw = resources.files("marsad.resources").joinpath("techniques.json").read_text("utf-8")
    except (FileNotFoundError, ModuleNotFoundError):
        return {}
    data: Any = json.loads(raw)
    entries = data.get("techniques", data) if isinstance(data, dict) else data
    if isinstance(entries, dict):
        entries = [{"name": key, **value} for key, value in entries.items()]
    infos = {}
    for entry in entries:
        name = entry.get("name") or entry.get("technique")
        infos[name] = TechniqueInfo(
            name=name,
            name_ar=_pick(entry, "name_ar", "display_ar", "label_ar") or name,
            name_en=_pick(entry, "name_en", "display_en", "label_en") or name.replace("_", " "),
            coarse=_pick(entry, "coarse", "coarse_class") or "",
            definition_ar=_pick(entry, "definition_ar") or "",
            definition_en=_pick(entry, "definition_en") or "",
        )
    return infos


def _pick(entry: dict[str, Any], *keys: str) -> str | None:
    for key in keys:
        value = entry.get(key)
        if isinstance(value, str) and value:
            return value
        if isinstance(value, dict):  # {"ar": ..., "en": ...} shapes
            continue
    return None


def excerpt(text: str, span: Span | dict[str, Any], *, limit: int = 90) -> str:
    """Return the span's surface on one line, shortened in the middle past ``limit`` characters."""
    start, end = (span.start, span.end) if isinstance(span, Span) else (span["start"], span["end"])
    surface = " ".join(text[start:end].split())
    if len(surface) <= limit:
        return surface
    half = limit // 2 - 1
    return surface[:half] + " … " + surface[-half:]


def vague_sources(article: Article) -> list[str]:
    """Return the surfaces of the vague sources the article cites, in order, without repeats."""
    seen: dict[str, None] = {}
    for attribution in article.layer("attributions"):
        source = attribution.attrs.get("source")
        if source and source.get("vague"):
            seen.setdefault(excerpt(article.text, source, limit=60), None)
    return list(seen)
