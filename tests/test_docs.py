"""The documentation keeps up with the code: every error code and command is documented."""

from __future__ import annotations

from pathlib import Path

from marsad.errors import CATALOGUE, WARNINGS

DOCS = Path(__file__).resolve().parents[1] / "docs"
README = Path(__file__).resolve().parents[1] / "README.md"


def test_every_error_and_warning_code_is_documented() -> None:
    output = (DOCS / "output.md").read_text(encoding="utf-8")
    for code, (title, _) in CATALOGUE.items():
        assert f"| {code} | {title} |" in output, f"{code} missing from docs/output.md"
    for code in WARNINGS:
        assert f"| {code} |" in output, f"{code} missing from docs/output.md"


def test_readme_links_point_at_existing_docs() -> None:
    text = README.read_text(encoding="utf-8")
    for line in text.splitlines():
        if "](docs/" in line:
            target = line.split("](", 1)[1].split(")", 1)[0]
            assert (README.parent / target).exists(), f"README links to missing {target}"
