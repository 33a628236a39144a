"""Scoring persuasion predictions the way the ArAIEval and ArMPro shared tasks do.

Paragraph tasks (binary, multilabel, coarse) use micro- and macro-F1 over label sets; a paragraph
without any technique counts as the label ``no_technique``, as in the shared-task scorers. Spans
use the modified micro-F1 with partial-overlap credit (SemEval-2020 task 11, ArAIEval 2024).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from marsad.errors import error

__all__ = [
    "PersuasionReport",
    "evaluate_persuasion",
    "format_report",
    "label_prf",
    "read_persuasion_file",
    "span_prf",
]

TASKS = ("binary", "multilabel", "coarse", "span")
NO_TECHNIQUE = "no_technique"

SpanTuple = tuple[int, int, str]


def _f1(precision: float, recall: float) -> float:
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def label_prf(
    gold: Sequence[Iterable[str]], pred: Sequence[Iterable[str]], *, labels: Iterable[str] | None = None
) -> dict[str, Any]:
    """Micro precision/recall/F1 and macro-F1 of label sets, one set per item.

    ``labels`` restricts the labels counted (default: every label in gold or pred). Macro-F1 is the
    mean of per-label F1 over those labels. For single-label data (binary) micro-F1 equals accuracy.
    Raises E302 when the two lists differ in length.
    """
    if len(gold) != len(pred):
        raise error("E302", f"{len(gold)} gold items but {len(pred)} predictions")
    gold_sets = [set(item) for item in gold]
    pred_sets = [set(item) for item in pred]
    counted = set(labels) if labels is not None else set().union(*gold_sets, *pred_sets)
    per_label: dict[str, dict[str, float]] = {}
    total_tp = total_fp = total_fn = 0
    for label in sorted(counted):
        tp = sum(1 for g, p in zip(gold_sets, pred_sets, strict=True) if label in g and label in p)
        fp = sum(1 for g, p in zip(gold_sets, pred_sets, strict=True) if label not in g and label in p)
        fn = sum(1 for g, p in zip(gold_sets, pred_sets, strict=True) if label in g and label not in p)
        total_tp, total_fp, total_fn = total_tp + tp, total_fp + fp, total_fn + fn
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        per_label[label] = {
            "precision": precision,
            "recall": recall,
            "f1": _f1(precision, recall),
            "support": tp + fn,
        }
    micro_p = total_tp / (total_tp + total_fp) if total_tp + total_fp else 0.0
    micro_r = total_tp / (total_tp + total_fn) if total_tp + total_fn else 0.0
    macro = sum(row["f1"] for row in per_label.values()) / len(per_label) if per_label else 0.0
    return {
        "micro_precision": micro_p,
        "micro_recall": micro_r,
        "micro_f1": _f1(micro_p, micro_r),
        "macro_f1": macro,
        "per_label": per_label,
    }


def _covered(spans: Iterable[tuple[int, int]]) -> set[int]:
    return {position for start, end in spans for position in range(start, end)}


def span_prf(
    gold: Sequence[Sequence[Sequence[Any]]], pred: Sequence[Sequence[Sequence[Any]]]
) -> dict[str, Any]:
    """Modified span precision/recall/F1 with partial-overlap credit, micro and per technique.

    ``gold`` and ``pred`` hold, per paragraph, spans ``(start, end, technique)`` (a fourth element,
    a score, is ignored). A predicted span earns |overlap with same-technique gold characters| /
    its length; precision is the mean over predicted spans. Recall is the same from the gold side.
    Overlap is counted against the union of the other side's spans, so one span earns at most 1.
    Raises E302 when the two lists differ in length.
    """
    if len(gold) != len(pred):
        raise error("E302", f"{len(gold)} gold paragraphs but {len(pred)} predicted")
    credit: dict[str, list[float]] = {}  # technique -> [precision credit, #pred, recall credit, #gold]
    for gold_spans, pred_spans in zip(gold, pred, strict=True):
        techniques = {span[2] for span in gold_spans} | {span[2] for span in pred_spans}
        for technique in techniques:
            gold_here = [(int(s[0]), int(s[1])) for s in gold_spans if s[2] == technique and s[1] > s[0]]
            pred_here = [(int(s[0]), int(s[1])) for s in pred_spans if s[2] == technique and s[1] > s[0]]
            gold_chars, pred_chars = _covered(gold_here), _covered(pred_here)
            row = credit.setdefault(technique, [0.0, 0.0, 0.0, 0.0])
            for start, end in pred_here:
                row[0] += len(gold_chars.intersection(range(start, end))) / (end - start)
                row[1] += 1
            for start, end in gold_here:
                row[2] += len(pred_chars.intersection(range(start, end))) / (end - start)
                row[3] += 1
    per_technique: dict[str, dict[str, float]] = {}
    for technique, (p_credit, n_pred, r_credit, n_gold) in sorted(credit.items()):
        precision = p_credit / n_pred if n_pred else 0.0
        recall = r_credit / n_gold if n_gold else 0.0
        per_technique[technique] = {
            "precision": precision,
            "recall": recall,
            "f1": _f1(precision, recall),
            "support": n_gold,
        }
    p_total = sum(row[0] for row in credit.values())
    n_pred_total = sum(row[1] for row in credit.values())
    r_total = sum(row[2] for row in credit.values())
    n_gold_total = sum(row[3] for row in credit.values())
    precision = p_total / n_pred_total if n_pred_total else 0.0
    recall = r_total / n_gold_total if n_gold_total else 0.0
    gold_techniques = [t for t, row in per_technique.items() if row["support"]]
    macro = (
        sum(per_technique[t]["f1"] for t in gold_techniques) / len(gold_techniques)
        if gold_techniques
        else 0.0
    )
    return {
        "micro_precision": precision,
        "micro_recall": recall,
        "micro_f1": _f1(precision, recall),
        "macro_f1": macro,
        "per_label": per_technique,
    }


# ---------------------------------------------------------------------------------------------
# Reading ArMPro / ArAIEval / WANLP files


@dataclass(frozen=True, slots=True)
class GoldParagraph:
    """One paragraph with its gold annotation in every form the file allows."""

    text: str
    binary: bool | None
    techniques: frozenset[str] | None
    coarse: frozenset[str] | None
    spans: tuple[SpanTuple, ...] | None


def _rows(path: Path) -> list[dict[str, Any]]:
    if not path.is_file():
        raise error("E101", f"data file not found: {path}", input=str(path))
    text = path.read_text("utf-8")
    try:
        if text.lstrip().startswith("["):
            rows = json.loads(text)
        else:
            rows = [json.loads(line) for line in text.splitlines() if line.strip()]
    except json.JSONDecodeError as err:
        raise error("E302", f"not JSON or JSONL: {err}", input=str(path)) from err
    if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
        raise error("E302", "expected one JSON object per line or a JSON array of objects", input=str(path))
    return rows


def read_persuasion_file(path: Path, *, paragraphs_only: bool = False) -> list[GoldParagraph]:
    """Read an ArMPro (``paragraph``), ArAIEval or WANLP (``text``) file in any of the four formats.

    ``paragraphs_only`` keeps ArAIEval items of ``type`` paragraph. Raises E101/E302.
    """
    from marsad.models.persuasion import COARSE_CLASSES, COARSE_OF, map_technique_name

    items = []
    for number, row in enumerate(_rows(path), start=1):
        if paragraphs_only and row.get("type", "paragraph") != "paragraph":
            continue
        text = row.get("paragraph", row.get("text"))
        if not isinstance(text, str):
            raise error("E302", f"item {number} has no 'paragraph' or 'text' string", input=str(path))
        binary: bool | None = None
        techniques: frozenset[str] | None = None
        coarse: frozenset[str] | None = None
        spans: tuple[SpanTuple, ...] | None = None
        if "label" in row:
            binary = str(row["label"]).strip().lower() in ("true", "1", "yes", "propaganda")
        labels = row.get("labels")
        if isinstance(labels, list):
            if labels and all(isinstance(label, dict) for label in labels):
                found = []
                for label in labels:
                    name = map_technique_name(str(label.get("technique", "")))
                    if name is None or "start" not in label or "end" not in label:
                        raise error(
                            "E302", f"item {number}: span without start/end/known technique", input=str(path)
                        )
                    found.append((int(label["start"]), int(label["end"]), name))
                spans = tuple(found)
                techniques = frozenset(span[2] for span in spans)
            elif all(isinstance(label, str) for label in labels):
                names = [label for label in labels if label not in (NO_TECHNIQUE, "no technique")]
                if all(name in COARSE_CLASSES for name in names) and names:
                    coarse = frozenset(names)
                else:
                    mapped = [map_technique_name(name) for name in names]
                    if any(name is None for name in mapped):
                        raise error("E302", f"item {number}: unknown technique in {names}", input=str(path))
                    techniques = frozenset(name for name in mapped if name is not None)
                if not names:
                    techniques, coarse, spans = frozenset(), frozenset(), spans if spans is not None else ()
            else:
                raise error(
                    "E302", f"item {number}: 'labels' must list names or span objects", input=str(path)
                )
        if techniques is not None and coarse is None:
            coarse = frozenset(COARSE_OF[name] for name in techniques)
        if binary is None and coarse is not None:
            binary = bool(coarse)
        items.append(
            GoldParagraph(text=text, binary=binary, techniques=techniques, coarse=coarse, spans=spans)
        )
    return items


# ---------------------------------------------------------------------------------------------
# Evaluation


@dataclass
class PersuasionReport:
    """Figures for one task on one file."""

    task: str
    data_path: str
    items: int
    figures: dict[str, Any]
    warnings: list[str] = field(default_factory=list)


def _with_none(labels: Iterable[str]) -> set[str]:
    found = set(labels)
    return found or {NO_TECHNIQUE}


def evaluate_persuasion(*, task: str, data_path: Path, model_dir: Path | None = None) -> PersuasionReport:
    """Predict with the persuasion model and score against the file's gold labels.

    ``task`` is binary, multilabel, coarse or span; ``model_dir`` None uses the shipped model.
    ArAIEval files are scored on their paragraph items only. Raises E301 for an unknown task,
    E101/E302 for bad data files, E204 when the model is missing.
    """
    from marsad.models.persuasion import PersuasionModel

    if task not in TASKS:
        raise error("E301", f"unknown persuasion task {task!r}; choose one of {', '.join(TASKS)}")
    gold = read_persuasion_file(data_path, paragraphs_only=True)
    attribute = {"binary": "binary", "multilabel": "techniques", "coarse": "coarse", "span": "spans"}[task]
    missing = sum(1 for item in gold if getattr(item, attribute) is None)
    if missing:
        raise error("E302", f"{missing} items carry no {task} gold labels", input=str(data_path))
    model = PersuasionModel.load(model_dir)
    predictions = model.predict([item.text for item in gold], spans=task == "span")
    if task == "binary":
        figures = label_prf(
            [{"true" if item.binary else "false"} for item in gold],
            [{"true" if prediction.propagandistic else "false"} for prediction in predictions],
        )
    elif task == "multilabel":
        figures = label_prf(
            [_with_none(item.techniques or ()) for item in gold],
            [_with_none(name for name, _ in prediction.techniques) for prediction in predictions],
        )
    elif task == "coarse":
        figures = label_prf(
            [_with_none(item.coarse or ()) for item in gold],
            [_with_none(name for name, _ in prediction.coarse) for prediction in predictions],
        )
    else:
        figures = span_prf(
            [item.spans or () for item in gold], [prediction.spans for prediction in predictions]
        )
    return PersuasionReport(task=task, data_path=str(data_path), items=len(gold), figures=figures)


def format_report(report: PersuasionReport) -> str:
    """The report as a plain-text table: overall figures, then one row per label."""
    figures = report.figures
    lines = [
        f"persuasion {report.task}: {report.items} paragraphs from {report.data_path}",
        f"micro  P {figures['micro_precision']:.4f}  R {figures['micro_recall']:.4f}  F1 {figures['micro_f1']:.4f}",
        f"macro  F1 {figures['macro_f1']:.4f}",
        "",
        f"{'label':<36}{'P':>8}{'R':>8}{'F1':>8}{'gold':>7}",
    ]
    for label, row in figures["per_label"].items():
        lines.append(
            f"{label:<36}{row['precision']:>8.4f}{row['recall']:>8.4f}{row['f1']:>8.4f}{int(row['support']):>7}"
        )
    lines += [f"warning: {warning}" for warning in report.warnings]
    return "\n".join(lines)
