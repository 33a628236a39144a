"""Is a text Arabic? The share of its letters that are in Arabic script."""

from __future__ import annotations

import re

__all__ = ["arabic_share", "detect_language"]

_LETTER_RE = re.compile(r"[^\W\d_]")
_ARABIC_LETTER_RE = re.compile(
    "[\u0621-\u063f\u0641-\u064a\u066e-\u066f\u0671-\u06d3\u06d5\u06ee\u06ef\u06fa-\u06fc\u06ff"
    "\u0750-\u077f\u08a0-\u08c9\ufb50-\ufdff\ufe70-\ufefc]"
)
THRESHOLD = 0.5


def arabic_share(text: str) -> float:
    """The share of letters in ``text`` that are Arabic-script letters; 0.0 when there are none."""
    letters = len(_LETTER_RE.findall(text))
    if not letters:
        return 0.0
    return min(1.0, len(_ARABIC_LETTER_RE.findall(text)) / letters)


def detect_language(text: str) -> str:
    """``"ar"`` when at least half the letters are Arabic, else ``"other"`` (also for texts with no letters)."""
    return "ar" if arabic_share(text) >= THRESHOLD else "other"
