"""Entities and actors: the trained NER model's spans, linked to the actor gazetteer.

Each NER entity that overlaps a gazetteer match gets that match's actor id. A gazetteer match the
model missed is still reported as an entity, typed by the gazetteer. ``actors`` lists each linked
actor once with its mention count (tone is filled later by the tone step).
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections import Counter
from difflib import SequenceMatcher
from functools import lru_cache
from typing import TYPE_CHECKING, Any, ClassVar

from marsad.document import Actor, Article, Span
from marsad.models.ner_clusters import normalise_word
from marsad.pipeline.base import Step
from marsad.registry import register

if TYPE_CHECKING:
    from marsad.annotate.actors import ActorMatch


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
        # corpus counts of folded words: evidence for where a name starts (see _name_start)
        self._split_table = self.model.extractor.split_table
        lexicon = self.model.extractor.lexicon
        self._titles: frozenset[str] = frozenset(lexicon.titles) if lexicon is not None else frozenset()
        self._name_words: dict[str, frozenset[str]] = {}
        # first words of the lists' places and organisations, and first names
        self._known_names: frozenset[str] = (
            frozenset(phrase[0] for phrase in lexicon.phrases) | lexicon.first_names
            if lexicon is not None
            else frozenset()
        )

    def __call__(self, article: Article) -> Article:
        text = article.text
        tokens = article.views["tokens"]
        model_entities = self._model_entities(article, tokens)
        matches = self.gazetteer.match(text, normalised=article.views.get("normalised"))
        # Matches are in text order and never overlap, so their ends are sorted too.
        match_ends = [match.end for match in matches]

        spans: list[Span] = []
        linked: list[tuple[int, ActorMatch]] = []  # (index in spans, the match that gave the actor)
        used: set[int] = set()
        absorbed: dict[int, list[tuple[int, int, str, float | None]]] = {}
        for start, end, kind, score, token_start in model_entities:
            first = index = bisect_right(match_ends, start)  # the first match ending after start
            best = None
            while index < len(matches) and matches[index].start < end:
                match = matches[index]
                rank = (match.entity_type == kind, match.end - match.start)
                if best is None or rank > best[0]:
                    best = (rank, index)
                index += 1
            actor = None
            if best is not None and _absorbs(matches[best[1]], start, end, kind):
                # part of a longer listed name: the name is the entity (هونغ + كونغ, أفريقيا in
                # جنوب أفريقيا, الخليج العربية in مجلس التعاون لدول الخليج العربية)
                absorbed.setdefault(best[1], []).append((start, end, kind, score))
                continue
            if best is not None:
                match = matches[best[1]]
                actor = match.actor_id
                used.update(range(first, index))
                if match.start != start and token_start <= match.start < end:
                    between = text[min(start, match.start) : max(start, match.start)]
                    if not any(ch.isspace() for ch in between):
                        # Inside the first token: the gazetteer knows this name and where its
                        # proclitics end (لواشنطن، وبيونغيانغ).
                        start = match.start
                linked.append((len(spans), match))
            spans.append(Span(start, end, kind, score, {"actor": actor}))
        for index, parts in absorbed.items():
            if index in used:  # another entity of the model also overlaps the name: keep the model's
                for start, end, kind, score in parts:
                    linked.append((len(spans), matches[index]))
                    spans.append(Span(start, end, kind, score, {"actor": matches[index].actor_id}))
        for index, match in enumerate(matches):
            if index in used:
                continue
            linked.append((len(spans), match))
            spans.append(Span(match.start, match.end, match.entity_type, None, {"actor": match.actor_id}))
        self._unlink_namesakes(text, spans, linked)
        article.set_layer("entities", spans)

        mentions = Counter(span.attrs["actor"] for span in spans if span.attrs.get("actor"))
        actors = []
        for actor_id, count in sorted(mentions.items(), key=lambda item: (-item[1], item[0])):
            info = self.gazetteer.actor(actor_id)
            actors.append(Actor(info.id, info.name_ar, info.name_en, info.kind, count, 0.0))
        article.actors = actors
        return article

    def _unlink_namesakes(self, text: str, spans: list[Span], linked: list[tuple[int, ActorMatch]]) -> None:
        """Unlink a known person's partial name where the article names someone else by it.

        The gazetteer links a surname or a patronymic alone (روبيو، بن سلمان) to the one person it
        knows by it. When the model reads a longer name around it and none of its other words is
        that person's (لويس روبيو، فيصل بن سلمان), the entity is someone else: it loses the link, and
        so does every partial mention of that person in the article, unless the article also
        names the known person in full. A place or demonym that ends a person's name (لويس باستير،
        منصور التركي) does not link that person to the state either.
        """
        namesakes: set[str] = set()
        full: set[str] = set()
        partial: list[tuple[int, str]] = []
        unlinked: list[int] = []
        for index, match in linked:
            if self.gazetteer.actor(match.actor_id).kind != "person":
                if spans[index].label == "PER" and self._name_before(text, spans[index], match):
                    # a place or a demonym as a person's family name (لويس باستير، منصور التركي)
                    unlinked.append(index)
                continue
            words = _WORDS.findall(text[match.start : match.end])
            if len(words) > 1 and _folded(words[0]) not in _CONNECTORS:
                full.add(match.actor_id)
                continue
            partial.append((index, match.actor_id))
            span = spans[index]
            if span.label != "PER":
                continue
            before = self._name_before(text, span, match)
            if not before:
                continue
            if any(self._same_person(word, match.actor_id) for word in before):
                full.add(match.actor_id)
            else:
                namesakes.add(match.actor_id)
        unlinked.extend(
            index for index, actor_id in partial if actor_id in namesakes and actor_id not in full
        )
        for index in unlinked:
            span = spans[index]
            spans[index] = Span(span.start, span.end, span.label, span.score, {**span.attrs, "actor": None})

    def _name_before(self, text: str, span: Span, match: ActorMatch) -> list[str]:
        """The folded words of a person's span before a match in it, titles and بن/آل left out."""
        if span.start >= match.start:
            return []
        return [
            folded
            for folded in map(_folded, _WORDS.findall(text[span.start : match.start]))
            if folded not in _CONNECTORS and folded not in self._titles
        ]

    def _same_person(self, folded: str, actor_id: str) -> bool:
        """Whether a folded word can be one of the actor's names (spelling variants allowed)."""
        names = self._name_words.get(actor_id)
        if names is None:
            names = frozenset(
                _folded(word)
                for surface, _ in self.gazetteer.surfaces(actor_id)
                for word in _WORDS.findall(surface)
            )
            self._name_words[actor_id] = names
        return any(folded == name or SequenceMatcher(None, folded, name).ratio() >= 0.75 for name in names)

    def _model_entities(
        self, article: Article, tokens: list[Any]
    ) -> list[tuple[int, int, str, float | None, int]]:
        """The model's entities as ``(start, end, type, score, first token's start)``."""
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
        found: list[tuple[int, int, str, float | None, int]] = []
        forms: Counter[str] | None = None
        for chunk, tags in zip(sentences, tagged, strict=True):
            if tags.count("O") == len(tags):
                continue
            for first, last, kind in decode_bio(tags):
                token = chunk[first]
                start = token.start
                if token.pieces:
                    if forms is None:
                        # the article's words: evidence for telling a proclitic from a name's letter
                        forms = Counter(t.norm for t in tokens)
                    start = self._name_start(text, token, forms)
                found.append((start, chunk[last - 1].end, kind, None, token.start))
        return found

    def _name_start(self, text: str, token: Any, forms: Counter[str]) -> int:
        """Where a name starts in its first token: after a conjunction, preposition or future
        prefix (وروسيا، لموسكو، وبالولايات) only when the evidence says the letters are one.

        The tokeniser splits any word that could carry them, and names often begin with the same
        letters (بيونغيانغ، لوبان، فنلندا، كامبريدج، ستيف). The evidence, in order:

        1. the rest stands alone elsewhere in the article: the letters are proclitics;
        2. the rest, not the whole word, is a name of the NER lists (وأفريقيا);
        3. a whole word that recurs in the article is a name (فالكون 9 … فالكون، بلاي ستيشن);
        4. the corpus counts of the NER cluster table (:func:`split_clitics`' rule): the rest must
           be more than twice as common as the whole word (لواشنطن 149, واشنطن 4,946).

        A lone ك, rare before a name, is kept unless the corpus never saw the whole word. A word
        unknown both ways stays whole.
        """
        segments = token.segments
        detachable = 0
        while detachable < len(segments) and segments[detachable].role in _DETACHED_ROLES:
            detachable += 1
        if not detachable:
            return int(token.start)
        whole = _folded(text[token.start : token.end])
        table = self._split_table
        for cut in range(detachable, 0, -1):  # the longest detachment first (وب then و)
            at = segments[cut].start
            # the rest as the tokeniser normalises it (للاتحاد: الاتحاد) ...
            if forms["".join(segment.norm for segment in segments[cut:])]:
                return int(at)  # the rest stands alone elsewhere in the article
            # ... and as the corpus counts are folded
            proclitics = _folded(text[token.start : at])
            rest = _folded(text[at : token.end])
            options = [rest]
            if proclitics.endswith("ل") and rest.startswith("ل"):
                options.append("ا" + rest)  # ل + ال is written لل
            if whole not in self._known_names and any(o in self._known_names for o in options):
                return int(at)  # وأفريقيا: the rest is a name the NER lists hold
            if table is None:
                return int(at)
            known = table.count(whole)
            if proclitics == "ك" and known:
                continue  # ك is rare before a name, and many names begin with it (كاتي، كامبريدج)
            if forms[token.norm] >= 2:
                return int(token.start)  # the whole word recurs: part of the name (فالكون 9 … فالكون)
            if max(table.count(option) for option in options) > 2 * known:
                return int(at)
        return int(token.start)


# Clitics that are not part of a name: وروسيا names روسيا. The article stays (الولايات المتحدة).
_DETACHED_ROLES = frozenset({"conj", "prep", "future"})


_WORDS = re.compile(r"\w+")


def _absorbs(match: ActorMatch, start: int, end: int, kind: str) -> bool:
    """Whether a listed name is the entity the model read only part of: a longer place name around a
    place (جنوب أفريقيا around أفريقيا), or an organisation's name around a place, person or other
    name in it. A longer person or organisation match around the same type is left to the model,
    whose spans leave titles and head nouns out as ANERcorp does (الملك سلمان، تنظيم داعش)."""
    if not (match.start <= start and end <= match.end and match.end - match.start > end - start):
        return False
    return (kind == "LOC" and match.entity_type == "LOC") or (match.entity_type == "ORG" and kind != "ORG")


# Words that link the parts of a name (فيصل بن سلمان), folded.
_CONNECTORS = frozenset(normalise_word(word) for word in ("بن", "ابن", "بنت", "آل"))


@lru_cache(maxsize=100_000)
def _folded(word: str) -> str:
    return normalise_word(word)
