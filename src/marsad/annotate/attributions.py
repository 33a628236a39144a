"""Attributions: who says what. Direct quotes, reported speech and "according to" phrases.

Rules over the tokens of the text step, one sentence at a time, with the lexicons under
``resources/attribution``. Each attribution has a cue (with its class), a source (or None when the
text names none) and a content span. A source that is only implied (وأضاف أن …) points at the
nearest earlier source of the same paragraph. See docs/attributions-claims-tone.md.
"""

from __future__ import annotations

import itertools
import re
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from types import MappingProxyType
from typing import Any, ClassVar

from marsad.document import Article, Span
from marsad.pipeline.base import Step
from marsad.registry import register
from marsad.text.normalise import normalise_text
from marsad.text.tokenise import Token

__all__ = ["AttributionStep", "find_attributions", "resource_lines"]


@cache
def resource_lines(folder: str, name: str) -> tuple[str, ...]:
    """Non-empty lines of ``resources/<folder>/<name>`` without ``#`` comments (tabs kept)."""
    text = files("marsad.resources").joinpath(folder, name).read_text(encoding="utf-8")
    lines = []
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].rstrip() if not raw.lstrip().startswith("#") else ""
        if line.strip():
            lines.append(line.strip(" "))
    return tuple(lines)


def fold(norm: str) -> str:
    """Lookup key of a normalised word: ta marbuta and ha alike."""
    return norm.replace("ة", "ه")


def fold_entry(word: str) -> str:
    """Lookup key of a word written in a data file (any spelling): normalised, then folded."""
    return fold(normalise_text(word))


@dataclass(frozen=True, slots=True)
class CueEntry:
    cls: str
    type: str
    lemma: str


_NO_CUE = CueEntry("", "", "")


@dataclass(frozen=True, slots=True)
class _Lexicon:
    cues: dict[str, tuple[CueEntry, ...]]
    according: dict[str, tuple[tuple[str, ...], ...]]  # first word -> the phrases (as word tuples)
    vague: dict[str, str]
    anonymity: frozenset[str]


@cache
def lexicon() -> _Lexicon:
    cues: dict[str, list[CueEntry]] = {}
    for line in resource_lines("attribution", "cue_verbs.tsv"):
        cls, kind, lemma, forms = line.split("\t")
        for form in forms.split():
            cues.setdefault(fold_entry(form), []).append(CueEntry(cls, kind, lemma))
    according: dict[str, list[tuple[str, ...]]] = {}
    for line in resource_lines("attribution", "according_to.txt"):
        words = tuple(fold_entry(word) for word in line.split())
        according.setdefault(words[0], []).append(words)
    vague = {}
    for line in resource_lines("attribution", "vague_sources.tsv"):
        head, rule = line.split("\t")
        vague[fold_entry(head)] = rule
    anonymity = frozenset(fold_entry(word) for word in resource_lines("attribution", "anonymity.txt"))
    return _Lexicon(
        cues={key: tuple(value) for key, value in cues.items()},
        according={key: tuple(sorted(value, key=len, reverse=True)) for key, value in according.items()},
        vague=vague,
        anonymity=anonymity,
    )


# Words that end a source noun phrase after the cue (time, place, manner, addressee); folded.
_STOPS = frozenset(
    fold_entry(word)
    for word in [
        "في",
        "خلال",
        "امام",
        "عبر",
        "علي",
        "عن",
        "يوم",
        "اليوم",
        "امس",
        "مساء",
        "صباح",
        "ظهر",
        "الاثنين",
        "الثلاثاء",
        "الاربعاء",
        "الخميس",
        "الجمعة",
        "السبت",
        "الاحد",
        "بعد",
        "قبل",
        "عقب",
        "اثر",
        "حول",
        "لدي",
        "من",
        "الي",
        "قوله",
        "قولها",
        "قولهم",
        "قولهما",
        "بقوله",
        "بقولها",
        "بالقول",
        "ايضا",
        "بدوره",
        "بدورها",
        "بدورهم",
        "مساء",
        "الليلة",
        "الماضي",
        "وسط",
        "اثناء",
        "ضمن",
        "الصحفيين",
        "الصحافيين",
        "للصحفيين",
        "للصحافيين",
        "ردا",
        "تعليقا",
        "معلقا",
        "امام",
        "ل",
        "مؤخرا",
        "لاحقا",
        "اليوم",
        "الجمعة",
    ]
)
# A word after ل that makes ل an addressee (قال لوكالة …، للصحفيين), not part of the source.
_ADDRESSEES = frozenset(
    fold_entry(word)
    for word in [
        "وكالة",
        "قناة",
        "صحيفة",
        "موقع",
        "مجلة",
        "اذاعة",
        "تلفزيون",
        "التلفزيون",
        "الصحفيين",
        "الصحافيين",
        "وسائل",
        "مراسل",
        "مراسلنا",
    ]
)
_COMPLEMENTISERS = frozenset(
    fold_entry(word)
    for word in [
        "ان",
        "انه",
        "انها",
        "انهم",
        "انهما",
        "انهن",
        "اننا",
        "انني",
        "اني",
        "انك",
        "انكم",
        "بان",
        "بانه",
        "بانها",
        "بانهم",
        "بانهما",
        "باننا",
    ]
)
_PRONOUN_COMPLEMENTISERS = _COMPLEMENTISERS - {"ان", "بان"}
# Prepositions some verbs take before their content (أشار إلى أن، شدد على، حذر من).
_BRIDGES: dict[str, frozenset[str]] = {
    "اشار": frozenset({"الي"}),
    "لفت": frozenset({"الي"}),
    "نوه": frozenset({"الي", "ب"}),
    "شدد": frozenset({"علي"}),
    "اكد": frozenset({"علي"}),
    "حذر": frozenset({"من"}),
    "اعرب": frozenset({"عن"}),
}
# Objects a denial takes without أن (نفى الوزير وجود …): they end the source.
_DENIAL_OBJECTS = frozenset(
    fold_entry(word)
    for word in [
        "وجود",
        "صحة",
        "اي",
        "ما",
        "كل",
        "الانباء",
        "التقارير",
        "الروايات",
        "الاتهامات",
        "التهم",
        "الاتهام",
        "تورط",
        "علاقة",
        "الادعاءات",
        "المزاعم",
        "الشايعات",
        "الانباء",
        "مسؤولية",
        "ان",
        "نية",
        "قيام",
        "حدوث",
        "وقوع",
    ]
)
# Clause openers dropped when a subject stands before its verb (وكان الوزير قد أعلن أن).
_CLAUSE_OPENERS = frozenset(
    ["كان", "كانت", "كانوا", "فيما", "بينما", "حيث", "لكن", "لكن", "اما", "ثم", "كما"]
)
_PARTICLE_BEFORE_VERB = frozenset({"قد", "لقد"})
# A source that is only a pronoun (لكنه أضاف، وهو ما أكدته، الذي قال) names no one by itself: the
# attribution takes the nearest earlier source instead, like an implied one.
_PRONOUN_SOURCES = frozenset(
    fold_entry(word)
    for word in [
        "هو",
        "هي",
        "هم",
        "هما",
        "هن",
        "أنا",
        "نحن",
        "أنت",
        "أنتم",
        "لكنه",
        "لكنها",
        "لكنهم",
        "لكنهما",
        "ولكنه",
        "ولكنها",
        "ولكنهم",
        "إنه",
        "إنها",
        "إنهم",
        "أنه",
        "أنها",
        "أنهم",
        "بأنه",
        "بأنها",
        "كما",
        "أنه",
        "الذي",
        "التي",
        "الذين",
        "اللذان",
        "اللتان",
        "اللذين",
        "اللتين",
        "من",
        "ما",
    ]
)
_PREPOSITIONS = frozenset(
    ["في", "من", "علي", "عن", "الي", "خلال", "بعد", "قبل", "منذ", "مع", "ب", "ل", "حتي"]
)
# After في these make an adverbial (قال في بيان), not part of the source (مصادر في الوزارة).
_EVENT_NOUNS = frozenset(
    fold_entry(word)
    for word in [
        "بيان",
        "بيانه",
        "بيانها",
        "تصريح",
        "تصريحات",
        "تصريحه",
        "تصريحها",
        "مؤتمر",
        "كلمة",
        "كلمته",
        "كلمتها",
        "حديث",
        "حديثه",
        "حديثها",
        "مقابلة",
        "لقاء",
        "ختام",
        "اجتماع",
        "جلسة",
        "رسالة",
        "تغريدة",
        "منشور",
        "حسابه",
        "حسابها",
        "اتصال",
        "ندوة",
        "خطاب",
        "خطابه",
        "تقرير",
        "تقريرها",
        "تقريره",
        "وقت",
        "اطار",
        "سياق",
        "معرض",
        "رد",
        "ردها",
        "رده",
        "افتتاح",
    ]
)
# After these, من starts a complement of the source (مصادر مقربة من الحكومة).
_FROM_HEADS = frozenset(
    fold_entry(word) for word in ["مقربة", "مقربون", "مقربين", "قريبة", "قريبون", "المقربة", "المقربين"]
)
_NON_SOURCES = frozenset(
    fold_entry(word) for word in resource_lines("attribution", "according_to_non_sources.txt")
)
_REPORT_HEADS = frozenset(fold_entry(word) for word in ["تقرير", "بيان", "دراسة", "استطلاع"])
_OPENING_QUOTES = "«“„\"‘'"
_QUOTE_RE = re.compile(
    r"«[^«»]{1,2000}»|“[^“”]{1,2000}”|„[^„“”]{1,2000}[“”]|\"[^\"\n]{1,2000}\"|‘[^‘’\n]{1,2000}’|(?<!\w)'[^'\n]{2,2000}'(?!\w)"
)
_NISBA_ENDINGS = ("ي", "يه", "يون", "يين", "ين")
_MAX_SCAN = 16
_MAX_SOURCE = 9


@dataclass(slots=True)
class Attribution:
    """One attribution before it becomes a span; offsets are into the article text."""

    kind: str
    cue: tuple[int, int]
    cls: str
    source: tuple[int, int] | None
    content: tuple[int, int]
    sentence: int
    vague: bool = False
    actor: str | None = None
    resolved: bool = False  # the source is an earlier mention

    def span(self) -> Span:
        start = min(self.cue[0], self.content[0])
        end = max(self.cue[1], self.content[1])
        if self.source is not None and not self.resolved:
            start = min(start, self.source[0])
            end = max(end, self.source[1])
        source = (
            None
            if self.source is None
            else {"start": self.source[0], "end": self.source[1], "actor": self.actor, "vague": self.vague}
        )
        attrs: dict[str, Any] = {
            "cue": {"start": self.cue[0], "end": self.cue[1], "class": self.cls},
            "source": source,
            "content": {"start": self.content[0], "end": self.content[1]},
        }
        return Span(start, end, self.kind, None, MappingProxyType(attrs))


def _key(token: Token) -> str:
    return fold(token.norm)


def _is_word_key(key: str) -> bool:
    return any(ch.isalpha() for ch in key)


def _bare(key: str) -> str:
    """The key without a leading conjunction و or ف."""
    return key[1:] if len(key) > 3 and key[0] in "وف" else key


def _after_lam(key: str) -> str | None:
    """The word after a ل proclitic (لوكالة -> وكاله, للصحفيين -> الصحفيين), else None."""
    if key.startswith("لل") and len(key) > 3:
        return "ال" + key[2:]
    if key.startswith("ل") and len(key) > 2:
        return key[1:]
    return None


def _has_conj(token: Token) -> bool:
    return bool(token.segments) and token.segments[0].role == "conj"


def _is_word(token: Token) -> bool:
    return token.kind in ("word", "latin", "number")


class _Sentence:
    """Tokens of one sentence with helpers; indexes are into ``tokens``."""

    def __init__(self, text: str, tokens: Sequence[Token], keys: Sequence[str], start: int, end: int) -> None:
        self.text = text
        self.tokens = tokens
        self.keys = keys
        self.start = start
        self.end = end

    def trim(self, start: int, end: int) -> tuple[int, int] | None:
        """Shrink a character range over spaces and edge punctuation; None when nothing is left."""
        text = self.text
        while start < end and (text[start].isspace() or text[start] in "،,:;.-–—"):
            start += 1
        while end > start and (text[end - 1].isspace() or text[end - 1] in "،,:;.!؟?-–—"):
            end -= 1
        return (start, end) if start < end else None


def _is_stop(key: str) -> bool:
    bare = _bare(key)
    if key in _STOPS or bare in _STOPS:
        return True
    lam = _after_lam(key)
    return lam is not None and (lam in _ADDRESSEES or lam in _STOPS)


def _noun_phrase(keys: Sequence[str], tokens: Sequence[Token], first: int, last: int) -> int:
    """Index after a short noun phrase starting at ``first`` (a head, its genitive, its adjectives)."""
    if first >= last or not _is_word(tokens[first]) or _is_stop(keys[first]):
        return first
    index = first + 1
    head = _bare(keys[first])
    if (
        not head.startswith("ال")
        and index < last
        and _is_word(tokens[index])
        and not _is_stop(keys[index])
        and keys[index] not in _DENIAL_OBJECTS
    ):
        index += 1  # construct state: وزير الخارجية
    definite_head = head.startswith("ال")
    while index < last and _is_word(tokens[index]):
        key = keys[index]
        if key == "باسم" and index + 1 < last:
            index += 2
            continue
        if key in _DENIAL_OBJECTS or _is_stop(key) or key in _COMPLEMENTISERS:
            break
        if key.startswith("ال") and (key.endswith(_NISBA_ENDINGS) or (definite_head and index - first < 3)):
            index += 1  # الحزب الحاكم، وزارة الدفاع الروسية
            continue
        break
    return index


class _Finder:
    def __init__(self, article: Article, tokens: Sequence[Token]) -> None:
        self.article = article
        self.text = article.text
        self.tokens = tokens
        self.keys = [_key(token) for token in tokens]
        self.lex = lexicon()
        self.quotes: dict[int, tuple[int, int]] = {}
        for match in _QUOTE_RE.finditer(self.text):
            self.quotes[match.start()] = (match.start() + 1, match.end() - 1)
        self.quote_ends = {end: start for start, end in self.quotes.values()}
        self.starts = [token.start for token in tokens]
        # Cues inside a quotation belong to the quoted speaker's words, not to the article.
        self.quoted = sorted(self.quotes.values())
        self.found: list[Attribution] = []

    # -- cue lookup ------------------------------------------------------------------------

    def cue_at(self, index: int) -> CueEntry | None:
        key = self.keys[index]
        entries = self.lex.cues.get(key) or self.lex.cues.get(_bare(key))
        return entries[0] if entries else None

    def according_at(self, index: int, last: int) -> int:
        """Number of tokens of an according-to phrase starting at ``index`` (0 if none)."""
        keys = self.keys
        for key in (keys[index], _bare(keys[index])):
            for phrase in self.lex.according.get(key, ()):
                size = len(phrase)
                if phrase[-1] == "ل":
                    continue  # "وفقا ل": the ل is attached to the next word and handled there
                if index + size <= last and all(
                    _bare(keys[index + k]) == phrase[k] or keys[index + k] == phrase[k]
                    for k in range(1, size)
                ):
                    return size
        return 0

    # -- spans -----------------------------------------------------------------------------

    def chars(self, first: int, last: int) -> tuple[int, int]:
        """Character range of tokens ``first .. last - 1``."""
        return self.tokens[first].start, self.tokens[last - 1].end

    def cue_chars(self, index: int, size: int = 1) -> tuple[int, int]:
        token = self.tokens[index]
        start = token.start
        key = self.keys[index]
        if key not in self.lex.cues and key not in self.lex.according and _bare(key) != key:
            start += 1  # leave the conjunction و/ف out of the cue (وقال، فأكد، ووفقا)
        return start, self.tokens[index + size - 1].end

    def source_start(self, index: int) -> int:
        """Start offset of a source word, after a ل of وفقا ل."""
        token = self.tokens[index]
        key = self.keys[index]
        if key.startswith("ل") and len(key) > 2 and key not in self.lex.vague:
            return token.start + 1
        return token.start

    # -- main loop -------------------------------------------------------------------------

    def run(self) -> list[Attribution]:
        text = self.text
        sentences = self.article.layer("sentences") or [Span(0, len(text), "sentence")]
        starts = [token.start for token in self.tokens]
        for number, sentence in enumerate(sentences):
            first = bisect_right(starts, sentence.start - 1)
            last = bisect_right(starts, sentence.end - 1)
            if first < last:
                self.sentence(number, first, last, sentence)
        return self.found

    def sentence(self, number: int, first: int, last: int, sentence: Span) -> None:
        consumed = -1
        local: list[Attribution] = []
        keys = self.keys
        according = self.lex.according
        cues = self.lex.cues
        index = first
        while index < last:
            if index <= consumed:
                index += 1
                continue
            key = keys[index]
            size = self.according_at(index, last) if key in according or key[1:] in according else 0
            if size:
                found = self.according(number, index, size, first, last, sentence)
                if found is not None:
                    local.append(found[0])
                    consumed = found[1]
                index += size
                continue
            entry = self.cue_at(index) if key in cues or key[1:] in cues else None
            if entry is not None and not self.in_quote(self.tokens[index].start):
                found = self.reported(number, index, entry, first, last, sentence, local)
                if found is not None:
                    local.append(found[0])
                    consumed = found[1]
            index += 1
        # A statement ends where the next one in the sentence begins (…، مشيرا إلى أن …).
        for current, following in itertools.pairwise(local):
            if current.content[0] < following.cue[0] < current.content[1]:
                trimmed = self._trim_before(current.content[0], following.cue[0])
                if trimmed is not None:
                    current.content = trimmed
        seen = {attribution.cue for attribution in self.found}
        self.found.extend(attribution for attribution in local if attribution.cue not in seen)

    def _trim_before(self, start: int, end: int) -> tuple[int, int] | None:
        text = self.text
        stop = end
        # Drop a joining word before the next cue (و، فيما، بينما) and the comma before it.
        chunk = text[start:stop].rstrip()
        for joiner in ("فيما", "بينما", "في حين", "كما", "و"):
            if chunk.endswith(" " + joiner) or chunk.endswith("،" + joiner):
                chunk = chunk[: -len(joiner)]
                break
        stop = start + len(chunk)
        return _Sentence(text, self.tokens, self.keys, start, stop).trim(start, stop)

    # -- reported speech and quotes -----------------------------------------------------------

    def reported(
        self,
        number: int,
        index: int,
        entry: CueEntry,
        first: int,
        last: int,
        sentence: Span,
        local: list[Attribution],
    ) -> tuple[Attribution, int] | None:
        tokens = self.tokens
        keys = self.keys
        text = self.text
        cue_size = 1
        if entry.lemma == "نقل" and index + 1 < last and _bare(keys[index + 1]) == "عن":
            entry = CueEntry(entry.cls, "passive_from", entry.lemma)  # نُقل عن الوزير قوله
        kind_of_cue = entry.type
        if entry.type == "passive_from":
            following = _bare(keys[index + 1]) if index + 1 < last else ""
            if (entry.lemma == "نقل" and following == "عن") or (entry.lemma == "جاء" and following == "في"):
                cue_size = 2
            elif entry.lemma == "نقل":
                kind_of_cue = "verb"
            else:
                return None
        elif entry.type == "participle" and index > first and self.cue_at(index - 1) is not None:
            return None  # تابع قائلا: the verb before carries the attribution
        cue = self.cue_chars(index, cue_size)
        passive = kind_of_cue == "passive" or (kind_of_cue == "verb" and self._marked_passive(index))
        # Scan after the cue for the content's opening: a complementiser, a colon or a quote.
        position = index + cue_size
        scan_end = min(last, position + _MAX_SCAN)
        raw_end = position
        opening: int | None = None  # token index where content begins
        quote: tuple[int, int] | None = None
        bridges = _BRIDGES.get(entry.lemma, frozenset())
        while position < scan_end:
            token = tokens[position]
            key = keys[position]
            char = text[token.start]
            if token.start in self.quotes and char in _OPENING_QUOTES:
                if self._quoted_name(position, last):
                    position = bisect_right(self.starts, self.quotes[token.start][1])
                    raw_end = position
                    continue
                quote = self.quotes[token.start]
                break
            if char == ":":
                opening = position + 1
                if opening < last and tokens[opening].start in self.quotes:
                    quote = self.quotes[tokens[opening].start]
                break
            if key in _COMPLEMENTISERS:
                opening = position if key in _PRONOUN_COMPLEMENTISERS else position + 1
                if opening < last and tokens[opening].start in self.quotes and key in ("ان", "بان"):
                    quote = self.quotes[tokens[opening].start]
                break
            if key in bridges or (
                len(key) > 1 and key[0] == "ب" and "ب" in bridges and key in _COMPLEMENTISERS
            ):
                opening = position + 1
                if opening < last and keys[opening] in _COMPLEMENTISERS:
                    opening = opening if keys[opening] in _PRONOUN_COMPLEMENTISERS else opening + 1
                break
            if char in ".!؟?":
                break
            if entry.type == "verb" and (self.cue_at(position) or _NO_CUE).type == "participle":
                position += 1  # وتابع قائلا إن
                raw_end = position
                continue
            position += 1
            raw_end = position
        raw_first = index + cue_size
        while raw_first < raw_end and (self.cue_at(raw_first) or _NO_CUE).type == "participle":
            raw_first += 1
        source: tuple[int, int] | None = None
        content: tuple[int, int] | None = None
        kind = "reported"
        consumed = index + cue_size - 1
        if quote is not None:
            kind = "quote"
            content = quote
        elif opening is not None:
            end = sentence.end
            content = _Sentence(
                text, tokens, keys, tokens[opening].start if opening < last else end, end
            ).trim(tokens[opening].start if opening < last else end, end)
        # The source between the cue and the opening.
        words = [i for i in range(raw_first, raw_end) if _is_word(tokens[i]) or text[tokens[i].start] in "،,"]
        source_end_index = raw_first
        if content is None and entry.type == "verb":
            before = self._quote_before(index, first)
            if before is not None:
                kind = "quote"
                content = before
                source_end_index = self._source_extent(raw_first, min(last, raw_first + _MAX_SOURCE))
            elif entry.cls == "denial":
                source_end_index = _noun_phrase(keys, tokens, raw_first, last)
                if source_end_index < last:
                    content = self.trim(tokens[source_end_index].start, sentence.end)
            if content is None:
                return None
            if source_end_index > raw_first:
                source = self.chars(raw_first, source_end_index)
        elif content is None:
            return None
        elif entry.type == "participle":
            source = self._participle_source(number, first, index, local)
        elif words and not passive:
            source_end_index = self._source_extent(raw_first, raw_end)
            if source_end_index > raw_first:
                source = self.chars(raw_first, source_end_index)
        if content is None:
            return None
        attribution = Attribution(kind, cue, entry.cls, None, content, number)
        if source is not None:
            source = self.trim(*source)
        if source is None and not passive and entry.type == "verb":
            source = self._subject_before(index, first)
        if source is not None and self._pronoun_only(source):
            source = None
        if source is not None and entry.type != "participle":
            attribution.source = source
            consumed = max(consumed, bisect_right(self.starts, source[1] - 1) - 1)
        elif entry.type == "participle" and source is not None:
            attribution.source = source
            attribution.resolved = source[0] < tokens[first].start
        elif not passive:
            self._resolve(attribution, local)
        if attribution.source is not None and not attribution.resolved:
            attribution.vague, attribution.actor = self.judge(attribution.source)
        return attribution, consumed

    def _pronoun_only(self, source: tuple[int, int]) -> bool:
        first = max(0, bisect_right(self.starts, source[0]) - 1)
        last = bisect_right(self.starts, source[1] - 1)
        keys = [key for key in self.keys[first:last] if _is_word_key(key)]
        return bool(keys) and all(key in _PRONOUN_SOURCES or _bare(key) in _PRONOUN_SOURCES for key in keys)

    def trim(self, start: int, end: int) -> tuple[int, int] | None:
        return _Sentence(self.text, self.tokens, self.keys, start, end).trim(start, end)

    def _marked_passive(self, index: int) -> bool:
        # A damma on the first letter (أُعلن، ذُكر) marks the passive when the text is vocalised.
        token = self.tokens[index]
        surface = self.text[token.start : token.end]
        offset = 1 if _bare(self.keys[index]) != self.keys[index] else 0
        return len(surface) > offset + 1 and surface[offset + 1] == "\u064f"

    def _source_extent(self, first: int, last: int) -> int:
        """Index after the source noun phrase in tokens ``first .. last - 1`` (commas allowed inside)."""
        keys = self.keys
        tokens = self.tokens
        text = self.text
        first_comma: int | None = None
        stop: int | None = None
        for index in range(first, last):
            key = keys[index]
            if text[tokens[index].start] in "،,":
                if first_comma is None:
                    first_comma = index
                continue
            if text[tokens[index].start] in "()" and index > first:
                continue  # وكالة الأنباء الكويتية (كونا)
            if not _is_word(tokens[index]):
                stop = index
                break
            if index > first and _is_stop(key):
                if self._inside_source(index, first):
                    continue
                lam = _after_lam(key)
                # ل inside a name (الأمين العام للجامعة) is part of it; ل before an addressee is not.
                if lam is not None and lam not in _ADDRESSEES and lam not in _STOPS:
                    continue
                stop = index
                break
            if index == first and _is_stop(key):
                return first
        if stop is None:
            end = last
        elif first_comma is not None and first_comma < stop:
            end = first_comma
        else:
            end = stop
        end = min(end, first + _MAX_SOURCE)
        while end > first and text[tokens[end - 1].start] in "،,":
            end -= 1
        return end

    def _quoted_name(self, position: int, last: int) -> bool:
        """A quoted name (لـ«الأفق»، صحيفة «الوطن») rather than quoted words."""
        start, end = self.quotes[self.tokens[position].start]
        if position > 0 and self.keys[position - 1] == "ل":
            return True
        after = bisect_right(self.starts, end)
        words = len(self.text[start:end].split())
        return words <= 3 and after < last and _is_word(self.tokens[after])

    def in_quote(self, offset: int) -> bool:
        index = bisect_right(self.quoted, (offset, len(self.text) + 1)) - 1
        return index >= 0 and self.quoted[index][0] <= offset < self.quoted[index][1]

    def _inside_source(self, index: int, first: int) -> bool:
        """Whether a stop word at ``index`` still belongs to the source noun phrase."""
        keys = self.keys
        key = _bare(keys[index])
        following = keys[index + 1] if index + 1 < len(keys) else ""
        if key == "في" and index - first <= 3:
            return following not in _EVENT_NOUNS and following not in _STOPS and not following.isdigit()
        if key == "من":
            return keys[index - 1] in _FROM_HEADS
        if key == "عن":
            return following in self.lex.anonymity
        return False

    def _quote_before(self, index: int, first: int) -> tuple[int, int] | None:
        """The quote that closes right before a cue («…»، قال), else None."""
        position = index - 1
        while position >= first and self.text[self.tokens[position].start] in "،,":
            position -= 1
        if position < first:
            return None
        closing = self.tokens[position]
        start = self.quote_ends.get(closing.start)
        return None if start is None else (start, closing.start)

    def _subject_before(self, index: int, first: int) -> tuple[int, int] | None:
        """A subject standing before its verb in the same clause (الرئيس قال إن; وكان الوزير قد أكد أن)."""
        keys = self.keys
        tokens = self.tokens
        position = index - 1
        while position >= first and _bare(keys[position]) in _PARTICLE_BEFORE_VERB:
            position -= 1
        end = position + 1
        start = end
        while start > first and _is_word(tokens[start - 1]) and end - start < 7:
            start -= 1
        if start > first and _is_word(tokens[start - 1]):
            return None  # too long to be a subject
        while start < end and _bare(keys[start]) in _CLAUSE_OPENERS:
            start += 1
        if start >= end:
            return None
        lead = _bare(keys[start])
        if lead in _PREPOSITIONS or keys[start] in _PREPOSITIONS or lead in _COMPLEMENTISERS:
            return None
        if any(_is_stop(keys[i]) and _after_lam(keys[i]) is None for i in range(start, end)):
            return None
        span = self.chars(start, end)
        if _has_conj(tokens[start]):
            span = (tokens[start].segments[1].start, span[1])
        return self.trim(*span)

    def _participle_source(
        self, number: int, first: int, index: int, local: list[Attribution]
    ) -> tuple[int, int] | None:
        for attribution in reversed(local):
            if attribution.source is not None:
                return attribution.source
        # The subject of the sentence's first verb: وانتقد زعيم المعارضة القرار، قائلا …
        start = first
        while start < index and not _is_word(self.tokens[start]):
            start += 1
        end = _noun_phrase(self.keys, self.tokens, start + 1, index)
        if end > start + 1:
            return self.trim(*self.chars(start + 1, end))
        return None

    def _resolve(self, attribution: Attribution, local: list[Attribution]) -> None:
        """Point an implied source at the nearest earlier source in the same paragraph."""
        paragraph_start = 0
        for paragraph in self.article.layer("paragraphs"):
            if paragraph.start <= attribution.cue[0] < paragraph.end:
                paragraph_start = paragraph.start
                break
        for earlier in reversed([*self.found, *local]):
            if earlier.cue[0] < paragraph_start:
                break
            if earlier.source is not None:
                attribution.source = earlier.source
                attribution.vague = earlier.vague
                attribution.actor = earlier.actor
                attribution.resolved = True
                return

    # -- according to -------------------------------------------------------------------------

    def according(
        self, number: int, index: int, size: int, first: int, last: int, sentence: Span
    ) -> tuple[Attribution, int] | None:
        tokens = self.tokens
        keys = self.keys
        text = self.text
        cue = self.cue_chars(index, size)
        position = index + size
        if position < last and _bare(keys[index]) == "حسبما" and not keys[position].startswith("ال"):
            position += 1  # حسبما أفادت الوكالة، حسبما تناقلت وسائل الإعلام: skip the verb
        if position < last and _bare(keys[position]) in _NON_SOURCES:
            return None  # حسب الاتفاق: according to an agreement, not to someone
        if position >= last or not _is_word(tokens[position]):
            return None
        source_first = position
        while position < last and position - source_first < _MAX_SOURCE:
            token = tokens[position]
            if not _is_word(token) or keys[position] in _COMPLEMENTISERS or _bare(keys[position]) == "فان":
                break
            position += 1
        source_last = position
        if source_last == source_first:
            return None
        source = self.trim(self.source_start(source_first), tokens[source_last - 1].end)
        if source is None:
            return None
        # Content: after the phrase when it opens the clause, else the clause before it.
        after = source_last
        while after < last and text[tokens[after].start] in "،,":
            after += 1
        at_start = index == first or all(not _is_word(tokens[i]) for i in range(first, index))
        content: tuple[int, int] | None
        if after < last and (keys[after] in _COMPLEMENTISERS or _bare(keys[after]) == "فان"):
            opening = after if keys[after] in _PRONOUN_COMPLEMENTISERS else after + 1
            content = self.trim(tokens[opening].start if opening < last else sentence.end, sentence.end)
        elif at_start:
            content = self.trim(tokens[after].start if after < last else sentence.end, sentence.end)
        else:
            clause_start = self._clause_start(index, first)
            content = self.trim(tokens[clause_start].start, tokens[index].start)
        if content is None:
            return None
        attribution = Attribution("according_to", cue, "neutral", source, content, number)
        attribution.vague, attribution.actor = self.judge(source)
        return attribution, source_last - 1

    def _clause_start(self, index: int, first: int) -> int:
        # The clause an end-placed phrase belongs to starts after an earlier complementiser, if any.
        for position in range(index - 1, first - 1, -1):
            if self.keys[position] in _COMPLEMENTISERS:
                return position + 1 if self.keys[position] not in _PRONOUN_COMPLEMENTISERS else position
        return first

    # -- vague or named ----------------------------------------------------------------------

    def judge(self, source: tuple[int, int]) -> tuple[bool, str | None]:
        """(vague, actor id) for a source span."""
        actor = None
        named_person = False
        for entity in self.article.layer("entities"):
            if entity.start < source[1] and source[0] < entity.end:
                if actor is None and entity.get("actor"):
                    actor = entity.get("actor")
                if entity.label in ("PER", "ORG") and entity.start > source[0]:
                    named_person = True
        first = max(0, bisect_right(self.starts, source[0]) - 1)  # the token holding the start
        last = bisect_right(self.starts, source[1] - 1)
        raw = [key for key in self.keys[first:last] if key not in "،,"]
        keys = [_bare(key) for key in raw]
        if not keys:
            return False, actor
        if any(key in self.lex.anonymity for key in keys):
            return True, actor
        vague = self.lex.vague
        # وسائل must not lose its و; ومصادر must: try the word as written first.
        head = raw[0] if raw[0] in vague else keys[0]
        lam = _after_lam(head)
        rule = vague.get(head) or (vague.get(lam) if lam and head not in self.lex.cues else None)
        if rule is None:
            return False, actor
        if rule == "always":
            return True, actor
        if rule == "indefinite":
            return (not head.startswith("ال") and not named_person), actor
        if rule == "unless_named":
            named = len(keys) > 1 and (keys[1].startswith("ل") or keys[1] in ("صادر", "الصادر"))
            return (not named and not named_person), actor
        return False, actor


def find_attributions(article: Article) -> list[Span]:
    """Attribution spans of ``article`` (uses its tokens view and sentences/paragraphs/entities layers)."""
    tokens = article.views.get("tokens")
    if tokens is None:
        from marsad.text.tokenise import tokenise

        tokens = tokenise(article.text, normalised=article.views.get("normalised"))
    return [attribution.span() for attribution in _Finder(article, tokens).run()]


def vague_share(spans: Sequence[Span]) -> float:
    """Share of attributions whose source is vague or missing (0.0 without attributions)."""
    if not spans:
        return 0.0
    missing = sum(1 for span in spans if span.get("source") is None or span.get("source")["vague"])
    return missing / len(spans)


@register("step", "attributions")
class AttributionStep(Step):
    """Quotes, reported speech and according-to phrases, with cue class, source and content."""

    name: ClassVar[str] = "attributions"
    requires: ClassVar[tuple[str, ...]] = ("sentences", "paragraphs", "tokens")
    provides: ClassVar[tuple[str, ...]] = ("attributions", "vague_sourcing")

    def __call__(self, article: Article) -> Article:
        spans = find_attributions(article)
        article.set_layer("attributions", spans)
        article.scores["vague_sourcing"] = vague_share(spans)
        return article
