"""Building pipelines by name: the default one, and one from a list in configuration."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

from marsad import registry
from marsad.pipeline.base import Pipeline, Step

# The steps ``marsad analyze`` runs, in order. A new annotator is one module plus one name here.
DEFAULT_STEPS: tuple[str, ...] = (
    "text",
    "dateline",
    "entities",
    "attributions",
    "claims",
    "persuasion",
    "tone",
)


def build_pipeline(names: Sequence[str]) -> Pipeline:
    """Build and validate a pipeline from registered step names (E201 for an unknown name)."""
    steps: list[Step] = [registry.get("step", name)() for name in names]
    return Pipeline(steps)


@cache
def default_pipeline() -> Pipeline:
    """The default pipeline, built once per process (models load once)."""
    return build_pipeline(DEFAULT_STEPS)
