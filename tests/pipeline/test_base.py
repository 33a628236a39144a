"""Pipelines check their requirements before they run, and failures never stop a stream."""

from __future__ import annotations

from typing import ClassVar

import pytest

from marsad import registry
from marsad.document import Article, Span
from marsad.errors import Failure, MarsadError
from marsad.pipeline.base import Pipeline, Step
from marsad.pipeline.runner import build_pipeline


class Needs(Step):
    name = "needs"
    requires: ClassVar[tuple[str, ...]] = ("sentences", "entities")
    provides: ClassVar[tuple[str, ...]] = ("claims",)

    def __call__(self, article: Article) -> Article:
        return article


class Provides(Step):
    name = "provides"
    requires: ClassVar[tuple[str, ...]] = ("text",)
    provides: ClassVar[tuple[str, ...]] = ("sentences", "entities")

    def __call__(self, article: Article) -> Article:
        article.set_layer("sentences", [Span(0, len(article.text), "sentence")])
        return article


class Broken(Step):
    name = "broken"

    def __call__(self, article: Article) -> Article:
        if "انهيار" in article.text:
            raise RuntimeError("boom")
        return article


def test_missing_requirement_names_what_is_missing_and_what_is_there() -> None:
    with pytest.raises(MarsadError) as caught:
        Pipeline([Needs()])
    assert caught.value.code == "E202"
    assert "'needs' requires sentences, entities" in caught.value.message
    assert "available before it: meta, text" in caught.value.message


def test_order_matters() -> None:
    Pipeline([Provides(), Needs()])
    with pytest.raises(MarsadError, match=r"requires"):
        Pipeline([Needs(), Provides()])


def test_steps_are_recorded_in_order() -> None:
    article = Pipeline([Provides(), Needs()])(Article(text="نص"))
    assert article.steps == ["provides", "needs"]


def test_a_failing_step_becomes_a_failure_and_the_stream_goes_on() -> None:
    results = list(
        Pipeline([Broken()]).run([Article(text="أول"), Article(text="انهيار"), Article(text="ثالث")])
    )
    assert [type(item) for item in results] == [Article, Failure, Article]
    failure = results[1]
    assert isinstance(failure, Failure)
    assert failure.code == "E203"
    assert "broken" in failure.error.message


def test_unknown_step_lists_registered_names() -> None:
    with pytest.raises(MarsadError) as caught:
        build_pipeline(["text", "no-such-step"])
    assert caught.value.code == "E201"
    assert "text" in caught.value.message


def test_registry_registers_plugins_like_builtins() -> None:
    @registry.register("step", "test-plugin")
    class Plugin(Step):
        name = "test-plugin"
        requires: ClassVar[tuple[str, ...]] = ("sentences",)

        def __call__(self, article: Article) -> Article:
            article.scores["plugin"] = 1.0
            return article

    pipeline = build_pipeline(["text", "test-plugin"])
    assert pipeline(Article(text="جملة أولى. جملة ثانية.")).scores["plugin"] == 1.0
    assert "test-plugin" in registry.names("step")
