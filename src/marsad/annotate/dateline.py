"""Datelines (عمّان - بترا، القاهرة (رويترز) -) at the top of an article, and agency credits in it.

Agencies are listed in ``resources/attribution/agencies.tsv``; matching is on the normalised view.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any, ClassVar

from marsad.annotate.attributions import resource_lines
from marsad.document import Article
from marsad.pipeline.base import Step
from marsad.registry import register
from marsad.text.normalise import Normalised, normalise, normalise_text

__all__ = ["DatelineStep", "find_credits", "find_dateline"]

_DASH = r"\-–—"
_WORD = r"[^\W\d_][^\s\-–—():«»\"،.]*"


def _pattern(form: str) -> str:
    """A regex for an agency form: letters of abbreviations may be spaced or dotted (أ ف ب، أ.ف.ب)."""
    words = normalise_text(form).split()
    if all(len(word) == 1 for word in words):
        return r"[\s.]*".join(re.escape(word) for word in words)
    return r"\s+".join(re.escape(word) for word in words)


@cache
def _agencies() -> tuple[dict[str, str], re.Pattern[str]]:
    """Normalised form -> canonical name, and one regex for all forms (longest first)."""
    names: dict[str, str] = {}
    patterns: list[tuple[int, str]] = []
    for line in resource_lines("attribution", "agencies.tsv"):
        canonical, forms = line.split("\t")
        for form in forms.split("|"):
            key = re.sub(r"[\s.]", "", normalise_text(form))
            names[key] = canonical
            patterns.append((len(form), _pattern(form)))
    alternatives = "|".join(pattern for _, pattern in sorted(patterns, reverse=True))
    return names, re.compile(rf"(?<![^\W\d_])(?:{alternatives})(?![^\W\d_])")


def _canonical(surface: str) -> str | None:
    names, _ = _agencies()
    return names.get(re.sub(r"[\s.]", "", normalise_text(surface)))


_DATELINE_RE = re.compile(
    rf"^\s*(?P<place>{_WORD}(?:\s+{_WORD}){{0,2}})\s*"
    rf"(?:\((?P<paren>[^()\n]{{1,40}})\)\s*[{_DASH}:]?|[{_DASH}]\s*(?P<agency>«[^»\n]{{1,40}}»|[^\n.:{_DASH}]{{1,40}}?)?\s*(?=[\n.:{_DASH}]|$)[\n.:{_DASH}]?)"
)


_PLACE_ONLY_RE = re.compile(rf"^\s*(?P<place>{_WORD}(?:\s+{_WORD})?)\s*[{_DASH}]\s")


def _place_only(text: str) -> dict[str, Any] | None:
    """ "واشنطن – أعلن …" or "رويترز - …": a place (or an outlet) and a dash, nothing else."""
    from marsad.annotate.attributions import _bare, fold, lexicon

    match = _PLACE_ONLY_RE.match(text)
    if match is None:
        return None
    place = match.group("place")
    first = fold(normalise_text(place.split()[0]))
    if first in lexicon().cues or _bare(first) in lexicon().cues or len(first) < 3:
        return None
    end = match.end() - 1
    agency = _canonical(place)
    return {"start": match.start("place"), "end": end, "place": None if agency else place, "agency": agency}


def find_dateline(text: str) -> dict[str, Any] | None:
    """The opening "place – agency" of ``text`` as {"start", "end", "place", "agency"}, or None."""
    head = text[:160]
    match = _DATELINE_RE.match(head)
    if match is None:
        return _place_only(head)
    place = match.group("place")
    agency_surface = match.group("paren") or match.group("agency")
    agency: str | None = None
    if agency_surface:
        agency_surface = agency_surface.strip()
        known = _canonical(agency_surface)
        if known is not None:
            agency = known
        elif agency_surface.startswith("«"):
            agency = agency_surface.strip("«» ")
        elif len(agency_surface.split()) <= 3 and match.group("paren"):
            agency = agency_surface
        else:
            return _place_only(head)  # the dash is followed by the first sentence
    if _canonical(place) is not None and agency is None:
        agency, place = _canonical(place), None
    start = match.start("place")
    end = match.end()
    while end > start and (text[end - 1].isspace() or text[end - 1] in "\n"):
        end -= 1
    return {"start": start, "end": end, "place": place, "agency": agency}


def find_credits(
    text: str, *, normalised: Normalised | None = None, skip_before: int = 0
) -> list[dict[str, Any]]:
    """Agency credits inside ``text`` ((أ ف ب)، وكالة الأناضول …) as {"start", "end", "agency"}."""
    if normalised is None:
        normalised = normalise(text)
    _, pattern = _agencies()
    credits: list[dict[str, Any]] = []
    for match in pattern.finditer(normalised.text):
        start, end = normalised.to_original(match.start(), match.end())
        if start < skip_before:
            continue
        agency = _canonical(match.group())
        if agency is None:
            continue
        # Short abbreviations count only in parentheses or after وكالة: وام or قنا may be other words.
        view = normalised.text
        in_parens = view[max(0, match.start() - 2) : match.start()].strip().endswith("(")
        after_agency_word = view[max(0, match.start() - 7) : match.start()].strip().endswith("وكالة")
        if len(re.sub(r"[\s.]", "", match.group())) <= 4 and not (in_parens or after_agency_word):
            continue
        previous = credits[-1] if credits else None
        if previous and previous["agency"] == agency and not text[int(previous["end"]) : start].strip(" ()"):
            previous["end"] = end  # وكالة الأنباء الكويتية (كونا): one credit
            continue
        credits.append({"start": start, "end": end, "agency": agency})
    return credits


@register("step", "dateline")
class DatelineStep(Step):
    """Opening dateline into meta.extra["dateline"], agency credits into meta.extra["credits"]."""

    name: ClassVar[str] = "dateline"
    requires: ClassVar[tuple[str, ...]] = ("normalised",)
    provides: ClassVar[tuple[str, ...]] = ("dateline", "credits")

    def __call__(self, article: Article) -> Article:
        dateline = find_dateline(article.text)
        article.meta.extra["dateline"] = dateline
        skip = dateline["end"] if dateline else 0
        article.meta.extra["credits"] = find_credits(
            article.text, normalised=article.views.get("normalised"), skip_before=skip
        )
        return article
