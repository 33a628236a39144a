"""Benchmark: marsad's normaliser and tokeniser beside camel_tools' utilities and pyarabic.

    make bench-compare        # installs camel-tools (utilities only) and pyarabic, then runs this
    python bench/compare_arabic_tools.py [--limit 10000]

On the same SaudiNewsNet articles it prints throughput (articles/s) for each tool and agreement
where they do the same thing:
- normalisation: the share of words whose normalised form is the same, on the operations all
  three share (alef variants, alef maqsura, diacritics, tatweel); marsad's extra rules (hamza
  carriers, digits, controls) are applied to the others' output first so they do not count;
- tokenisation: precision/recall/F1 of token boundaries (start, end), camel_tools and pyarabic
  taken as the reference in turn. Their tokens carry no offsets, so they are located in the text.
"""

from __future__ import annotations

import argparse
import gzip
import json
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from _machine import describe_machine, peak_rss_mb
from marsad.paths import shared_data
from marsad.text.normalise import normalise, normalise_text
from marsad.text.tokenise import tokenise


def load_texts(path: Path, limit: int) -> list[str]:
    texts = []
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        for line in lines:
            text = json.loads(line).get("content") or ""
            if text.strip():
                texts.append(text)
            if len(texts) >= limit:
                break
    return texts


def rate(function: Callable[[str], object], texts: list[str]) -> float:
    started = time.perf_counter()
    for text in texts:
        function(text)
    return len(texts) / (time.perf_counter() - started)


def locate(text: str, surfaces: Iterable[str]) -> set[tuple[int, int]]:
    """Find each token surface in order in the text and return its (start, end)."""
    spans = set()
    position = 0
    for surface in surfaces:
        found = text.find(surface, position)
        if found < 0:
            continue
        spans.add((found, found + len(surface)))
        position = found + len(surface)
    return spans


def prf(reference: set[tuple[int, int]], predicted: set[tuple[int, int]]) -> tuple[int, int, int]:
    return len(reference & predicted), len(predicted), len(reference)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--limit", type=int, default=10_000)
    args = parser.parse_args()
    data = shared_data()
    if data is None:
        raise SystemExit("bench: ../shared/data is absent")
    try:
        import pyarabic.araby as araby
        from camel_tools.tokenizers.word import simple_word_tokenize
        from camel_tools.utils.dediac import dediac_ar
        from camel_tools.utils.normalize import normalize_alef_ar, normalize_alef_maksura_ar
    except ImportError as err:
        raise SystemExit(
            f"bench: {err}; run `make bench-compare` to install camel-tools and pyarabic"
        ) from None

    texts = load_texts(data / "corpora" / "saudinewsnet" / "saudinewsnet.jsonl.gz", args.limit)
    characters = sum(map(len, texts))

    def camel_normalise(text: str) -> str:
        return dediac_ar(normalize_alef_maksura_ar(normalize_alef_ar(text)))

    def pyarabic_normalise(text: str) -> str:
        text = araby.strip_tashkeel(araby.strip_tatweel(text))
        return araby.normalize_alef(text).replace("ى", "ي")

    print(f"machine: {describe_machine()}")
    print(f"input: {len(texts):,} SaudiNewsNet articles, {characters / len(texts):.0f} chars/article mean")
    print()
    print("normalisation throughput (articles/s, one core)")
    rows = [
        ("marsad normalise_text (view only)", lambda t: normalise_text(t)),
        ("marsad normalise (view + offset map)", lambda t: normalise(t)),
        ("camel_tools alef+maksura+dediac", camel_normalise),
        ("pyarabic tatweel+tashkeel+alef+maksura", pyarabic_normalise),
    ]
    for name, function in rows:
        print(f"  {name:<42} {rate(function, texts):>10,.0f}")

    print()
    print("normalisation agreement on shared operations (share of words equal)")
    words = [word for text in texts for word in text.split()]
    ours = [normalise_text(word) for word in words]
    for name, function in (("camel_tools", camel_normalise), ("pyarabic", pyarabic_normalise)):
        # Apply marsad's extra rules on top, so only the shared operations are compared.
        theirs = [normalise_text(function(word)) for word in words]
        equal = sum(a == b for a, b in zip(ours, theirs, strict=True))
        differing = [(w, a, b) for w, a, b in zip(words, ours, theirs, strict=True) if a != b][:5]
        print(f"  marsad vs {name:<12} {equal / len(words):.4%} of {len(words):,} words")
        for word, a, b in differing:
            print(f"      e.g. {word!r}: marsad {a!r}, {name} {b!r}")

    print()
    print("tokenisation throughput (articles/s, one core)")
    tokenisers = [
        ("marsad tokenise (with offsets and clitic segments)", lambda t: tokenise(t)),
        ("camel_tools simple_word_tokenize", simple_word_tokenize),
        ("pyarabic tokenize", araby.tokenize),
    ]
    for name, function in tokenisers:
        print(f"  {name:<52} {rate(function, texts):>10,.0f}")

    print()
    print("token boundary agreement (reference = other tool)")
    sample = texts[:2_000]
    for name, function in tokenisers[1:]:
        hit = predicted = reference = 0
        for text in sample:
            mine = {(token.start, token.end) for token in tokenise(text)}
            theirs = locate(text, function(text))
            h, p, r = prf(theirs, mine)
            hit, predicted, reference = hit + h, predicted + p, reference + r
        precision, recall = hit / predicted, hit / reference
        f1 = 2 * precision * recall / (precision + recall)
        print(f"  vs {name:<40} P {precision:.4f}  R {recall:.4f}  F1 {f1:.4f}  ({len(sample):,} articles)")
    print()
    print(f"peak RSS: {peak_rss_mb():.0f} MiB")


if __name__ == "__main__":
    main()
