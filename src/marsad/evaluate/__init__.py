"""Evaluation of marsad's models on data files in their native formats."""

from __future__ import annotations

from pathlib import Path

from marsad.evaluate.conll import NerReport, format_report, read_conll, score_entities

__all__ = ["NerReport", "evaluate_ner", "format_report", "read_conll", "score_entities"]


def evaluate_ner(*, data_path: Path, model_dir: Path | None = None) -> NerReport:
    """Tag the sentences of a CoNLL file with the NER model and score them against its tags.

    ``model_dir`` None uses the model shipped in the package. Raises E101/E302 for bad data files
    and E204 when the model is missing.
    """
    from marsad.models.ner import NerModel

    sentences, warnings = read_conll(data_path)
    model = NerModel.load(model_dir)
    predicted = model.predict([sentence.tokens for sentence in sentences])
    report = score_entities([sentence.tags for sentence in sentences], predicted)
    report.warnings.extend(warnings)
    return report
