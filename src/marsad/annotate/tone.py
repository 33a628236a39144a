"""Tone toward each actor: the mean lexicon tone of the sentences that mention it, in [-1, 1].

A sentence's tone is (positive - negative) / (positive + negative + 1) over the words of the lexicon
under ``resources/tone``; a negator up to four words before a word flips it, an intensifier next to
it weighs it 1.5. Persuasion spans of name calling, doubt and reputation attacks inside a sentence
count as extra negative evidence. Limits: no syntax (the tone of a sentence is given to every actor
it names, whoever is praised or blamed), no sarcasm, a small hand-written lexicon.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import ClassVar

from marsad.annotate.attributions import fold_entry, resource_lines
from marsad.document import Article, Span
from marsad.pipeline.base import Step
from marsad.registry import register
from marsad.text.tokenise import Token, tokenise

__all__ = ["ToneStep", "sentence_tone"]

_NEGATIVE_TECHNIQUES = frozenset({"Name_Calling-Labeling", "Doubt", "Questioning_the_Reputation"})
_INTENSITY = 1.5


@dataclass(frozen=True, slots=True)
class _Lexicon:
    polarity: dict[str, float]
    phrases: dict[str, dict[tuple[str, ...], float]]  # first word -> rest of phrase -> polarity
    negators: frozenset[str]
    intensifiers: frozenset[str]


@cache
def lexicon() -> _Lexicon:
    polarity: dict[str, float] = {}
    phrases: dict[str, dict[tuple[str, ...], float]] = {}
    for name, sign in (("positive.txt", 1.0), ("negative.txt", -1.0)):
        for line in resource_lines("tone", name):
            words = [fold_entry(word) for word in line.split()]
            if len(words) == 1:
                polarity[words[0]] = sign
            else:
                phrases.setdefault(words[0], {})[tuple(words[1:])] = sign
    return _Lexicon(
        polarity=polarity,
        phrases=phrases,
        negators=frozenset(fold_entry(word) for word in resource_lines("tone", "negators.txt")),
        intensifiers=frozenset(fold_entry(word) for word in resource_lines("tone", "intensifiers.txt")),
    )


def _lookup(key: str, table: dict[str, float]) -> float | None:
    """Polarity of ``key`` or of the word without proclitics (و ف ب ل ال, وال، بال، لل …)."""
    value = table.get(key)
    if value is not None:
        return value
    if key.endswith("ا") and len(key) > 3:
        value = _lookup(key[:-1], table)  # tanween alef: نجاحا
        if value is not None:
            return value
    for prefix in ("وال", "بال", "فال", "كال", "لل", "ال", "و", "ف", "ب", "ل"):
        if key.startswith(prefix) and len(key) - len(prefix) >= 2:
            value = table.get(key[len(prefix) :])
            if value is not None:
                return value
    return None


def sentence_tone(tokens: Sequence[Token], *, extra_negative: int = 0) -> float:
    """Tone of one sentence's tokens in [-1, 1]; ``extra_negative`` adds that many negative hits."""
    lex = lexicon()
    keys = [token.norm.replace("ة", "ه") for token in tokens if token.kind == "word"]
    positive = 0.0
    negative = float(extra_negative)
    for index, key in enumerate(keys):
        value = _lookup(key, lex.polarity)
        if value is None:
            continue
        window = keys[max(0, index - 4) : index]
        if any(word in lex.negators for word in window):
            value = -value
        nearby = keys[max(0, index - 1) : index] + keys[index + 1 : index + 3]
        if any(word in lex.intensifiers for word in nearby):
            value *= _INTENSITY
        if value > 0:
            positive += value
        else:
            negative -= value
    if not positive and not negative:
        return 0.0
    return max(-1.0, min(1.0, (positive - negative) / (positive + negative + 1.0)))


def _within(spans: Sequence[Span], start: int, end: int) -> list[Span]:
    return [span for span in spans if start <= span.start and span.end <= end]


@register("step", "tone")
class ToneStep(Step):
    """Fills ``Actor.tone`` for every actor from the sentences that mention it."""

    name: ClassVar[str] = "tone"
    requires: ClassVar[tuple[str, ...]] = ("sentences", "tokens", "entities")
    provides: ClassVar[tuple[str, ...]] = ("tone",)

    def __call__(self, article: Article) -> Article:
        if not article.actors:
            return article
        tokens = article.views.get("tokens") or tokenise(article.text)
        starts = [token.start for token in tokens]
        sentences = article.layer("sentences") or [Span(0, max(1, len(article.text)), "sentence")]
        sentence_starts = [span.start for span in sentences]
        persuasion = [span for span in article.layer("persuasion") if span.label in _NEGATIVE_TECHNIQUES]
        mentioned: dict[str, set[int]] = {}
        for entity in article.layer("entities"):
            actor = entity.get("actor")
            if actor:
                mentioned.setdefault(actor, set()).add(
                    max(0, bisect_right(sentence_starts, entity.start) - 1)
                )
        cache: dict[int, float] = {}
        for actor in article.actors:
            scores = []
            for index in sorted(mentioned.get(actor.id, ())):
                if index not in cache:
                    sentence = sentences[index]
                    first = bisect_right(starts, sentence.start - 1)
                    last = bisect_right(starts, sentence.end - 1)
                    extra = len(_within(persuasion, sentence.start, sentence.end))
                    cache[index] = sentence_tone(tokens[first:last], extra_negative=extra)
                scores.append(cache[index])
            tone = sum(scores) / len(scores) if scores else 0.0
            actor.tone = round(max(-1.0, min(1.0, tone)), 4)
        return article
