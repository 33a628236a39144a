"""One registry where every component is registered by name.

Built-in readers and steps register themselves here exactly as a plugin would::

    @registry.register("step", "sentences")
    class SentenceStep(Step): ...

Modules holding built-ins are imported lazily on first lookup so that importing marsad stays cheap.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any, TypeVar

from marsad.errors import MarsadError

T = TypeVar("T")

KINDS = ("reader", "step")

# Modules that register built-in components when imported.
BUILTIN_MODULES: dict[str, tuple[str, ...]] = {
    "reader": (
        "marsad.ingest.text",
        "marsad.ingest.jsonl",
        "marsad.ingest.html",
        "marsad.ingest.feeds",
        "marsad.ingest.warc",
    ),
    "step": (
        "marsad.pipeline.steps",
        "marsad.annotate.dateline",
        "marsad.annotate.entities",
        "marsad.annotate.attributions",
        "marsad.annotate.claims",
        "marsad.annotate.persuasion",
        "marsad.annotate.tone",
    ),
}

_components: dict[str, dict[str, Any]] = {kind: {} for kind in KINDS}
_loaded: set[str] = set()


def register(kind: str, name: str) -> Callable[[T], T]:
    """Register a component class or factory under ``kind`` and ``name``."""
    if kind not in KINDS:
        raise ValueError(f"unknown component kind {kind!r}; expected one of {KINDS}")

    def decorate(component: T) -> T:
        _components[kind][name] = component
        return component

    return decorate


def _load_builtins(kind: str) -> None:
    if kind in _loaded:
        return
    _loaded.add(kind)
    for module in BUILTIN_MODULES.get(kind, ()):
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as err:
            # A built-in module not written yet, or an optional dependency missing.
            if err.name != module:
                raise


def get(kind: str, name: str) -> Any:
    """Return the component registered as ``name``; raise E201 naming what exists if there is none."""
    _load_builtins(kind)
    try:
        return _components[kind][name]
    except KeyError:
        known = ", ".join(sorted(_components.get(kind, {}))) or "none"
        raise MarsadError("E201", f"no {kind} named {name!r}; registered: {known}") from None


def names(kind: str) -> list[str]:
    """Return the names registered for ``kind``, sorted."""
    _load_builtins(kind)
    return sorted(_components[kind])
