"""Evaluation of marsad's models on data files in their native formats."""

from __future__ import annotations

from pathlib import Path

from marsad.evaluate.conll import NerReport, format_report, read_conll, score_entities

__all__ = ["NerReport", "evaluate_ner", "format_report", "read_conll", "score_entities"]


# CoNLL files carry no article boundaries; the model's document-level step (propagate_names) sees
# consecutive blocks of this many sentences as one article (about a short news story).
ARTICLE_SENTENCES = 10


def evaluate_ner(
    *, data_path: Path, model_dir: Path | None = None, article_sentences: int = ARTICLE_SENTENCES
) -> NerReport:
    """Tag the sentences of a CoNLL file with the NER model and score them against its tags.

    Sentences are tagged as the pipeline tags an article, in blocks of ``article_sentences`` (1
    turns the document-level step into a per-sentence one). ``model_dir`` None uses the model
    shipped in the package. Raises E101/E302 for bad data files and E204 when the model is missing.
    """
    from marsad.models.ner import NerModel

    sentences, warnings = read_conll(data_path)
    model = NerModel.load(model_dir)
    tokens = [sentence.tokens for sentence in sentences]
    size = max(1, article_sentences)
    predicted: list[list[str]] = []
    for first in range(0, len(tokens), size):
        predicted.extend(model.predict_article(tokens[first : first + size]))
    report = score_entities([sentence.tags for sentence in sentences], predicted)
    report.warnings.extend(warnings)
    return report
