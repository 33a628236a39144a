"""Where marsad finds the shared datasets used for training, evaluation and benchmarks."""

from __future__ import annotations

import os
from pathlib import Path


def shared_data() -> Path | None:
    """Return ``../shared/data`` beside the repository (or ``$MARSAD_SHARED_DATA``), or None if absent."""
    override = os.environ.get("MARSAD_SHARED_DATA")
    if override:
        path = Path(override)
        return path if path.is_dir() else None
    for base in (Path.cwd(), *Path(__file__).resolve().parents):
        candidate = base / ".." / "shared" / "data"
        if candidate.is_dir():
            return candidate.resolve()
    return None
