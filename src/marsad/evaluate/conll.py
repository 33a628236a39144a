"""CoNLL-style NER files and the entity-level scorer (exact match, as conlleval and seqeval count).

Files hold ``token TAG`` per line (split on the last space, since tokens may hold spaces) and a
blank line between sentences. Tags are ``O`` or ``B-``/``I-`` followed by PER (or PERS), LOC, ORG or
MISC; any type beginning with ``MIS`` counts as MISC. Unknown tags are counted and read as ``O``.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from marsad.errors import error

__all__ = [
    "ENTITY_TYPES",
    "ConllSentence",
    "NerReport",
    "TypeScore",
    "entities",
    "format_report",
    "normalise_tag",
    "read_conll",
    "score_entities",
]

ENTITY_TYPES = ("PER", "LOC", "ORG", "MISC")

_TYPE_ALIASES = {"PER": "PER", "PERS": "PER", "PERSON": "PER", "LOC": "LOC", "ORG": "ORG"}


@dataclass(frozen=True, slots=True)
class ConllSentence:
    tokens: list[str]
    tags: list[str]


def normalise_tag(tag: str) -> str | None:
    """Map a file tag to ``O``, ``B-TYPE`` or ``I-TYPE`` with TYPE in :data:`ENTITY_TYPES`; None if unknown."""
    tag = tag.strip()
    if tag == "O":
        return "O"
    if len(tag) < 3 or tag[1] != "-" or tag[0] not in "BI":
        return None
    kind = tag[2:].upper()
    if kind.startswith("MIS"):
        return f"{tag[0]}-MISC"
    mapped = _TYPE_ALIASES.get(kind)
    return f"{tag[0]}-{mapped}" if mapped else None


def read_conll(path: Path) -> tuple[list[ConllSentence], list[str]]:
    """Read a CoNLL NER file.

    Returns the sentences and human-readable warnings (unknown tags with their counts, lines
    without a tag). Raises E101 if the file is missing, E302 if it holds no tagged token.
    """
    if not path.is_file():
        raise error("E101", "NER data file not found", input=str(path))
    sentences: list[ConllSentence] = []
    unknown: Counter[str] = Counter()
    untagged = 0
    tokens: list[str] = []
    tags: list[str] = []
    with open(path, encoding="utf-8-sig") as handle:
        for raw in handle:
            line = raw.rstrip("\r\n")
            if not line.strip():
                if tokens:
                    sentences.append(ConllSentence(tokens, tags))
                    tokens, tags = [], []
                continue
            token, sep, tag = line.rpartition(" ")
            if not sep or not token:
                untagged += 1
                continue
            mapped = normalise_tag(tag)
            if mapped is None:
                unknown[tag] += 1
                mapped = "O"
            tokens.append(token)
            tags.append(mapped)
    if tokens:
        sentences.append(ConllSentence(tokens, tags))
    if not sentences:
        raise error("E302", "no 'token TAG' lines found", input=str(path))
    warnings = [f"unknown tag {tag!r} read as O ({n} tokens)" for tag, n in sorted(unknown.items())]
    if untagged:
        warnings.append(f"{untagged} lines without a tag were skipped")
    return sentences, warnings


def entities(tags: list[str]) -> set[tuple[int, int, str]]:
    """Entity spans ``(start, end, type)``, end exclusive, from one BIO sequence.

    Like conlleval: an ``I-`` that does not continue an entity of its type starts a new one.
    """
    found: set[tuple[int, int, str]] = set()
    start = -1
    kind = ""
    for i, tag in enumerate([*tags, "O"]):
        prefix, _, this = tag.partition("-")
        continues = prefix == "I" and this == kind and start >= 0
        if start >= 0 and not continues:
            found.add((start, i, kind))
            start, kind = -1, ""
        if prefix in ("B", "I") and not continues:
            start, kind = i, this
    return found


@dataclass(slots=True)
class TypeScore:
    true_positives: int = 0
    predicted: int = 0
    gold: int = 0

    @property
    def precision(self) -> float:
        return self.true_positives / self.predicted if self.predicted else 0.0

    @property
    def recall(self) -> float:
        return self.true_positives / self.gold if self.gold else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass(slots=True)
class NerReport:
    overall: TypeScore
    per_type: dict[str, TypeScore]
    sentences: int
    tokens: int
    warnings: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, object]:
        def one(score: TypeScore) -> dict[str, float | int]:
            return {
                "precision": round(score.precision, 4),
                "recall": round(score.recall, 4),
                "f1": round(score.f1, 4),
                "gold": score.gold,
                "predicted": score.predicted,
                "correct": score.true_positives,
            }

        return {
            "overall": one(self.overall),
            "per_type": {kind: one(score) for kind, score in self.per_type.items()},
            "sentences": self.sentences,
            "tokens": self.tokens,
            "warnings": list(self.warnings),
        }


def score_entities(gold_tags: list[list[str]], pred_tags: list[list[str]]) -> NerReport:
    """Entity-level precision, recall and micro-F1, overall and per type (exact span and type).

    Raises E302 when the two lists do not align sentence by sentence and token by token.
    """
    if len(gold_tags) != len(pred_tags):
        raise error("E302", f"{len(gold_tags)} gold sentences but {len(pred_tags)} predicted")
    overall = TypeScore()
    per_type: dict[str, TypeScore] = {}
    tokens = 0
    for index, (gold, pred) in enumerate(zip(gold_tags, pred_tags, strict=True)):
        if len(gold) != len(pred):
            raise error("E302", f"sentence {index}: {len(gold)} gold tags but {len(pred)} predicted")
        tokens += len(gold)
        gold_set, pred_set = entities(gold), entities(pred)
        for span in gold_set:
            per_type.setdefault(span[2], TypeScore()).gold += 1
        for span in pred_set:
            per_type.setdefault(span[2], TypeScore()).predicted += 1
        for span in gold_set & pred_set:
            per_type[span[2]].true_positives += 1
        overall.gold += len(gold_set)
        overall.predicted += len(pred_set)
        overall.true_positives += len(gold_set & pred_set)
    ordered = {
        k: per_type[k] for k in (*ENTITY_TYPES, *sorted(set(per_type) - set(ENTITY_TYPES))) if k in per_type
    }
    return NerReport(overall=overall, per_type=ordered, sentences=len(gold_tags), tokens=tokens)


def format_report(report: NerReport) -> str:
    """A fixed-width table for the terminal."""
    lines = [
        f"{report.sentences} sentences, {report.tokens} tokens",
        f"{'type':<8}{'precision':>10}{'recall':>10}{'F1':>10}{'gold':>8}{'pred':>8}{'correct':>9}",
    ]

    def row(name: str, score: TypeScore) -> str:
        return (
            f"{name:<8}{score.precision:>10.4f}{score.recall:>10.4f}{score.f1:>10.4f}"
            f"{score.gold:>8}{score.predicted:>8}{score.true_positives:>9}"
        )

    lines.extend(row(kind, score) for kind, score in report.per_type.items())
    lines.append(row("overall", report.overall))
    lines.extend(f"warning: {w}" for w in report.warnings)
    return "\n".join(lines)
