"""The JSON Schemas of the public contract, and a validator that also checks offsets."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator


@cache
def load_schema(name: str = "article") -> dict[str, Any]:
    """Return the JSON Schema ``article`` (marsad.article/1) or ``error`` (marsad.error/1)."""
    text = resources.files("marsad.schema").joinpath(f"{name}.schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


@cache
def _validator(name: str) -> Draft202012Validator:
    return Draft202012Validator(load_schema(name))


def validation_errors(data: Any, *, name: str = "article") -> list[str]:
    """Return every way ``data`` breaks the schema (and, for articles, the offset rules); empty if valid."""
    problems = [
        f"{'/'.join(map(str, error.absolute_path)) or '<root>'}: {error.message}"
        for error in _validator(name).iter_errors(data)
    ]
    if name == "article" and not problems:
        problems.extend(_offset_errors(data))
    return problems


def _offset_errors(data: dict[str, Any]) -> list[str]:
    # JSON Schema cannot compare two fields; the contract needs 0 <= start < end <= len(text).
    limit = len(data["text"])
    problems = []

    def check(where: str, item: dict[str, Any] | None) -> None:
        if item is None:
            return
        start, end = item["start"], item["end"]
        if not 0 <= start < end <= limit:
            problems.append(f"{where}: offsets [{start}, {end}) do not fit a text of length {limit}")

    for layer in ("sentences", "paragraphs", "entities", "attributions", "claims", "persuasion"):
        for index, item in enumerate(data[layer]):
            check(f"{layer}/{index}", item)
            if layer == "attributions":
                for part in ("cue", "source", "content"):
                    check(f"{layer}/{index}/{part}", item[part])
            if layer == "claims" and not 0 <= item["sentence"] < max(len(data["sentences"]), 1):
                problems.append(f"claims/{index}: sentence index {item['sentence']} out of range")
    return problems


def validate(data: Any, *, name: str = "article") -> None:
    """Raise ``ValueError`` listing every problem if ``data`` is not a valid ``name`` object."""
    problems = validation_errors(data, name=name)
    if problems:
        raise ValueError(f"invalid marsad.{name}/1 object:\n  " + "\n  ".join(problems))
