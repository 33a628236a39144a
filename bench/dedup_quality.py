"""Precision and recall of copy and reuse detection on SaudiNewsNet plus synthetic edits.

Labelled pairs:
* corpus pairs: every pair of the first N articles sharing a 5-word shingle held by at most 50
  articles, scored by exact Jaccard over shingles (the ground truth); a pair is a copy at t
  when its exact Jaccard is at least t;
* synthetic copies of real articles with realistic edits (dropped or added paragraphs, a new
  headline, inserted boilerplate, reordered sentences, word substitutions, a dropped credit);
* passage reuse: two or three consecutive paragraphs of one article inside another, unrelated
  article; negatives are same-event articles from other outlets (same date, shared title words,
  almost no shared shingle) and random pairs.

Predictions are what the store does: LSH band candidates verified by exact Jaccard (and, for
comparison, by the MinHash estimate alone); reuse candidates sharing two winnowed fingerprints,
verified by passage alignment.

    python bench/dedup_quality.py [--articles 12000] [--seed 1]
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import re
import sys
import time
from collections import defaultdict

import numpy as np

from marsad.corpus import dedup, reuse
from marsad.corpus.syndication import changes
from marsad.paths import shared_data

BOILERPLATE = "تابعونا على حساباتنا في مواقع التواصل الاجتماعي لمعرفة آخر الأخبار والتطورات لحظة بلحظة."
CREDITS = re.compile(r"[\(\-–]?\s*(?<!\w)(واس|أ ف ب|رويترز|فرانس برس)(?!\w)\s*[\)\-–]?")


def load(limit: int) -> list[dict[str, str]]:
    data = shared_data()
    if data is None:
        sys.exit("../shared/data is absent")
    path = data / "corpora" / "saudinewsnet" / "saudinewsnet.jsonl.gz"
    articles = []
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        for line in handle:
            record = json.loads(line)
            if record.get("content", "").strip():
                articles.append(record)
            if len(articles) >= limit:
                break
    return articles


def exact_pairs(shingles: list[np.ndarray], *, cap: int = 50) -> dict[tuple[int, int], float]:
    """Exact Jaccard of every pair sharing a shingle held by at most ``cap`` articles."""
    sets = [np.unique(s) for s in shingles]
    flat = np.concatenate(sets)
    owner = np.repeat(np.arange(len(sets)), [len(s) for s in sets])
    order = np.argsort(flat, kind="stable")
    flat, owner = flat[order], owner[order]
    starts = np.flatnonzero(np.concatenate(([True], flat[1:] != flat[:-1])))
    sizes = np.diff(np.concatenate((starts, [len(flat)])))
    shared: dict[tuple[int, int], int] = defaultdict(int)
    for start, size in zip(
        starts[(sizes > 1) & (sizes <= cap)], sizes[(sizes > 1) & (sizes <= cap)], strict=True
    ):
        members = owner[start : start + size].tolist()
        for i in range(len(members)):
            for j in range(i + 1, len(members)):
                shared[(members[i], members[j])] += 1
    result = {}
    for (i, j), count in shared.items():
        if count / max(1, min(len(sets[i]), len(sets[j]))) < 0.2:
            continue  # cannot reach Jaccard 0.2
        result[(i, j)] = dedup.jaccard(sets[i], sets[j])
    return result


def edit(text: str, rng: random.Random, donor: str) -> tuple[str, list[str]]:
    """A copy of ``text`` with two or three realistic edits; returns it and the edits' names."""
    paragraphs = [p for p in text.split("\n") if p.strip()]
    kinds = rng.sample(
        ["drop", "add", "boilerplate", "reorder", "substitute", "credit"], k=rng.choice([2, 3])
    )
    for kind in kinds:
        if kind == "drop" and len(paragraphs) > 3:
            del paragraphs[rng.randrange(1, len(paragraphs))]
        elif kind == "add":
            extra = [p for p in donor.split("\n") if p.strip()][:1]
            paragraphs.insert(rng.randrange(0, len(paragraphs) + 1), *extra)
        elif kind == "boilerplate":
            paragraphs.append(BOILERPLATE)
        elif kind == "reorder" and len(paragraphs) > 2:
            i = rng.randrange(0, len(paragraphs) - 1)
            paragraphs[i], paragraphs[i + 1] = paragraphs[i + 1], paragraphs[i]
        elif kind == "substitute":
            words = " ".join(paragraphs).split(" ")
            for _ in range(max(1, len(words) // 40)):
                words[rng.randrange(len(words))] = rng.choice(["كما", "أيضا", "حاليا", "رسميا"])
            paragraphs = [" ".join(words)]
        elif kind == "credit":
            paragraphs = [CREDITS.sub(" ", p) for p in paragraphs]
    return "\n\n".join(paragraphs), kinds


def precision_recall(truth: set, predicted: set) -> tuple[float, float]:
    true_positive = len(truth & predicted)
    precision = true_positive / len(predicted) if predicted else 1.0
    recall = true_positive / len(truth) if truth else 1.0
    return precision, recall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=12000)
    parser.add_argument("--seed", type=int, default=1)
    options = parser.parse_args()
    rng = random.Random(options.seed)
    started = time.perf_counter()
    corpus = load(options.articles)
    texts = [a["content"] for a in corpus]
    print(f"SaudiNewsNet: first {len(texts)} non-empty articles")

    # -- synthetic copies, appended to the corpus ---------------------------------------------
    eligible = [i for i, t in enumerate(texts) if t.count("\n") >= 4 and len(t) > 800]
    sources = rng.sample(eligible, 400)
    synthetic_pairs = []
    edits_of = {}
    credit_cases = 0
    credit_flagged = 0
    for source in sources:
        copy_text, kinds = edit(texts[source], rng, texts[rng.choice(eligible)])
        texts.append(copy_text)
        synthetic_pairs.append((source, len(texts) - 1))
        edits_of[len(texts) - 1] = kinds
        if "credit" in kinds and CREDITS.search(texts[source]):
            credit_cases += 1
            found = changes({"text": texts[source], "meta": {}}, {"text": copy_text, "meta": {}})
            credit_flagged += bool(found["credits_removed"])

    # -- copies: ground truth and predictions --------------------------------------------------
    flat, sizes = dedup.shingle_batch(texts)
    offsets = np.concatenate(([0], np.cumsum(sizes)))
    shingles = [flat[offsets[i] : offsets[i + 1]] for i in range(len(texts))]
    truth_scores = exact_pairs(shingles)
    for a, b in synthetic_pairs:
        truth_scores.setdefault((a, b), dedup.jaccard(shingles[a], shingles[b]))
    signatures = dedup.signatures_of_flat(flat, sizes).values
    candidates = dedup.lsh_candidates(dedup.band_keys(signatures), sizes=sizes)
    estimates = (signatures[candidates[:, 0]] == signatures[candidates[:, 1]]).mean(axis=1)
    print(
        f"labelled corpus+synthetic pairs with Jaccard >= 0.2: {len(truth_scores)}; LSH candidates: {len(candidates)}"
    )
    print("\n| pairs | threshold | positives | verification | precision | recall |")
    print("|---|---|---|---|---|---|")
    for threshold in (0.5, 0.8):
        truth = {pair for pair, score in truth_scores.items() if score >= threshold}
        by_estimate = {
            (int(a), int(b))
            for (a, b), e in zip(candidates.tolist(), estimates, strict=True)
            if e >= threshold
        }
        by_exact = set()
        for (a, b), e in zip(candidates.tolist(), estimates, strict=True):
            if e >= 0.3 and truth_scores.get((a, b), dedup.jaccard(shingles[a], shingles[b])) >= threshold:
                by_exact.add((a, b))
        for name, predicted in (("MinHash estimate", by_estimate), ("exact (as the store)", by_exact)):
            p, r = precision_recall(truth, predicted)
            print(
                f"| copies (corpus + synthetic) | {threshold} | {len(truth)} | {name} | {p:.3f} | {r:.3f} |"
            )
        synthetic_truth = {pair for pair in synthetic_pairs if truth_scores[pair] >= threshold}
        p, r = precision_recall(synthetic_truth, by_exact & set(synthetic_pairs))
        print(f"| synthetic copies only | {threshold} | {len(synthetic_truth)} | exact | {p:.3f} | {r:.3f} |")
    print(
        f"\nsynthetic copies with exact Jaccard >= 0.5: {sum(truth_scores[p] >= 0.5 for p in synthetic_pairs)} of {len(synthetic_pairs)}"
    )
    print(f"dropped credits flagged: {credit_flagged} of {credit_cases}")

    # -- passage reuse ----------------------------------------------------------------------
    base = texts[: len(corpus)]
    positives = []
    reuse_texts: list[str] = []
    for _ in range(300):
        source, host = rng.sample(eligible, 2)
        paragraphs = [p for p in base[source].split("\n") if p.strip()]
        host_paragraphs = [p for p in base[host].split("\n") if p.strip()]
        width = rng.choice([2, 3])
        start = rng.randrange(0, max(1, len(paragraphs) - width))
        borrowed = paragraphs[start : start + width]
        at = rng.randrange(0, len(host_paragraphs) + 1)
        new_host = "\n\n".join(host_paragraphs[:at] + borrowed + host_paragraphs[at:])
        reuse_texts.append(new_host)
        positives.append((source, len(base) + len(reuse_texts) - 1, "\n\n".join(borrowed)))
    negatives = same_event_pairs(corpus, shingles, rng, limit=300)
    randoms = [tuple(rng.sample(range(len(base)), 2)) for _ in range(300)]
    all_texts = base + reuse_texts
    reuse_shingles = shingles[: len(base)] + [dedup.shingle_hashes(t) for t in reuse_texts]
    prints = [set(reuse.fingerprints(s).tolist()) for s in reuse_shingles]

    def predicted(a: int, b: int) -> reuse.Reuse | None:
        if len(prints[a] & prints[b]) < reuse.MIN_SHARED_FINGERPRINTS:
            return None
        found = reuse.find_reuse(all_texts[a], all_texts[b])
        return found if found.passages else None

    hits = 0
    located = 0
    for source, host, borrowed in positives:
        found = predicted(source, host)
        if found is not None:
            hits += 1
            host_text = all_texts[host]
            where = host_text.find(borrowed[:200])
            passage = max(found.passages, key=lambda p: p.words)
            located += (
                where >= 0 and passage.b_start <= where + 5 and passage.b_end >= where + len(borrowed) - 5
            )
    false_same_event = sum(predicted(a, b) is not None for a, b in negatives)
    false_random = sum(predicted(a, b) is not None for a, b in randoms)
    predicted_positive = hits + false_same_event + false_random
    print(
        "\n| reuse pairs | positives | same-event negatives | random negatives | precision | recall | passage located |"
    )
    print("|---|---|---|---|---|---|---|")
    print(
        f"| 2-3 paragraphs inside another article | {len(positives)} | {len(negatives)} ({false_same_event} flagged) "
        f"| {len(randoms)} ({false_random} flagged) | {hits / max(1, predicted_positive):.3f} | {hits / len(positives):.3f} "
        f"| {located / max(1, hits):.3f} |"
    )
    print(f"\n{time.perf_counter() - started:.1f} s")


def same_event_pairs(
    corpus: list[dict[str, str]], shingles: list[np.ndarray], rng: random.Random, *, limit: int
) -> list[tuple[int, int]]:
    """Articles of the same day from different outlets sharing 3+ title words and (almost) no shingle."""
    by_day: dict[str, list[int]] = defaultdict(list)
    for index, article in enumerate(corpus):
        by_day[(article.get("date_extracted") or "")[:10]].append(index)
    title_words = [{w for w in dedup.words(a.get("title") or "") if len(w) >= 4} for a in corpus]
    pairs = []
    days = list(by_day.values())
    rng.shuffle(days)
    for members in days:
        for i in range(len(members)):
            for j in range(i + 1, len(members)):
                a, b = members[i], members[j]
                if corpus[a]["source"] == corpus[b]["source"] or len(title_words[a] & title_words[b]) < 3:
                    continue
                if len(np.intersect1d(shingles[a], shingles[b])) >= 3:
                    continue
                pairs.append((a, b))
                if len(pairs) >= limit:
                    return pairs
    return pairs


if __name__ == "__main__":
    main()
