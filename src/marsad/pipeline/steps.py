"""Built-in steps of the text layer. Annotators register themselves in their own modules."""

from __future__ import annotations

from types import MappingProxyType

from marsad.document import Article, Span
from marsad.pipeline.base import Step
from marsad.registry import register
from marsad.text.tokenise import Token

# A paragraph before the persuasion step has judged it: not flagged, with no techniques.
_UNJUDGED_PARAGRAPH = MappingProxyType({"propagandistic": False, "techniques": ()})


def _mostly_arabic(tokens: list[Token]) -> bool:
    """At least half the letters are Arabic; counted over tokens, which the step has anyway.

    Same rule as :func:`marsad.text.language.detect_language`, at a tenth of its cost.
    """
    arabic = latin = 0
    for token in tokens:
        if token.kind == "word":
            arabic += len(token.norm)
        elif token.kind == "latin":
            latin += len(token.norm)
    return arabic > 0 and arabic >= latin


@register("step", "text")
class TextStep(Step):
    """Normalised view, paragraphs, sentences, tokens with clitic segments, and the language."""

    name = "text"
    requires = ("text",)
    provides = ("normalised", "paragraphs", "sentences", "tokens", "language")

    def __call__(self, article: Article) -> Article:
        from marsad.text.normalise import normalise
        from marsad.text.sentences import split_paragraphs, split_sentences
        from marsad.text.tokenise import tokenise

        text = article.text
        normalised = normalise(text)
        article.views["normalised"] = normalised
        tokens = tokenise(text, normalised=normalised)
        article.views["tokens"] = tokens
        paragraphs = split_paragraphs(text)
        article.set_layer(
            "paragraphs",
            [Span(start, end, "paragraph", 0.0, _UNJUDGED_PARAGRAPH) for start, end in paragraphs],
        )
        article.set_layer(
            "sentences",
            [Span(start, end, "sentence") for start, end in split_sentences(text, paragraphs=paragraphs)],
        )
        if not _mostly_arabic(tokens):
            article.meta.language = "other"
            warnings = article.meta.extra.setdefault("warnings", [])
            if "W101" not in warnings:
                warnings.append("W101")
        return article
