"""The persuasion binary decision: span-tagger summary, stacking, and fitting to a source's label share."""

from __future__ import annotations

import math

import numpy as np
import pytest

from marsad.models import persuasion as P
from marsad.models.persuasion import SPAN_CLASSES, PersuasionModel, span_summary, stack_features

LOADED = "ارتكبت العصابة الإرهابية المجرمة مجزرة وحشية مروعة بحق الأبرياء، في جريمة همجية غير مسبوقة!"
SOBER = "قال المتحدث باسم الوزارة إن الاجتماع سيعقد يوم الأحد المقبل في مقر الوزارة بالعاصمة."


def test_span_summary_by_hand() -> None:
    probabilities = np.zeros((3, len(SPAN_CLASSES)))
    probabilities[:, 0] = [0.9, 0.4, 1.0]  # "no technique"
    probabilities[0, SPAN_CLASSES.index("Loaded_Language")] = 0.1
    probabilities[1, SPAN_CLASSES.index("Name_Calling-Labeling")] = 0.6
    # carrying = 0.1, 0.6, 0.0: max 0.6, expected count 0.7, one word at 0.3 or above
    assert span_summary(probabilities) == pytest.approx([0.6, math.log1p(0.7), math.log1p(1), 0.1, 0.6])
    assert span_summary(np.zeros((0, len(SPAN_CLASSES)))) == [0.0] * 5
    rows = stack_features(np.array([2.5, -1.0]), [probabilities, np.zeros((0, len(SPAN_CLASSES)))])
    assert rows.shape == (2, 6) and rows[0, 0] == 2.5 and rows[1].tolist() == [-1.0, 0, 0, 0, 0, 0]


def test_prior_shift_moves_log_odds_to_the_source_share() -> None:
    def item(source: str) -> P.TrainingItem:
        return P.TrainingItem("نص", frozenset(), None, source, "g", False)

    core = [item("araieval")] * 4 + [item("armpro")] * 4
    targets = np.array([1, 1, 1, 1, 1, 1, 0, 0])  # training mix 75%, ArMPro 50%
    prior, shift = P._prior_shift(core, targets, "armpro")
    assert prior == 0.5
    assert shift == pytest.approx(0.0 - math.log(3.0))
    assert P._prior_shift(core, targets, None) == (0.75, 0.0)


def test_weighted_threshold_follows_the_target_share() -> None:
    probabilities = np.array([0.2, 0.35, 0.4, 0.6, 0.7, 0.9])
    targets = np.array([0, 0, 1, 0, 1, 1])
    grid = np.array([0.3, 0.5, 0.65])
    # Recall on true / on false: 0.3 -> 1 and 1/3; 0.5 -> 2/3 and 2/3; 0.65 -> 2/3 and 1.
    assert P._best_weighted_threshold(probabilities, targets, prior=0.5, grid=grid) == 0.65
    # Nearly all positive: the low threshold that keeps every positive wins.
    assert P._best_weighted_threshold(probabilities, targets, prior=0.99, grid=grid) == 0.3


def _synthetic(
    rng: np.random.Generator,
) -> tuple[dict[str, np.ndarray], list[P.TrainingItem], list[np.ndarray]]:
    items, raw, tagged = [], [], []
    for row in range(400):
        source = "armpro" if row % 2 else "araieval"
        share = 0.4 if source == "armpro" else 0.8
        positive = bool(rng.random() < share)
        items.append(P.TrainingItem(f"نص {row}", frozenset(), None, source, f"g{row}", positive))
        raw.append(rng.normal(1.0 if positive else -1.0))
        probabilities = np.zeros((3, len(SPAN_CLASSES)))
        probabilities[:, 0] = 1.0
        tagged.append(probabilities)
    oof = {
        "index": np.arange(len(items)),
        "fold": np.arange(len(items)) % 5,
        "binary": np.array(raw)[:, None],
        "techniques": np.full((len(items), len(P.TECHNIQUES)), -3.0),
        "coarse": np.full((len(items), len(P.COARSE_CLASSES)), -3.0),
    }
    return oof, items, tagged


def test_stacker_fits_the_chosen_source() -> None:
    oof, items, tagged = _synthetic(np.random.default_rng(4))
    mix = P.choose_calibration(oof, items, tagged=tagged, prior_source=None)
    armpro = P.choose_calibration(oof, items, tagged=tagged, prior_source="armpro")
    # Fitted to ArMPro's lower share, the same paragraph gets a lower probability ...
    assert (armpro["binary_probability"] < mix["binary_probability"]).all()
    rows = np.array([item.source == "armpro" for item in items])
    targets = np.array([item.propagandistic for item in items])
    # ... whose mean matches what ArMPro's paragraphs show (calibrated on the target source).
    assert armpro["binary_probability"][rows].mean() == pytest.approx(targets[rows].mean(), abs=0.05)
    assert armpro["binary_prior"] == pytest.approx(targets[rows].mean())
    weights, _ = armpro["stacker"]
    assert weights.shape == (6,) and weights[0] > 0


@pytest.fixture(scope="module")
def model() -> PersuasionModel:
    return PersuasionModel.load()


def test_shipped_binary_score_does_not_depend_on_asking_for_spans(model: PersuasionModel) -> None:
    with_spans = model.predict([LOADED, SOBER])
    without = model.predict([LOADED, SOBER], spans=False)
    assert [p.score for p in with_spans] == [p.score for p in without]
    assert [p.propagandistic for p in with_spans] == [p.propagandistic for p in without]
    assert with_spans[0].score > with_spans[1].score


def test_shipped_stacker_uses_the_tagger(model: PersuasionModel) -> None:
    if model.stacker is None:
        pytest.skip("the shipped bundle has no stacker")
    assert model.tagger is not None
    (prediction,) = model.predict([LOADED])
    raw = model.featurizer.scores([LOADED], model._weights)[0, 0] + model._bias[0]
    ((_, found),) = model.tagger.probabilities([LOADED])
    vector_scores = None
    if model.vectors is not None and model.vector_head is not None:
        vector = model.vectors.transform([LOADED])
        columns = [vector @ model.vector_head.weights[:, 0] + model.vector_head.bias[0]]
        if model.vector_svm is not None:
            columns.append(model.vector_svm.scores(vector))
        vector_scores = np.column_stack(columns)
        assert model.vector_scores([LOADED]) == pytest.approx(vector_scores, abs=1e-5)
    expected = model.stacker.probabilities(stack_features(np.array([raw]), [found], vector_scores))[0, 0]
    assert prediction.score == pytest.approx(expected, abs=1e-6)
    assert prediction.propagandistic == (expected >= model.stacker.thresholds[0])


def test_word_vectors_weighted_mean_by_hand() -> None:
    table = P.WordVectors(["حرب", "سلام"], np.array([[1.0, 0.0], [0.0, 2.0]]), np.array([1.0, 3.0]))
    rows = table.transform(["الحرب حرب وسلام؟", "سلام سلام", "كلام آخر", ""])
    # "الحرب" and "وسلام" are other words; one "حرب" (weight 1) alone
    assert rows[0].tolist() == pytest.approx([1.0, 0.0])
    assert rows[1].tolist() == pytest.approx([0.0, 2.0])
    assert rows[2].tolist() == [0.0, 0.0] and rows[3].tolist() == [0.0, 0.0]
    mixed = table.transform(["حرب سلام"])[0]
    assert mixed.tolist() == pytest.approx([0.25, 1.5])  # (1 * [1, 0] + 3 * [0, 2]) / 4
    assert stack_features(np.array([0.5]), [np.zeros((0, len(SPAN_CLASSES)))], np.array([1.5])).shape == (
        1,
        7,
    )


def test_vector_head_folds_scaling_and_source_into_one_score() -> None:
    rng = np.random.default_rng(2)
    vectors = rng.normal(size=(200, 4)) * [1.0, 5.0, 0.1, 2.0] + [0.0, 3.0, -1.0, 0.0]
    source = (np.arange(200) % 2).astype(float)
    targets = (vectors[:, 0] + 0.3 * rng.normal(size=200) > 0).astype(int)
    weights, bias = P._fit_vector_head(vectors, targets, source, c=1.0)
    from sklearn.linear_model import LogisticRegression

    mean, std = vectors.mean(axis=0), vectors.std(axis=0) + 1e-9
    reference = LogisticRegression(C=1.0, max_iter=3000, class_weight="balanced").fit(
        np.hstack([(vectors - mean) / std, source[:, None]]), targets
    )
    shown = np.hstack([(vectors - mean) / std, np.ones((200, 1))])
    assert vectors @ weights + bias == pytest.approx(reference.decision_function(shown), abs=1e-4)


def test_vector_svm_score_matches_scikit_learn() -> None:
    rng = np.random.default_rng(3)
    vectors = rng.normal(size=(240, 4)) * [1.0, 5.0, 0.1, 2.0] + [0.0, 3.0, -1.0, 0.0]
    source = (np.arange(240) % 3 == 0).astype(float)
    targets = (vectors[:, 0] ** 2 + 0.3 * rng.normal(size=240) > 0.5).astype(int)  # not linear
    head = P._fit_vector_svm(vectors, targets, source, c=1.0)
    from sklearn.svm import SVC

    mean, std = vectors.mean(axis=0), vectors.std(axis=0) + 1e-9
    reference = SVC(C=1.0, kernel="rbf", gamma="scale", class_weight="balanced").fit(
        np.hstack([(vectors - mean) / std, source[:, None]]), targets
    )
    shown = np.hstack([(vectors - mean) / std, np.ones((240, 1))])
    assert head.scores(vectors) == pytest.approx(reference.decision_function(shown), abs=1e-4)
    assert head.support.dtype == np.float32 and len(head.dual) == len(head.support)
    rows = stack_features(
        np.array([0.5, 1.0]), [np.zeros((0, len(SPAN_CLASSES)))] * 2, np.array([[1.5, -0.2], [0.1, 0.3]])
    )
    assert rows.shape == (2, 8) and rows[0, -2:].tolist() == [1.5, -0.2]


def test_word_vector_table_of_the_most_frequent_corpus_words() -> None:
    class Keyed:
        def __init__(self) -> None:
            self.index_to_key = ["في", "من", "حرب", "سلام"]
            self.key_to_index = {word: index for index, word in enumerate(self.index_to_key)}
            self.vector_size = 2

        def get_vecattr(self, word: str, name: str) -> int:
            return {"في": 50, "من": 30, "حرب": 15, "سلام": 5}[word]

        def __getitem__(self, words: list[str]) -> np.ndarray:
            return np.array([[float(self.key_to_index[w]), 1.0] for w in words])

    table = P.word_vectors_for(Keyed(), ["نص لا يهم"], top=3)
    assert sorted(table.vocabulary) == sorted(["في", "من", "حرب"])
    assert table.weights[table.vocabulary["حرب"]] == pytest.approx(1e-3 / (1e-3 + 15 / 100))
    by_texts = P.word_vectors_for(Keyed(), ["حرب سلام", "حرب"], min_df=2)
    assert list(by_texts.vocabulary) == ["حرب"]
