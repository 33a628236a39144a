"""Persuasion step: judges every paragraph, suggests technique spans, scores the article.

The paragraph layer (from the ``text`` step) is replaced by judged paragraphs: a calibrated
probability that annotators would call the paragraph propagandistic, whether it passes the
model's threshold, and the techniques it uses with their probabilities. The ``persuasion`` layer
holds span suggestions in article offsets. ``scores["propaganda"]`` is
:func:`marsad.models.persuasion.article_score` of the paragraphs.
"""

from __future__ import annotations

from functools import cache
from types import MappingProxyType

from marsad.document import Article, Span
from marsad.models.persuasion import PersuasionModel, article_score
from marsad.pipeline.base import Step
from marsad.registry import register

__all__ = ["PersuasionStep"]


@cache
def _shipped_model() -> PersuasionModel:
    # One copy per process, however many pipelines are built (the tests and the CLI build several).
    return PersuasionModel.load()


def _probability(value: float) -> float:
    return round(min(max(float(value), 0.0), 1.0), 4)


@register("step", "persuasion")
class PersuasionStep(Step):
    """Paragraph propaganda scores and techniques, technique spans, and the article's propaganda score."""

    name = "persuasion"
    requires = ("paragraphs",)
    provides = ("persuasion", "propaganda")

    def __init__(self, *, model: PersuasionModel | None = None) -> None:
        self.model = model if model is not None else _shipped_model()

    def __call__(self, article: Article) -> Article:
        text = article.text
        paragraphs = article.layer("paragraphs")
        predictions = self.model.predict([text[span.start : span.end] for span in paragraphs])
        judged: list[Span] = []
        suggestions: list[Span] = []
        for paragraph, prediction in zip(paragraphs, predictions, strict=True):
            attrs = {
                "propagandistic": prediction.propagandistic,
                "techniques": [
                    {"technique": name, "score": _probability(score)} for name, score in prediction.techniques
                ],
            }
            judged.append(
                Span(
                    paragraph.start,
                    paragraph.end,
                    "paragraph",
                    _probability(prediction.score),
                    MappingProxyType(attrs),
                )
            )
            for start, end, technique, score in prediction.spans:
                surface = text[paragraph.start + start : paragraph.start + end]
                stripped = surface.strip()
                if not stripped:
                    continue
                begin = paragraph.start + start + (len(surface) - len(surface.lstrip()))
                suggestions.append(Span(begin, begin + len(stripped), technique, _probability(score)))
        article.set_layer("paragraphs", judged)
        article.set_layer("persuasion", suggestions)
        article.scores["propaganda"] = _probability(article_score(predictions))
        return article
