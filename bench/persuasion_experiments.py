"""Compare persuasion model families by grouped 5-fold cross-validation on the training data.

Prints one row per variant: binary, multilabel (23 techniques) and coarse micro/macro-F1 of the
out-of-fold predictions on the native news paragraphs (ArAIEval 2023 task 1 train paragraphs and
ArMPro dev, deduplicated), then span modified F1 of the CRF tagger by grouped CV on ArMPro dev.
Extra sources (WANLP tweets, translated PTC spans, span texts) only ever join the training folds.

With --speed it instead times the shipped model on SaudiNewsNet articles (first 5 non-empty lines
of each article as paragraphs), on one core, with and without span suggestions.

Usage: nice -n 10 python bench/persuasion_experiments.py [--data ../shared/data] [--only NAME ...] [--speed]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from marsad.evaluate.persuasion import span_prf
from marsad.models import persuasion as P
from marsad.paths import shared_data

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _machine import describe_machine

VARIANTS: dict[str, P.TrainOptions] = {
    "tfidf_lr": P.TrainOptions(sources=("armpro", "araieval"), use_cues=False, span_texts=False),
    "tfidf_lr+cues": P.TrainOptions(sources=("armpro", "araieval"), use_cues=True, span_texts=False),
    "tfidf_lr+cues+span_texts": P.TrainOptions(
        sources=("armpro", "araieval"), use_cues=True, span_texts=True
    ),
    "+wanlp (shipped)": P.TrainOptions(sources=("armpro", "araieval", "wanlp")),
    "+wanlp+ptc": P.TrainOptions(sources=("armpro", "araieval", "wanlp", "ptc")),
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


def span_rows(folder: Path, *, with_wanlp: bool) -> dict[str, object]:
    from sklearn.model_selection import GroupKFold

    started = time.perf_counter()
    armpro = P.read_training_items(folder, sources=("armpro",))
    extra = P.read_training_items(folder, sources=("wanlp",)) if with_wanlp else []
    lexicon = P.CueLexicon.load()
    import pycrfsuite

    gold: list[object] = []
    pred: list[object] = []
    splitter = GroupKFold(n_splits=5, shuffle=True, random_state=13)
    for train_rows, test_rows in splitter.split(armpro, groups=[item.group for item in armpro]):
        with tempfile.TemporaryDirectory() as scratch:
            path = Path(scratch) / "crf"
            P._train_crf([armpro[i] for i in train_rows] + extra, lexicon, path)
            tagger = pycrfsuite.Tagger()
            tagger.open(str(path))
            for i in test_rows:
                gold.append(armpro[i].spans or ())
                pred.append(P._tag_spans(tagger, armpro[i].text, lexicon))
            tagger.close()
    figures = span_prf(gold, pred)  # type: ignore[arg-type]
    return {
        "variant": "crf BIO per technique" + (" +wanlp (shipped)" if with_wanlp else ""),
        "span_micro_p": round(figures["micro_precision"], 4),
        "span_micro_r": round(figures["micro_recall"], 4),
        "span_micro_f1": round(figures["micro_f1"], 4),
        "span_macro_f1": round(figures["macro_f1"], 4),
        "seconds": round(time.perf_counter() - started, 1),
    }


def speed(root: Path, *, articles: int = 2000) -> None:
    import gzip
    import os

    os.environ.setdefault("OMP_NUM_THREADS", "1")
    texts: list[list[str]] = []
    path = next((root / "corpora" / "saudinewsnet").glob("*.jsonl.gz"))
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        for line in handle:
            content = json.loads(line).get("content", "")
            paragraphs = [part.strip() for part in content.split("\n") if len(part.strip()) > 20][:5]
            if paragraphs:
                texts.append(paragraphs)
            if len(texts) >= articles:
                break
    chars = sum(len(p) for article in texts for p in article) / len(texts)
    count = sum(len(article) for article in texts) / len(texts)
    model = P.PersuasionModel.load()
    model.predict(texts[0])
    for with_spans in (False, True):
        started = time.perf_counter()
        for article in texts:
            model.article_score(model.predict(article, spans=with_spans))
        elapsed = time.perf_counter() - started
        print(
            json.dumps(
                {
                    "input": f"SaudiNewsNet, {len(texts)} articles, {count:.1f} paragraphs, {chars:.0f} chars each",
                    "spans": with_spans,
                    "articles_per_s": round(len(texts) / elapsed, 1),
                }
            ),
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=None)
    parser.add_argument("--only", nargs="*", default=None, help="variant names, or 'span'")
    parser.add_argument("--speed", action="store_true", help="time the shipped model instead")
    args = parser.parse_args()
    root = args.data or shared_data()
    if root is None:
        raise SystemExit("shared data not found; pass --data")
    if args.speed:
        print(describe_machine())
        speed(root)
        return
    folder = root / "persuasion"
    print(describe_machine())
    np.seterr(all="ignore")
    for name, options in VARIANTS.items():
        if args.only is None or name in args.only:
            print(json.dumps(paragraph_row(name, options, folder), ensure_ascii=False), flush=True)
    for with_wanlp, name in ((False, "span"), (True, "span+wanlp")):
        if args.only is None or name in args.only:
            print(json.dumps(span_rows(folder, with_wanlp=with_wanlp), ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
