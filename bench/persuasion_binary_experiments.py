"""Compare ways of turning the persuasion models' outputs into the paragraph binary decision, by CV.

One grouped 5-fold cross-validation (folds by article) over the deduplicated native news paragraphs
(ArAIEval 2023 task 1 train paragraph items + ArMPro dev V2) gives out-of-fold raw scores of the
n-gram heads and out-of-fold token probabilities of the span tagger (taught by the other folds'
ArMPro spans and WANLP). Each row then calibrates and thresholds differently, always on out-of-fold
data: Platt scaling or a stacked logistic regression over the n-gram score and the tagger's summary
(stacker fitted on the other folds), with probabilities fitted to the training mix or to ArMPro dev's
share of propagandistic paragraphs. Printed per row: AUC, accuracy (= binary micro-F1) on all paragraphs,
on the ArMPro and ArAIEval ones, and the accuracy expected at ArMPro dev's share (62%).

Usage: nice -n 10 python bench/persuasion_binary_experiments.py [--data ../shared/data] [--cache FILE]
(``--cache`` keeps the out-of-fold predictions in a pickle file and reuses them on the next run.)
"""

from __future__ import annotations

import argparse
import json
import pickle
import sys
import time
from pathlib import Path

import numpy as np

from marsad.models import persuasion as P
from marsad.paths import shared_data

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _machine import describe_machine


def _auc(targets: np.ndarray, scores: np.ndarray) -> float:
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(targets, scores))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=None)
    parser.add_argument("--cache", type=Path, default=None, help="pickle of the out-of-fold predictions")
    args = parser.parse_args()
    root = args.data or shared_data()
    if root is None:
        raise SystemExit("shared data not found; pass --data")
    print(describe_machine())
    np.seterr(all="ignore")
    started = time.perf_counter()
    options = P.TrainOptions()
    items = P.read_training_items(root / "persuasion", sources=options.sources)
    if args.cache is not None and args.cache.is_file():
        with args.cache.open("rb") as handle:
            oof, tagged = pickle.load(handle)
    else:
        oof = P.cross_validate(items, options)
        tagged = P.tagger_cross_validate(items, oof, options)
        if args.cache is not None:
            with args.cache.open("wb") as handle:
                pickle.dump((oof, tagged), handle)
    core = [items[int(index)] for index in oof["index"]]
    targets = np.array([item.propagandistic for item in core])
    print(json.dumps({"cv_seconds": round(time.perf_counter() - started, 1), "paragraphs": len(core)}))
    rows = {
        "Platt, threshold for the training mix (round 2)": {"tagged": None, "prior_source": None},
        "Platt, fitted to ArMPro's share": {"tagged": None, "prior_source": "armpro"},
        "stacked n-gram score + span summary, training mix": {"tagged": tagged, "prior_source": None},
        "stacked, fitted to ArMPro's share by a log-odds shift": {
            "tagged": tagged,
            "prior_source": "armpro",
            "source_feature": False,
        },
        "stacked, ArMPro's bias from a source column (shipped)": {"tagged": tagged, "prior_source": "armpro"},
    }
    for name, settings in rows.items():
        chosen = P.choose_calibration(oof, items, **settings)  # type: ignore[arg-type]
        figures = P.cv_figures(oof, chosen, items)
        probability = chosen["binary_probability"]
        armpro = np.array([item.source == "armpro" for item in core])
        gate = probability >= chosen["binary_threshold"]
        share = float(targets[armpro].mean())
        print(
            json.dumps(
                {
                    "variant": name,
                    "auc": round(_auc(targets, probability), 4),
                    "auc_armpro": round(_auc(targets[armpro], probability[armpro]), 4),
                    "threshold": chosen["binary_threshold"],
                    "binary_micro": round(figures["binary"]["micro_f1"], 4),
                    "binary_macro": round(figures["binary"]["macro_f1"], 4),
                    "armpro_micro": round(figures["binary_armpro"]["micro_f1"], 4),
                    "araieval_micro": round(figures["binary_araieval"]["micro_f1"], 4),
                    "accuracy_at_armpro_share": round(
                        share * gate[targets].mean() + (1 - share) * (~gate[~targets]).mean(), 4
                    ),
                    "multilabel_micro": round(figures["multilabel"]["micro_f1"], 4),
                    "coarse_micro": round(figures["coarse"]["micro_f1"], 4),
                },
                ensure_ascii=False,
            ),
            flush=True,
        )


if __name__ == "__main__":
    main()
