"""Compare persuasion model families by grouped 5-fold cross-validation on the training data.

Prints one row per variant: binary, multilabel (23 techniques) and coarse micro/macro-F1 of the
out-of-fold predictions on the native news paragraphs (ArAIEval 2023 task 1 train paragraphs and
ArMPro dev, deduplicated), then span modified F1 of the token tagger by grouped CV on ArMPro dev.
Extra sources (WANLP tweets, translated PTC spans, span texts) only ever join the training folds.

Speed is measured by bench/persuasion_speed.py.

Usage: nice -n 10 python bench/persuasion_experiments.py [--data ../shared/data] [--only NAME ...]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from marsad.models import persuasion as P
from marsad.paths import shared_data

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _machine import describe_machine

# Every option that differs from the first round is spelled out, so rows stay what they measured.
_ALL = ("armpro", "araieval", "wanlp", "ptc")  # binary head taught by every item (first round)
VARIANTS: dict[str, P.TrainOptions] = {
    "tfidf_lr": P.TrainOptions(
        sources=("armpro", "araieval"), use_cues=False, span_texts=False, binary_sources=_ALL, min_df=2
    ),
    "tfidf_lr+cues": P.TrainOptions(
        sources=("armpro", "araieval"), use_cues=True, span_texts=False, binary_sources=_ALL, min_df=2
    ),
    "tfidf_lr+cues+span_texts": P.TrainOptions(sources=("armpro", "araieval"), binary_sources=_ALL, min_df=2),
    "+wanlp": P.TrainOptions(binary_sources=_ALL, min_df=2),
    "+wanlp+ptc": P.TrainOptions(sources=_ALL, binary_sources=_ALL, min_df=2),
    "+wanlp, char 2-5": P.TrainOptions(binary_sources=_ALL, min_df=2, char_range=(2, 5)),
    "+wanlp, C binary 0.3": P.TrainOptions(binary_sources=_ALL, min_df=2, c_binary=0.3),
    "+wanlp, C binary 3": P.TrainOptions(binary_sources=_ALL, min_df=2, c_binary=3.0),
    "+wanlp, min_df 3": P.TrainOptions(binary_sources=_ALL, min_df=3),
    "+wanlp, binary head on news only": P.TrainOptions(min_df=2),
    "+wanlp, binary head on news only, min_df 3 (round 2 shipped)": P.TrainOptions(),
}


def paragraph_row(name: str, options: P.TrainOptions, folder: Path) -> dict[str, object]:
    started = time.perf_counter()
    items = P.read_training_items(folder, sources=options.sources)
    oof = P.cross_validate(items, options)
    chosen = P.choose_calibration(oof, items)
    figures = P.cv_figures(oof, chosen, items)
    return {
        "variant": name,
        "paragraphs": figures["paragraphs"],
        **{
            f"{task}_{kind}": round(figures[task][f"{kind}_f1"], 4)
            for task in ("binary", "multilabel", "coarse")
            for kind in ("micro", "macro")
        },
        "seconds": round(time.perf_counter() - started, 1),
    }


def span_row(name: str, folder: Path, *, c: float, with_wanlp: bool) -> dict[str, object]:
    """Token tagger by grouped 5-fold CV on ArMPro dev V2; decoding chosen by nested CV on the OOF."""
    started = time.perf_counter()
    items = P.read_training_items(folder, sources=("armpro", "wanlp") if with_wanlp else ("armpro",))
    gold, predicted, fold_of, tagger = P.span_cross_validate(items, c=c)
    figures = P.nested_span_figures(gold, predicted, fold_of, tagger)
    thresholds, gap, tuned = P.tune_span_decoding(gold, predicted, tagger)
    return {
        "variant": name,
        "gap": gap,
        "techniques_on": int((thresholds[1:] <= 1).sum()),
        "tuned_on_same_oof_f1": round(tuned["micro_f1"], 4),
        "span_micro_p": round(figures["micro_precision"], 4),
        "span_micro_r": round(figures["micro_recall"], 4),
        "span_micro_f1": round(figures["micro_f1"], 4),
        "span_macro_f1": round(figures["macro_f1"], 4),
        "seconds": round(time.perf_counter() - started, 1),
    }


SPAN_VARIANTS: dict[str, dict[str, Any]] = {
    "span token-LR c=1": {"c": 1.0, "with_wanlp": False},
    "span token-LR c=1 +wanlp": {"c": 1.0, "with_wanlp": True},
    "span token-LR c=0.3 +wanlp": {"c": 0.3, "with_wanlp": True},
    "span token-LR c=0.1 +wanlp": {"c": 0.1, "with_wanlp": True},
    "span token-LR c=3 +wanlp": {"c": 3.0, "with_wanlp": True},
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=None)
    parser.add_argument("--only", nargs="*", default=None, help="variant names (paragraph or span)")
    args = parser.parse_args()
    root = args.data or shared_data()
    if root is None:
        raise SystemExit("shared data not found; pass --data")
    folder = root / "persuasion"
    print(describe_machine())
    np.seterr(all="ignore")
    for name, options in VARIANTS.items():
        if args.only is None or name in args.only:
            print(json.dumps(paragraph_row(name, options, folder), ensure_ascii=False), flush=True)
    for name, settings in SPAN_VARIANTS.items():
        if args.only is None or name in args.only:
            print(json.dumps(span_row(name, folder, **settings), ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
