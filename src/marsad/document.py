"""The data model: an article, its text, and named layers of stand-off spans.

This module imports nothing else from marsad; everything else imports it.
All offsets are half-open code-point offsets into ``Article.text``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

SCHEMA_ID = "marsad.article/1"

_EMPTY: Mapping[str, Any] = MappingProxyType({})

# The layers of the public contract, in the order ARTICLE_JSON.md lists them.
CONTRACT_LAYERS = ("sentences", "paragraphs", "entities", "attributions", "claims", "persuasion")

# The JSON key that carries a span's label, per layer; layers absent here have a fixed label.
LABEL_KEYS = {
    "entities": "type",
    "attributions": "kind",
    "claims": "kind",
    "persuasion": "technique",
}
FIXED_LABELS = {"sentences": "sentence", "paragraphs": "paragraph"}
# Layers whose JSON objects always carry a "score" key (null allowed where the contract says so).
SCORED_LAYERS = {"paragraphs", "entities", "persuasion"}

META_FIELDS = ("title", "outlet", "url", "published", "author", "language")


class SpanError(ValueError):
    """A span whose offsets do not fit its text."""


@dataclass(frozen=True, slots=True)
class Span:
    """A labelled half-open range ``[start, end)`` of code points in an article's text."""

    start: int
    end: int
    label: str
    score: float | None = None
    attrs: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)

    def __post_init__(self) -> None:
        if not (isinstance(self.start, int) and isinstance(self.end, int)):
            raise SpanError(f"span offsets must be integers, got {self.start!r}, {self.end!r}")
        if self.start < 0 or self.end <= self.start:
            raise SpanError(f"span offsets must satisfy 0 <= start < end, got [{self.start}, {self.end})")

    def __reduce__(self) -> tuple[Any, ...]:
        # Read-only attribute mappings do not pickle; spans cross process boundaries as plain dicts.
        return (_rebuild_span, (self.start, self.end, self.label, self.score, dict(self.attrs)))

    def surface(self, text: str) -> str:
        """Return the part of ``text`` this span covers."""
        return text[self.start : self.end]

    def get(self, key: str, default: Any = None) -> Any:
        return self.attrs.get(key, default)


def _rebuild_span(start: int, end: int, label: str, score: float | None, attrs: dict[str, Any]) -> Span:
    return Span(start, end, label, score, MappingProxyType(attrs) if attrs else _EMPTY)


@dataclass(slots=True)
class Meta:
    """What is known about an article besides its text.

    ``extra`` holds fields added within version 1 of the contract (for example a dateline).
    """

    title: str | None = None
    outlet: str | None = None
    url: str | None = None
    published: str | None = None
    author: str | None = None
    language: str = "ar"
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {name: getattr(self, name) for name in META_FIELDS}
        data.update(self.extra)
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Meta:
        known: dict[str, Any] = {name: data.get(name) for name in META_FIELDS}
        known["language"] = known["language"] or "ar"
        extra = {key: value for key, value in data.items() if key not in META_FIELDS}
        return cls(**known, extra=extra)


@dataclass(slots=True)
class Actor:
    """An actor named in an article, linked to the gazetteer by a stable id."""

    id: str
    name_ar: str
    name_en: str
    kind: str
    mentions: int = 0
    tone: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name_ar": self.name_ar,
            "name_en": self.name_en,
            "kind": self.kind,
            "mentions": self.mentions,
            "tone": self.tone,
        }


def article_id(*, text: str, url: str | None = None) -> str:
    """Return a stable id: a hash of the canonical URL when there is one, else of the text."""
    key = "url:" + canonical_url(url) if url else "text:" + text
    return hashlib.blake2b(key.encode("utf-8"), digest_size=10).hexdigest()


def canonical_url(url: str) -> str:
    """Return ``url`` without its fragment, trailing slash, ``www.`` prefix or scheme case."""
    url = url.strip().split("#", 1)[0]
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url.rstrip("/")
    host, slash, path = rest.partition("/")
    host = host.lower().removeprefix("www.")
    return f"{scheme.lower()}://{host}{slash}{path}".rstrip("/")


@dataclass(slots=True)
class Article:
    """One article: its body exactly as analysed, what is known about it, and its layers."""

    text: str
    meta: Meta = field(default_factory=Meta)
    id: str = ""
    layers: dict[str, list[Span]] = field(default_factory=dict)
    actors: list[Actor] = field(default_factory=list)
    scores: dict[str, float] = field(default_factory=dict)
    # Names of the steps that ran, in order: tells a reader which layers are filled by design.
    steps: list[str] = field(default_factory=list)
    # Derived views shared between steps (the normalised text, tokens); never serialised.
    views: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        if not isinstance(self.text, str):
            raise TypeError(f"Article.text must be a string, got {type(self.text).__name__}")
        if not self.id:
            self.id = article_id(text=self.text, url=self.meta.url)

    def layer(self, name: str) -> list[Span]:
        """Return the named layer (an empty list when no step has filled it)."""
        return self.layers.get(name, [])

    def set_layer(self, name: str, spans: Iterable[Span]) -> None:
        """Replace a layer, checking every span fits the text."""
        spans = sorted(spans, key=lambda span: (span.start, span.end))
        limit = len(self.text)
        for span in spans:
            if span.end > limit:
                raise SpanError(
                    f"span [{span.start}, {span.end}) of layer {name!r} runs past the text (length {limit})"
                )
        self.layers[name] = spans

    # -- the public JSON contract -------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        """Return the article as a ``marsad.article/1`` object."""
        data: dict[str, Any] = {
            "schema": SCHEMA_ID,
            "id": self.id,
            "text": self.text,
            "meta": self.meta.to_json(),
        }
        for name in CONTRACT_LAYERS:
            data[name] = [_span_to_json(name, span) for span in self.layer(name)]
        data["actors"] = [actor.to_json() for actor in self.actors]
        data["scores"] = {
            "propaganda": float(self.scores.get("propaganda", 0.0)),
            "vague_sourcing": float(self.scores.get("vague_sourcing", 0.0)),
            **{k: v for k, v in self.scores.items() if k not in ("propaganda", "vague_sourcing")},
        }
        data["steps"] = list(self.steps)
        return data

    def dumps(self, *, indent: int | None = None) -> str:
        return json.dumps(self.to_json(), ensure_ascii=False, indent=indent)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Article:
        """Build an article from a ``marsad.article/1`` object; the inverse of ``to_json``."""
        if data.get("schema") != SCHEMA_ID:
            raise ValueError(f"not a {SCHEMA_ID} object: schema is {data.get('schema')!r}")
        article = cls(
            text=data["text"],
            meta=Meta.from_json(data.get("meta") or {}),
            id=data["id"],
            actors=[Actor(**actor) for actor in data.get("actors", [])],
            scores=dict(data.get("scores", {})),
            steps=list(data.get("steps", [])),
        )
        for name in CONTRACT_LAYERS:
            article.set_layer(name, (_span_from_json(name, item) for item in data.get(name, [])))
        return article

    @classmethod
    def loads(cls, payload: str) -> Article:
        return cls.from_json(json.loads(payload))


def _span_to_json(layer: str, span: Span) -> dict[str, Any]:
    item: dict[str, Any] = {"start": span.start, "end": span.end}
    label_key = LABEL_KEYS.get(layer)
    if label_key is not None:
        item[label_key] = span.label
    if layer == "paragraphs":
        item["propagandistic"] = bool(span.attrs.get("propagandistic", False))
        item["score"] = 0.0 if span.score is None else span.score
        item["techniques"] = [dict(t) for t in span.attrs.get("techniques", ())]
        item.update({k: v for k, v in span.attrs.items() if k not in ("propagandistic", "techniques")})
        return item
    item.update(span.attrs)
    if layer in SCORED_LAYERS:
        item["score"] = span.score
    return item


def _span_from_json(layer: str, item: Mapping[str, Any]) -> Span:
    label_key = LABEL_KEYS.get(layer)
    label = item[label_key] if label_key else FIXED_LABELS.get(layer, layer)
    reserved = {"start", "end", "score", label_key}
    attrs = {k: v for k, v in item.items() if k not in reserved}
    score = item.get("score")
    return Span(item["start"], item["end"], label, score, MappingProxyType(attrs) if attrs else _EMPTY)
