"""marsad: reads Arabic news and shows what an article does."""

from __future__ import annotations

__version__ = "0.1.0"

from marsad.api import analyze, analyze_many

__all__ = ["__version__", "analyze", "analyze_many"]
