"""Entities and actors: the trained NER model's spans, linked to the actor gazetteer.

Each NER entity that overlaps a gazetteer match gets that match's actor id. A gazetteer match the
model missed is still reported as an entity, typed by the gazetteer. ``actors`` lists each linked
actor once with its mention count (tone is filled later by the tone step).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import Counter
from typing import Any, ClassVar

from marsad.document import Actor, Article, Span
from marsad.pipeline.base import Step
from marsad.registry import register


def decode_bio(tags: list[str]) -> list[tuple[int, int, str]]:
    """Turn BIO tags into ``(first, last_exclusive, type)`` token ranges, conlleval-style.

    An I- tag that does not continue an entity of the same type starts a new one.
    """
    entities: list[tuple[int, int, str]] = []
    current: list[Any] | None = None
    for index, tag in enumerate(tags):
        prefix, _, kind = tag.partition("-")
        if prefix == "B" or (prefix == "I" and (current is None or current[2] != kind)):
            if current is not None:
                entities.append((current[0], index, current[2]))
            current = [index, index + 1, kind]
        elif prefix == "I" and current is not None:
            current[1] = index + 1
        else:
            if current is not None:
                entities.append((current[0], index, current[2]))
            current = None
    if current is not None:
        entities.append((current[0], len(tags), current[2]))
    return entities


@register("step", "entities")
class EntityStep(Step):
    """PER / LOC / ORG / MISC spans with actor ids, and the article's actor list."""

    name = "entities"
    requires: ClassVar[tuple[str, ...]] = ("sentences", "tokens", "normalised")
    provides: ClassVar[tuple[str, ...]] = ("entities", "actors")

    def __init__(self) -> None:
        from marsad.annotate.actors import Gazetteer
        from marsad.models.ner import NerModel

        self.model = NerModel.load()
        self.gazetteer = Gazetteer.load()

    def __call__(self, article: Article) -> Article:
        text = article.text
        tokens = article.views["tokens"]
        model_entities = self._model_entities(article, tokens)
        matches = self.gazetteer.match(text, normalised=article.views.get("normalised"))
        # Matches are in text order and never overlap, so their ends are sorted too.
        match_ends = [match.end for match in matches]

        spans: list[Span] = []
        used: set[int] = set()
        for start, end, kind, score in model_entities:
            first = index = bisect_right(match_ends, start)  # the first match ending after start
            best = None
            while index < len(matches) and matches[index].start < end:
                match = matches[index]
                rank = (match.entity_type == kind, match.end - match.start)
                if best is None or rank > best[0]:
                    best = (rank, index)
                index += 1
            actor = None
            if best is not None:
                actor = matches[best[1]].actor_id
                used.update(range(first, index))
            spans.append(Span(start, end, kind, score, {"actor": actor}))
        for index, match in enumerate(matches):
            if index in used:
                continue
            spans.append(Span(match.start, match.end, match.entity_type, None, {"actor": match.actor_id}))
        article.set_layer("entities", spans)

        mentions = Counter(span.attrs["actor"] for span in spans if span.attrs.get("actor"))
        actors = []
        for actor_id, count in sorted(mentions.items(), key=lambda item: (-item[1], item[0])):
            info = self.gazetteer.actor(actor_id)
            actors.append(Actor(info.id, info.name_ar, info.name_en, info.kind, count, 0.0))
        article.actors = actors
        return article

    def _model_entities(
        self, article: Article, tokens: list[Any]
    ) -> list[tuple[int, int, str, float | None]]:
        text = article.text
        # The tokens that lie wholly inside each sentence (tokens and sentences are in text order).
        starts = [token[0] for token in tokens]
        ends = [token[1] for token in tokens]
        sentences: list[list[Any]] = []
        position = 0
        for sentence in article.layer("sentences"):
            first = bisect_left(starts, sentence.start, lo=position)
            position = bisect_right(ends, sentence.end, lo=first)
            if position > first:
                sentences.append(tokens[first:position])
        tagged = self.model.predict_article([[text[t[0] : t[1]] for t in chunk] for chunk in sentences])
        found: list[tuple[int, int, str, float | None]] = []
        for chunk, tags in zip(sentences, tagged, strict=True):
            if tags.count("O") == len(tags):
                continue
            for first, last, kind in decode_bio(tags):
                found.append((_without_proclitics(chunk[first]), chunk[last - 1].end, kind, None))
        return found


# Clitics that are not part of a name: وروسيا names روسيا. The article stays (الولايات المتحدة).
_DETACHED_ROLES = frozenset({"conj", "prep", "future"})


def _without_proclitics(token: Any) -> int:
    """The start of a token once its leading conjunction and preposition are left out."""
    start = int(token.start)
    for segment in token.segments:
        if segment.role not in _DETACHED_ROLES:
            break
        start = segment.end
    return start
