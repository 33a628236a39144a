"""The actor gazetteer and its matcher: states, organisations, persons and places named in a text.

The data lives in ``marsad/resources/actors/`` as tab-separated files (see docs/actors.md). Variants
are normalised once at load time and stored in a token trie; a text is matched through its
normalised view (alef, hamza, ya and ta marbuta variants folded, marks and tatweel ignored), word by
word, with proclitics (و ف ب ل ك and their combinations, لل for ل + ال) allowed on the first word.
The longest phrase wins, matches never overlap, and offsets point into the original text.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from importlib.resources import files

from marsad.text.normalise import Normalised, normalise, normalise_text

__all__ = ["ActorInfo", "ActorMatch", "Gazetteer", "GazetteerError"]

ACTOR_KINDS = ("state", "organisation", "person", "place", "other")
MATCH_KINDS = ("name", "metonym", "demonym", "institution", "acronym")
# When one actor has the same surface under two kinds, the earlier kind is kept.
_KIND_PRIORITY = {"name": 0, "acronym": 1, "metonym": 2, "institution": 3, "demonym": 4}

_WORD = re.compile(r"\w+")
_CONJUNCTIONS = ("", "و", "ف")
_PREPOSITIONS = ("", "ب", "ل", "ك")
# Demonym suffixes on a masculine singular nisba adjective (روسي): fem. sg., masc. pl. nominative
# and oblique, fem. pl., masc. dual, fem. dual nominative and oblique.
_DEMONYM_SUFFIXES = ("", "ة", "ون", "ين", "ات", "ان", "تان", "تين")


class GazetteerError(ValueError):
    """A gazetteer data file that cannot be read (a malformed line, an unknown id, a stray rule)."""


@dataclass(frozen=True, slots=True)
class ActorInfo:
    """What the gazetteer knows about one actor."""

    id: str
    name_ar: str
    name_en: str
    kind: str
    state: str | None = None  # persons: the ISO code of the state they serve
    roles: tuple[str, ...] = ()  # persons: head-of-state, head-of-government, foreign-minister, ...


@dataclass(frozen=True, slots=True)
class ActorMatch:
    """One actor mention: original-text offsets of the surface (clitics excluded) and how it matched."""

    start: int
    end: int
    actor_id: str
    kind: str  # name, metonym, demonym, institution, acronym
    entity_type: str  # PER, LOC, ORG or MISC


@dataclass(frozen=True, slots=True)
class _Rule:
    drop: bool = False
    after: frozenset[str] | None = None
    not_after: frozenset[str] = frozenset()
    not_before: frozenset[str] = frozenset()
    clitics: str | None = None  # proclitic letters allowed; None means any
    document: bool = False


@dataclass(frozen=True, slots=True)
class _Entry:
    actor_id: str
    kind: str
    entity_type: str
    rule: _Rule | None


@dataclass(slots=True)
class _Node:
    children: dict[str, _Node] = field(default_factory=dict)
    entries: list[_Entry] = field(default_factory=list)


@dataclass(slots=True)
class _Variant:
    actor_id: str
    kind: str
    entity_type: str
    surface: str  # as written in the data
    source: str  # the data string it was generated from (a demonym adjective, a state name)


def fold(text: str) -> str:
    """The matching form of a phrase: the normalised view with ta marbuta folded to ha."""
    return normalise_text(text).replace("ة", "ه")


def _fold_tokens(text: str) -> tuple[str, ...]:
    return tuple(_WORD.findall(fold(text)))


# -- reading the data files --------------------------------------------------------------------


def _rows(name: str, columns: int) -> Iterator[list[str]]:
    text = files("marsad.resources").joinpath("actors", name).read_text(encoding="utf-8")
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        cells = [cell.strip() for cell in line.split("\t")]
        if len(cells) != columns:
            raise GazetteerError(
                f"{name} line {number}: expected {columns} tab-separated columns, got {len(cells)}"
            )
        yield cells


def _values(cell: str) -> list[str]:
    if cell == "-":
        return []
    return [value.strip() for value in cell.split(";") if value.strip()]


def _demonym_forms(adjective: str) -> list[str]:
    """Every gender, number and definiteness of a (possibly multi-word) nisba adjective."""
    words = adjective.split()
    forms = []
    for suffix in _DEMONYM_SUFFIXES:
        forms.append(" ".join(word + suffix for word in words))
        forms.append(" ".join("ال" + word + suffix for word in words))
    return forms


def _definite(adjective: str, *, feminine: bool) -> str:
    suffix = "ة" if feminine else ""
    return " ".join("ال" + word + suffix for word in adjective.split())


def _parse_rule(text: str, *, where: str) -> _Rule:
    values: dict[str, object] = {}
    for part in text.split(";"):
        part = part.strip()
        if not part:
            continue
        key, _, argument = part.partition("=")
        words = frozenset(fold(word) for word in argument.split("،") if word.strip())
        if key == "drop":
            values["drop"] = True
        elif key == "document":
            values["document"] = True
        elif key == "after":
            values["after"] = words
        elif key == "not-after":
            values["not_after"] = words
        elif key == "not-before":
            values["not_before"] = words
        elif key == "clitics":
            values["clitics"] = argument.strip()
        else:
            raise GazetteerError(f"{where}: unknown rule {key!r}")
    return _Rule(**values)  # type: ignore[arg-type]


class Gazetteer:
    """The actors marsad knows and a fast matcher for their names in Arabic text."""

    def __init__(self) -> None:
        self._actors: dict[str, ActorInfo] = {}
        self._variants: list[_Variant] = []
        self._root: dict[str, _Node] = {}
        # first word as written (proclitics attached) -> (proclitic length, trie node), shortest first
        self._first: dict[str, list[tuple[int, _Node]]] = {}
        self._rules: dict[tuple[str, str, str], _Rule] = {}
        self.counts: dict[str, int] = {}

    @classmethod
    def load(cls) -> Gazetteer:
        """The gazetteer built from the package data (built once, then cached)."""
        return _load()

    # -- lookup -------------------------------------------------------------------------------

    def actor(self, actor_id: str) -> ActorInfo:
        """The actor with this id; raises KeyError for an unknown id."""
        return self._actors[actor_id]

    def actors(self) -> list[ActorInfo]:
        """Every actor, in data-file order."""
        return list(self._actors.values())

    def surfaces(self, actor_id: str) -> list[tuple[str, str]]:
        """Every (surface, match kind) the gazetteer holds for an actor, generated forms included."""
        return [(v.surface, v.kind) for v in self._variants if v.actor_id == actor_id]

    def shared_surfaces(self) -> dict[str, list[str]]:
        """Matchable surfaces that belong to several actors without a rule deciding between them."""
        shared: dict[str, list[str]] = {}

        def walk(node: _Node, path: tuple[str, ...]) -> None:
            ungated = {entry.actor_id for entry in node.entries if entry.rule is None}
            actors = {entry.actor_id for entry in node.entries}
            if len(actors) > 1 and ungated:
                shared[" ".join(path)] = sorted(actors)
            for word, child in node.children.items():
                walk(child, (*path, word))

        for word, node in self._root.items():
            walk(node, (word,))
        return shared

    # -- building -----------------------------------------------------------------------------

    def _add_actor(self, info: ActorInfo) -> None:
        if info.id in self._actors:
            raise GazetteerError(f"actor id {info.id!r} is defined twice")
        if info.kind not in ACTOR_KINDS:
            raise GazetteerError(f"actor {info.id!r} has unknown kind {info.kind!r}")
        self._actors[info.id] = info

    def _add(
        self, actor_id: str, kind: str, entity_type: str, surface: str, source: str | None = None
    ) -> None:
        self._variants.append(_Variant(actor_id, kind, entity_type, surface, source or surface))

    def _has_rule(self, surface: str, actor_id: str, kind: str) -> bool:
        return (fold(surface), actor_id, kind) in self._rules

    def _read(self) -> None:
        for surface, actor_id, kinds, rule, _reason in _rows("rules.tsv", 5):
            for kind in kinds.split(","):
                if kind not in MATCH_KINDS:
                    raise GazetteerError(f"rules.tsv: unknown kind {kind!r} for {surface!r}")
                star = "*" if surface.startswith("*") else ""
                key = (star + fold(surface.lstrip("*")), actor_id, kind)
                self._rules[key] = _parse_rule(rule, where=f"rules.tsv {surface!r}")

        heads = [
            (gender, entity_type, head, construct)
            for gender, entity_type, head, construct in _rows("institution_heads.tsv", 4)
        ]
        for state_id, name_en, name_ar, names, capitals, seats, adjectives, plurals in _rows("states.tsv", 8):
            self._add_actor(ActorInfo(state_id, name_ar, name_en, "state"))
            all_names = [name_ar, *[n for n in _values(names) if n != name_ar]]
            for name in all_names:
                self._add(state_id, "name", "LOC", name)
            for capital in _values(capitals):
                self._add(state_id, "metonym", "LOC", capital)
            for seat in _values(seats):
                self._add(state_id, "metonym", "ORG", seat)
            for adjective in _values(adjectives):
                for form in _demonym_forms(adjective):
                    self._add(state_id, "demonym", "MISC", form, adjective)
                for gender, entity_type, head, _construct in heads:
                    phrase = f"{head} {_definite(adjective, feminine=gender == 'f')}"
                    self._add(state_id, "institution", entity_type, phrase, adjective)
            for plural in _values(plurals):
                for form in (plural, "ال" + plural):
                    self._add(state_id, "demonym", "MISC", form, plural)
            for name in all_names:
                # A gated name stays gated: its construct phrases (حكومة كوريا) are not generated.
                if self._has_rule(name, state_id, "name"):
                    continue
                for _gender, entity_type, _head, construct in heads:
                    if construct != "-":
                        self._add(state_id, "institution", entity_type, f"{construct} {name}", "name:" + name)

        for org_id, name_en, name_ar, names, acronyms, bodies in _rows("organisations.tsv", 6):
            self._add_actor(ActorInfo(org_id, name_ar, name_en, "organisation"))
            for name in [name_ar, *_values(names)]:
                self._add(org_id, "name", "ORG", name)
            for acronym in _values(acronyms):
                self._add(org_id, "acronym", "ORG", acronym)
                if acronym.isascii():
                    self._add(org_id, "acronym", "ORG", acronym.lower())
            for body in _values(bodies):
                self._add(org_id, "institution", "ORG", body)

        for person_id, state_id, roles, name_en, name_ar, names in _rows("persons.tsv", 6):
            state = None if state_id == "-" else state_id
            if state is not None and state not in self._actors:
                raise GazetteerError(f"persons.tsv: {person_id!r} names unknown state {state_id!r}")
            self._add_actor(ActorInfo(person_id, name_ar, name_en, "person", state, tuple(_values(roles))))
            for name in [name_ar, *_values(names)]:
                self._add(person_id, "name", "PER", name)

        for place_id, kind, name_en, name_ar, names in _rows("places.tsv", 5):
            self._add_actor(ActorInfo(place_id, name_ar, name_en, kind))
            for name in [name_ar, *_values(names)]:
                self._add(place_id, "name", "LOC", name)

    def _build(self) -> None:
        used: set[tuple[str, str, str]] = set()
        best: dict[tuple[tuple[str, ...], str], _Variant] = {}
        for variant in self._variants:
            tokens = _fold_tokens(variant.surface)
            if not tokens:
                raise GazetteerError(f"actor {variant.actor_id!r} has an empty variant {variant.surface!r}")
            key = (tokens, variant.actor_id)
            kept = best.get(key)
            if kept is None or _KIND_PRIORITY[variant.kind] < _KIND_PRIORITY[kept.kind]:
                best[key] = variant
        for (tokens, actor_id), variant in best.items():
            exact = (" ".join(tokens), actor_id, variant.kind)
            generated = ("*" + fold(variant.source), actor_id, variant.kind)
            rule = self._rules.get(exact) or self._rules.get(generated)
            if exact in self._rules:
                used.add(exact)
            if generated in self._rules:
                used.add(generated)
            if rule is not None and rule.drop:
                continue
            node = self._root.setdefault(tokens[0], _Node())
            for word in tokens[1:]:
                node = node.children.setdefault(word, _Node())
            node.entries.append(_Entry(actor_id, variant.kind, variant.entity_type, rule))
        stray = [key for key in self._rules if key not in used]
        if stray:
            raise GazetteerError(f"rules.tsv lines match no variant: {stray}")
        for word, node in self._root.items():
            for written, length in _with_proclitics(word):
                self._first.setdefault(written, []).append((length, node))
        for options in self._first.values():
            options.sort(key=lambda option: option[0])
        kinds = [info.kind for info in self._actors.values()]
        self.counts = {
            "states": kinds.count("state"),
            "organisations": kinds.count("organisation"),
            "persons": kinds.count("person"),
            "places": kinds.count("place") + kinds.count("other"),
            "variants": len(best),
            "rules": len(self._rules),
        }

    # -- matching -----------------------------------------------------------------------------

    def match(self, text: str, *, normalised: Normalised | None = None) -> list[ActorMatch]:
        """Find the actors named in ``text``: longest match first, non-overlapping, in text order.

        ``normalised`` may pass a view of ``text`` already computed (with or without ``search``).
        """
        if normalised is None:
            normalised = normalise(text)
        elif normalised.original != text:
            raise ValueError("the normalised view passed to Gazetteer.match is not a view of this text")
        view = normalised.text.replace("ة", "ه")
        spans = [(word.start(), word.end(), word.group()) for word in _WORD.finditer(view)]
        first = self._first
        found: list[tuple[int, int, list[_Entry]]] = []
        count = len(spans)
        index = 0
        while index < count:
            options = first.get(spans[index][2])
            if options is None:
                index += 1
                continue
            best: tuple[int, int, list[_Entry]] | None = None  # (end token, clitic length, entries)
            for length, node in options:
                for stop, entries in self._walk(view, spans, index, node):
                    if best is not None and stop <= best[0]:
                        break
                    passing = [e for e in entries if self._passes(e, view, spans, index, stop, length)]
                    if passing:
                        best = (stop, length, passing)
                        break
            if best is None:
                index += 1
                continue
            stop, length, entries = best
            found.append((spans[index][0] + length, spans[stop - 1][1], entries))
            index = stop
        return self._resolve(found, normalised)

    @staticmethod
    def _walk(
        view: str, spans: list[tuple[int, int, str]], index: int, node: _Node
    ) -> list[tuple[int, list[_Entry]]]:
        """Phrase ends reachable from token ``index`` through the trie, longest first."""
        ends: list[tuple[int, list[_Entry]]] = []
        if node.entries:
            ends.append((index + 1, node.entries))
        position = index + 1
        while node.children and position < len(spans):
            gap = view[spans[position - 1][1] : spans[position][0]]
            # Words of a phrase are separated by whitespace only (a line break counts as a space).
            if not gap.isspace():
                break
            child = node.children.get(spans[position][2])
            if child is None:
                break
            node = child
            position += 1
            if node.entries:
                ends.append((position, node.entries))
        ends.reverse()
        return ends

    @staticmethod
    def _passes(
        entry: _Entry, view: str, spans: list[tuple[int, int, str]], index: int, stop: int, length: int
    ) -> bool:
        rule = entry.rule
        if rule is None:
            return True
        if rule.clitics is not None:
            prefix = spans[index][2][:length]
            if any(letter not in rule.clitics for letter in prefix.replace("لل", "ل")):
                return False
        previous = _bare_forms(spans[index - 1][2]) if index > 0 else ("",)
        if rule.after is not None and rule.after.isdisjoint(previous):
            return False
        if not rule.not_after.isdisjoint(previous):
            return False
        following = spans[stop][2] if stop < len(spans) else ""
        return following not in rule.not_before

    def _resolve(
        self, found: list[tuple[int, int, list[_Entry]]], normalised: Normalised
    ) -> list[ActorMatch]:
        # Actors named by an ungated variant anchor the gated ("document") ones.
        anchored = {
            entries[0].actor_id
            for _, _, entries in found
            if len({entry.actor_id for entry in entries}) == 1 and not any(_gated(e) for e in entries)
        }
        matches = []
        for start, end, entries in found:
            kept = [entry for entry in entries if not _gated(entry) or entry.actor_id in anchored]
            if len({entry.actor_id for entry in kept}) != 1:
                continue  # none left, or several actors share the surface: do not guess
            entry = kept[0]
            original_start, original_end = normalised.to_original(start, end)
            matches.append(
                ActorMatch(original_start, original_end, entry.actor_id, entry.kind, entry.entity_type)
            )
        return matches


def _gated(entry: _Entry) -> bool:
    return entry.rule is not None and entry.rule.document


def _bare_forms(word: str) -> tuple[str, ...]:
    """A neighbouring word as written and without up to two proclitic letters (لصلاة -> صلاة)."""
    forms = [word]
    for _ in range(2):
        if len(word) > 2 and word[0] in "وفبلك":
            word = word[1:]
            forms.append(word)
            if word.startswith("ل") and forms[-2].startswith("لل"):
                forms.append("ا" + word)  # لل = ل + ال
    return tuple(forms)


def _with_proclitics(word: str) -> Iterator[tuple[str, int]]:
    """Every way ``word`` can be written with proclitics, and the proclitics' length."""
    yield word, 0
    if not word[:1].isalpha() or word.isascii():
        return
    for conjunction in _CONJUNCTIONS:
        for preposition in _PREPOSITIONS:
            prefix = conjunction + preposition
            if not prefix:
                continue
            if preposition == "ل" and word.startswith("ال"):
                # ل + ال is written لل: the article's alef is dropped (للولايات = ل + الولايات).
                # A hamza alef folds to ا too, so the word may not hold the article at all:
                # لألمانيا = ل + ألمانيا, written in full; both spellings are kept.
                yield prefix + word[1:], len(prefix)
            yield prefix + word, len(prefix)


@cache
def _load() -> Gazetteer:
    gazetteer = Gazetteer()
    gazetteer._read()
    gazetteer._build()
    return gazetteer


def _main(argv: list[str] | None = None) -> int:
    """``python -m marsad.annotate.actors counts`` or ``... bench FILE.jsonl.gz [--limit N]``."""
    import argparse
    import gzip
    import json
    import time

    parser = argparse.ArgumentParser(prog="python -m marsad.annotate.actors")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("counts", help="print how many actors and variants the gazetteer holds")
    bench = commands.add_parser("bench", help="time matching over a JSONL(.gz) file of articles")
    bench.add_argument("path")
    bench.add_argument("--field", default="content")
    bench.add_argument("--limit", type=int, default=5000)
    options = parser.parse_args(argv)

    started = time.perf_counter()
    gazetteer = Gazetteer.load()
    loaded = time.perf_counter() - started
    if options.command == "counts":
        for name, value in gazetteer.counts.items():
            print(f"{name}\t{value}")
        print(f"load seconds\t{loaded:.2f}")
        return 0
    opener = gzip.open if options.path.endswith(".gz") else open
    texts = []
    with opener(options.path, "rt", encoding="utf-8") as stream:
        for line in stream:
            text = json.loads(line).get(options.field) or ""
            texts.append(text)
            if len(texts) >= options.limit:
                break
    characters = sum(len(text) for text in texts)
    started = time.perf_counter()
    mentions = sum(len(gazetteer.match(text)) for text in texts)
    seconds = time.perf_counter() - started
    print(f"articles\t{len(texts)}\ncharacters\t{characters}\nmentions\t{mentions}")
    print(f"seconds\t{seconds:.2f}\narticles/s\t{len(texts) / seconds:.0f}\nload seconds\t{loaded:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(_main())
