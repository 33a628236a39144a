"""Claims: money, percentages, quantities with units, dates and years, tied to their sentence.

Numbers come from ``marsad.text.numbers`` and months from ``marsad.text.months``; what follows or
precedes them (a currency, a unit, a percent sign, a year cue) is read from the token stream with the
tables under ``resources/claims``. Each sentence also gets a check-worthiness score.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from types import MappingProxyType
from typing import Any, ClassVar

from marsad.annotate.attributions import fold_entry, resource_lines
from marsad.document import Article, Span
from marsad.pipeline.base import Step
from marsad.registry import register
from marsad.text.months import month_number
from marsad.text.normalise import Normalised, normalise
from marsad.text.numbers import NumberMatch, find_numbers
from marsad.text.tokenise import Token, tokenise

__all__ = ["ClaimStep", "find_claims"]

# Duals of scale words that the number reader leaves out (مليوني برميل، ملياري دولار).
_DUAL_SCALES = {"مليوني": 2e6, "مليونين": 2e6, "ملياري": 2e9, "مليارين": 2e9}
# Plural scale words alone are "millions of", not a number.
_VAGUE_PLURALS = frozenset(
    fold_entry(w) for w in ["ملايين", "مليارات", "الاف", "الوف", "عشرات", "مئات", "الاف"]
)
_PERCENT_SIGNS = frozenset("%٪")
_PERCENT_WORDS = tuple(
    tuple(fold_entry(word) for word in form.split())
    for form in ("في المئة", "في المائة", "في الميه", "بالمئة", "بالمائة", "بالميه")
)
_YEAR_CUES = frozenset(
    fold_entry(w) for w in ["عام", "العام", "لعام", "بعام", "وعام", "والعام", "سنة", "السنة", "لسنة", "وسنة"]
)
_YEAR_PREPOSITIONS = frozenset(
    fold_entry(w)
    for w in [
        "في",
        "منذ",
        "حتى",
        "خلال",
        "بحلول",
        "مطلع",
        "نهاية",
        "بداية",
        "قبل",
        "بعد",
        "اواخر",
        "اوائل",
        "منتصف",
        "وفي",
        "ومنذ",
    ]
)
_MONTH_CONTEXT = frozenset(
    fold_entry(w) for w in ["في", "منذ", "حتى", "خلال", "بحلول", "شهر", "لشهر", "وفي", "ومنذ"]
)
_RELATIVE = {"الماضي": -1, "المنصرم": -1, "الفايت": -1, "المقبل": 1, "القادم": 1, "الجاري": 0, "الحالي": 0}
_SCALE_ARTICLES = frozenset(fold_entry(w) for w in ["المليون", "المليار", "الالف"])


def _fold(norm: str) -> str:
    return norm.replace("ة", "ه")


@dataclass(frozen=True, slots=True)
class _Tables:
    currencies: dict[str, dict[str, str]]  # head form -> {qualifier form or "-" -> code}
    symbols: dict[str, str]
    units: dict[tuple[str, ...], str]
    unit_lengths: tuple[int, ...]
    qualifiers: dict[tuple[str, ...], tuple[str, str]]  # words -> (canonical, position)
    modifiers: dict[str, str]
    dinar: dict[str, str]


@cache
def tables() -> _Tables:
    currencies: dict[str, dict[str, str]] = {}
    for line in resource_lines("claims", "currencies.tsv"):
        code, heads, qualifier_forms = line.split("\t")
        for head in heads.split("|"):
            slot = currencies.setdefault(fold_entry(head), {})
            for qualifier in qualifier_forms.split("|"):
                slot[qualifier if qualifier == "-" else fold_entry(qualifier)] = code
    symbols: dict[str, str] = {}
    for line in resource_lines("claims", "currency_symbols.tsv"):
        symbol, code = line.split("\t")
        symbols[symbol] = code
    units: dict[tuple[str, ...], str] = {}
    for line in resource_lines("claims", "units.tsv"):
        unit, forms = line.split("\t")
        for form in forms.split("|"):
            units[tuple(fold_entry(word) for word in form.split())] = unit
    qualifiers: dict[tuple[str, ...], tuple[str, str]] = {}
    for line in resource_lines("claims", "qualifiers.tsv"):
        canonical, position, forms = line.split("\t")
        for form in forms.split("|"):
            qualifiers[tuple(fold_entry(word) for word in form.split())] = (canonical, position)
    modifiers = {}
    for line in resource_lines("claims", "date_modifiers.tsv"):
        canonical, forms = line.split("\t")
        for form in forms.split("|"):
            modifiers[fold_entry(form)] = canonical
    dinar = {}
    for line in resource_lines("claims", "dinar_countries.tsv"):
        code, forms = line.split("\t")
        for form in forms.split("|"):
            dinar[fold_entry(form)] = code
    return _Tables(
        currencies=currencies,
        symbols=symbols,
        units=units,
        unit_lengths=tuple(sorted({len(key) for key in units}, reverse=True)),
        qualifiers=qualifiers,
        modifiers=modifiers,
        dinar=dinar,
    )


def _strip_proclitics(key: str, table: Any) -> str:
    """``key`` or the same word without a leading و/ب/ل/ف (one or two) when that is in ``table``."""
    if key in table:
        return key
    for size in (1, 2):
        if len(key) > size + 1 and all(char in "وبلفك" for char in key[:size]) and key[size:] in table:
            return key[size:]
    return key


@cache
def _month_names() -> tuple[frozenset[str], frozenset[str]]:
    """First words of month names (all systems) and those that are also common words."""
    from marsad.text._resources import data_lines

    names = set()
    ambiguous = set()
    for line in data_lines("months.tsv"):
        fields = line.split("\t")
        first = fold_entry(fields[1].split()[0])
        names.add(first)
        if len(fields) > 2 and fields[2] == "ambiguous":
            ambiguous.add(first)
    return frozenset(names), frozenset(ambiguous)


@dataclass(slots=True)
class _Claim:
    start: int
    end: int
    kind: str
    value: Any
    unit: str | None
    qualifier: str | None = None


class _Reader:
    def __init__(self, article: Article, tokens: Sequence[Token], normalised: Normalised) -> None:
        self.article = article
        self.text = article.text
        self.tokens = tokens
        self.keys = [_fold(token.norm) for token in tokens]
        self.starts = [token.start for token in tokens]
        self.normalised = normalised
        self.tables = tables()
        self.claims: list[_Claim] = []
        self.taken: list[tuple[int, int]] = []

    def index_at(self, offset: int) -> int:
        """Index of the first token starting at or after ``offset``."""
        return bisect_right(self.starts, offset - 1)

    def key(self, index: int) -> str:
        return self.keys[index] if 0 <= index < len(self.keys) else ""

    # -- numbers with units ------------------------------------------------------------------

    def numbers(self) -> None:
        matches = list(find_numbers(self.text, normalised=self.normalised))
        matches.extend(self._dual_scales())
        matches.sort(key=lambda match: match.start)
        skip_until = -1
        for position, match in enumerate(matches):
            if match.start < skip_until:
                continue
            after = self.index_at(match.end)
            if (
                match.form == "words"
                and after - self.index_at(match.start) == 1
                and self.key(after - 1) in _VAGUE_PLURALS
            ):
                continue
            value: float = match.value
            end = match.end
            # 7 مليارات و500 مليون دولار: two numbers joined by و make one amount.
            if position + 1 < len(matches):
                following = matches[position + 1]
                joined = self.index_at(following.start)
                between = self.text[match.end : following.start].strip()
                continues = between == "و" or (joined == after and self.keys[joined].startswith("و"))
                if (
                    continues
                    and following.value < value
                    and self._unit_after(self.index_at(following.end))[0]
                ):
                    value += following.value
                    end = following.end
                    after = self.index_at(following.end)
                    skip_until = following.end
            while self.key(after) in _SCALE_ARTICLES:
                after += 1  # مليون ونصف المليون دولار
            claim = self._claim(match, value, end, after)
            if claim is not None:
                claim.qualifier = self._qualifier(self.index_at(match.start))
                self.claims.append(claim)
                self.taken.append((claim.start, claim.end))

    def _dual_scales(self) -> list[NumberMatch]:
        found = []
        for index, key in enumerate(self.keys):
            if key not in _DUAL_SCALES and key[1:] not in _DUAL_SCALES:
                continue
            value = _DUAL_SCALES.get(key)
            if value is None and len(key) > 5 and key[0] in "وب":
                value = _DUAL_SCALES.get(key[1:])
                if value is not None:
                    token = self.tokens[index]
                    found.append(NumberMatch(token.start + 1, token.end, int(value), "words"))
                continue
            if value is not None:
                token = self.tokens[index]
                found.append(NumberMatch(token.start, token.end, int(value), "words"))
        return found

    def _unit_after(self, index: int) -> tuple[str | None, str | None, int]:
        """(kind, unit, index after it) for what follows a number."""
        keys = self.keys
        token = self.tokens[index] if index < len(self.tokens) else None
        if token is None:
            return None, None, index
        surface = self.text[token.start : token.end]
        if surface in _PERCENT_SIGNS:
            return "percent", "%", index + 1
        for words in _PERCENT_WORDS:
            if tuple(keys[index : index + len(words)]) == words:
                return "percent", "%", index + len(words)
        if surface in self.tables.symbols:
            return "money", self.tables.symbols[surface], index + 1
        head = keys[index]
        options = self.tables.currencies.get(head)
        if options is not None:
            qualifier = self.key(index + 1)
            if qualifier in options:
                return "money", options[qualifier], index + 2
            if qualifier == "جنوب" and "جنوب" in options:
                return "money", options["جنوب"], index + 2
            if "-" in options:
                return "money", options["-"], index + 1
            if head.startswith("دينار") or head.startswith("دنانير"):
                return "money", self._dinar(), index + 1
        for size in self.tables.unit_lengths:
            if index + size > len(keys):
                continue
            unit = self.tables.units.get(tuple(keys[index : index + size]))
            if unit is not None:
                return "quantity", unit, index + size
        return None, None, index

    def _dinar(self) -> str | None:
        codes = {self.tables.dinar[key] for key in self.keys if key in self.tables.dinar}
        return codes.pop() if len(codes) == 1 else None

    def _claim(self, match: NumberMatch, value: float, end: int, after: int) -> _Claim | None:
        kind, unit, stop = self._unit_after(after)
        start = match.start
        before = self.index_at(match.start) - 1
        if kind is None and before >= 0:
            symbol = self.text[self.tokens[before].start : self.tokens[before].end]
            if symbol in self.tables.symbols and self.tokens[before].end >= match.start - 1:
                kind, unit, stop = "money", self.tables.symbols[symbol], after
                start = self.tokens[before].start
        if kind is None:
            return None
        if stop > after:
            end = max(end, self.tokens[stop - 1].end)
        number: int | float = int(value) if float(value).is_integer() else value
        if kind == "percent" and isinstance(value, float) and value.is_integer():
            number = int(value)
        return _Claim(start, end, kind, number, unit)

    def _qualifier(self, index: int) -> str | None:
        keys = self.keys
        for size in (4, 3, 2, 1):
            if index - size < 0:
                continue
            words = tuple(keys[index - size : index])
            words = (_strip_proclitics(words[0], {w[0] for w in self.tables.qualifiers}), *words[1:])
            found = self.tables.qualifiers.get(words)
            if found is not None and found[1] == "before":
                return found[0]
        return None

    # -- dates and years ---------------------------------------------------------------------

    def dates(self) -> None:
        names, ambiguous = _month_names()
        keys = self.keys
        tokens = self.tokens
        months: list[tuple[int, int, int]] = []
        index = 0
        while index < len(keys):
            key = keys[index]
            if key in names:
                name = key
            elif key[1:] in names or key[2:] in names:
                name = _strip_proclitics(key, names)
            else:
                index += 1
                continue
            if name not in names or tokens[index].kind != "word":
                index += 1
                continue
            size = 1
            month = month_number(self.text[tokens[index].start : tokens[index].end])
            if month is None and index + 1 < len(keys):
                size = 2  # كانون الثاني، تشرين الأول
                month = month_number(self.text[tokens[index].start : tokens[index + 1].end])
            if month is None:
                index += 1
                continue
            if name in ambiguous and not self._month_context(index, size):
                index += size
                continue
            start = tokens[index].start + (len(key) - len(name))
            months.append((start, tokens[index + size - 1].end, month))
            index += size
        merged: list[tuple[int, int, int]] = []
        for start, end, month in months:
            # حزيران/يونيو: the two systems side by side name one month.
            if (
                merged
                and merged[-1][2] == month
                and self.text[merged[-1][1] : start].strip() in ("/", "-", "(", "")
            ):
                merged[-1] = (merged[-1][0], end, month)
                continue
            merged.append((start, end, month))
        for start, end, month in merged:
            if any(a < end and start < b for a, b in self.taken):
                continue
            self.claims.append(self._date(start, end, month))
            self.taken.append((self.claims[-1].start, self.claims[-1].end))

    def _month_context(self, index: int, size: int) -> bool:
        """Whether a month name that is also a common word (مارس، آب) is used as a month here."""
        previous = self.key(index - 1)
        following = self.key(index + size)
        if previous.isdigit() and 1 <= int(previous) <= 31:
            return True
        if following.isdigit() and len(following) == 4:
            return True
        if previous in _MONTH_CONTEXT or _strip_proclitics(previous, _MONTH_CONTEXT) in _MONTH_CONTEXT:
            return True
        stripped = _strip_proclitics(previous, self.tables.modifiers)
        return (
            stripped in self.tables.modifiers
            or self.text[self.tokens[index].start - 1 : self.tokens[index].start] == "/"
        )

    def _date(self, start: int, end: int, month: int) -> _Claim:
        first = self.index_at(start)
        last = self.index_at(end)  # token after the month
        if last < len(self.tokens) and self.text[self.tokens[last].start] == ")":
            last += 1
        day: int | None = None
        qualifier: str | None = None
        span_start = start
        before = first - 1
        if before >= 0 and self.keys[before].isdigit() and 1 <= int(self.keys[before]) <= 31:
            day = int(self.keys[before])
            span_start = self.tokens[before].start
            before -= 1
        if before >= 0:
            modifier = _strip_proclitics(self.keys[before], self.tables.modifiers)
            if modifier in self.tables.modifiers and day is None:
                qualifier = self.tables.modifiers[modifier]
                token = self.tokens[before]
                span_start = token.start + (len(self.keys[before]) - len(modifier))
        year: int | None = None
        span_end = end
        relative = 0
        following = self.key(last)
        if following.isdigit() and len(following) == 4 and 1800 <= int(following) <= 2200:
            year = int(following)
            span_end = self.tokens[last].end
        elif following in _RELATIVE:
            relative = _RELATIVE[following] or 0
            span_end = self.tokens[last].end
            if relative == 0:
                relative = 2  # الجاري: the article's own year
        if year is None:
            year = self._year_from_published(month, day, relative)
        if year is None:
            value = None
        elif day is not None:
            value = f"{year:04d}-{month:02d}-{day:02d}"
        else:
            value = f"{year:04d}-{month:02d}"
        return _Claim(span_start, span_end, "date", value, None, qualifier)

    def _year_from_published(self, month: int, day: int | None, relative: int) -> int | None:
        published = self.article.meta.published
        if not published or len(published) < 7 or not published[:4].isdigit():
            return None
        year = int(published[:4])
        try:
            current = int(published[5:7])
        except ValueError:
            return year
        if relative == -1:
            return year if month < current or (month == current and day is not None) else year - 1
        if relative == 1:
            return year if month > current else year + 1
        return year

    def years(self) -> None:
        keys = self.keys
        for index, key in enumerate(keys):
            if not (len(key) == 4 and key.isdigit() and 1900 <= int(key) <= 2100):
                continue
            token = self.tokens[index]
            if any(a < token.end and token.start < b for a, b in self.taken):
                continue
            previous = self.key(index - 1)
            if previous in _YEAR_CUES or _strip_proclitics(previous, _YEAR_CUES) in _YEAR_CUES:
                cue = self.tokens[index - 1]
                offset = len(previous) - len(_strip_proclitics(previous, _YEAR_CUES))
                start = cue.start + offset
            elif previous in _YEAR_PREPOSITIONS:
                start = token.start
            else:
                continue
            self.claims.append(_Claim(start, token.end, "year", int(key), None))
            self.taken.append((start, token.end))


def _checkworthiness(article: Article, sentences: Sequence[Span], normalised: Normalised) -> list[float]:
    from marsad.models.checkworthy import load_model, search_view, view_features

    model = load_model()
    # One search view for the whole article, sliced per sentence: same features as scoring each alone.
    view = search_view(normalised.text)
    scores = []
    for span in sentences:
        piece = view[normalised.to_view(span.start) : normalised.to_view(span.end)]
        scores.append(round(model.score_features(view_features(piece)), 4))
    return scores


def find_claims(article: Article, *, checkworthiness: bool = True) -> list[Span]:
    """Claim spans of ``article``; with ``checkworthiness`` also fills meta.extra["checkworthy"]."""
    normalised = article.views.get("normalised") or normalise(article.text)
    tokens = article.views.get("tokens") or tokenise(article.text, normalised=normalised)
    reader = _Reader(article, tokens, normalised)
    reader.numbers()
    reader.dates()
    reader.years()
    sentences = article.layer("sentences") or [Span(0, max(len(article.text), 1), "sentence")]
    sentence_starts = [span.start for span in sentences]
    scores = _checkworthiness(article, sentences, normalised) if checkworthiness and article.text else []
    if checkworthiness:
        ranking = sorted(
            ({"sentence": index, "score": score} for index, score in enumerate(scores)),
            key=lambda item: (-item["score"], item["sentence"]),
        )
        article.meta.extra["checkworthy"] = ranking[:10]
    spans = []
    for claim in reader.claims:
        sentence = max(0, bisect_right(sentence_starts, claim.start) - 1)
        attrs: dict[str, Any] = {"value": claim.value, "unit": claim.unit, "sentence": sentence}
        if claim.qualifier is not None:
            attrs["qualifier"] = claim.qualifier
        if scores:
            attrs["checkworthiness"] = scores[sentence]
        spans.append(Span(claim.start, claim.end, claim.kind, None, MappingProxyType(attrs)))
    return spans


@register("step", "claims")
class ClaimStep(Step):
    """Money, percent, quantity, date and year claims, and per-sentence check-worthiness."""

    name: ClassVar[str] = "claims"
    requires: ClassVar[tuple[str, ...]] = ("sentences", "tokens", "normalised")
    provides: ClassVar[tuple[str, ...]] = ("claims", "checkworthy")

    def __call__(self, article: Article) -> Article:
        article.set_layer("claims", find_claims(article))
        return article
