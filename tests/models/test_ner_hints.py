"""The word-vector hints of the NER model (issue 3): the network, its storage, and both tagging paths."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from marsad.models.ner_clusters import normalise_word
from marsad.models.ner_hints import (
    MIN_HINT,
    WordHints,
    _design,
    cross_fitted_probabilities,
    cross_fitted_with_network,
    document_hints,
    fit_hints,
    hint_features,
    windowed_document_hints,
)

WORDS = ["في", "القاهرة", "قال", "الرئيس", "محمد", "وزارة", "الخارجية", "بيروت", "اليوم", "."]
LABELS = {"القاهرة": "B-LOC", "بيروت": "B-LOC", "محمد": "B-PER", "الخارجية": "I-ORG", "وزارة": "B-ORG"}


def _core(token: str) -> str:
    # the extractor's core for these tests: normalised, و/ب/ل stripped from a longer word
    word = normalise_word(token)
    return word[1:] if word[:1] in "وبل" and len(word) > 3 else word


def _template(width: int = 2) -> WordHints:
    rng = np.random.default_rng(7)
    # tables hold normalised words (ta marbuta, alef and hamza forms folded), as the corpus is
    words = [normalise_word(w) for w in WORDS]
    return WordHints.template(words=words, vectors=rng.normal(size=(len(WORDS), 12)), width=width)


def _corpus(count: int = 60) -> tuple[list[list[str]], list[list[str]]]:
    rng = np.random.default_rng(3)
    sentences = [
        [WORDS[i] for i in rng.integers(0, len(WORDS), size=int(rng.integers(1, 9)))] for _ in range(count)
    ]
    tags = [[LABELS.get(token, "O") for token in sentence] for sentence in sentences]
    return sentences, tags


@pytest.fixture(scope="module")
def trained() -> WordHints:
    template = _template()
    sentences, tags = _corpus(300)
    return fit_hints(
        rows=template.sentence_rows(sentences, _core), tags=tags, template=template, hidden=16, epochs=30
    )


def _dense_forward(hints: WordHints, rows: list[list[int]]) -> np.ndarray:
    """The network's output computed the plain way: the window's vectors side by side."""
    hidden = np.maximum(_design(hints, rows) @ hints.weights[0] + hints.weights[1], 0.0)
    logits = hidden @ hints.weights[2] + hints.weights[3]
    exp = np.exp(logits - logits.max(axis=1, keepdims=True))
    return exp / exp.sum(axis=1, keepdims=True)


def test_probabilities_equal_the_plain_forward_pass(trained: WordHints) -> None:
    sentences = [["القاهرة"], [], ["قال", "الرئيس", "محمد", "في", "بيروت", "اليوم", "."], ["كلمة", "غريبة"]]
    rows = trained.sentence_rows(sentences, _core)
    got = trained.probabilities(rows)
    assert [len(p) for p in got] == [1, 0, 7, 2]
    expected = _dense_forward(trained, [r for r in rows if r])
    np.testing.assert_allclose(np.concatenate(got), expected, rtol=0, atol=1e-5)
    for table in got:
        np.testing.assert_allclose(table.sum(axis=1), 1.0, atol=1e-5)


def test_a_sentence_alone_and_in_a_batch_get_the_same_hints(trained: WordHints) -> None:
    sentences, _ = _corpus(20)
    rows = trained.sentence_rows(sentences, _core)
    batch = trained.probabilities(rows)
    for sentence_rows, expected in zip(rows, batch, strict=True):
        np.testing.assert_allclose(trained.probabilities([sentence_rows])[0], expected, rtol=0, atol=1e-6)


def test_rows_fold_spelling_and_strip_clitics() -> None:
    template = _template()
    core_row = template.row("القاهرة", _core)
    assert template.row("والقاهرة", _core) == core_row  # conjunction attached
    assert template.row("الخارجيه", _core) == template.row("الخارجية", _core) != unknown_row(template)
    assert template.row("اَلقاهرة", _core) == core_row  # a diacritic is folded away
    unknown = template.row("زرغلوفيتش", _core)
    assert unknown == len(WORDS)
    # the unknown word has its own vector (the flag column), not the zero padding
    assert template._table[unknown, -1] == 1.0
    assert not template._table[template._pad].any()


def test_the_network_learns_the_training_labels(trained: WordHints) -> None:
    rows = trained.sentence_rows([["قال", "محمد", "في", "القاهرة"]], _core)
    best = [trained.classes[i] for i in trained.probabilities(rows)[0].argmax(axis=1)]
    assert best[1] == "B-PER" and best[3] == "B-LOC"


def unknown_row(template: WordHints) -> int:
    return len(template.words)


def test_hint_features_leave_out_o_and_tiny_hints() -> None:
    classes = ["B-LOC", "B-PER", "O"]
    features = hint_features(np.array([[0.5, MIN_HINT / 2, 0.5], [0.0, 0.2, 0.8]], dtype=np.float32), classes)
    assert features == [{"hint=B-LOC": 0.5}, {"hint=B-PER": pytest.approx(0.2)}]


CLASSES = ["B-LOC", "B-PER", "O"]


def test_document_hints_are_the_mean_of_the_other_mentions() -> None:
    # the same core (بيروت, written with and without a clitic) in three places of one article
    keys = [["بيروت", "قال"], ["في", "بيروت"], ["بيروت", "٢٠٢٤", "."]]
    hints = [
        np.array([[0.9, 0.0, 0.1], [0.0, 0.0, 1.0]], dtype=np.float32),
        np.array([[0.0, 0.0, 1.0], [0.3, 0.5, 0.2]], dtype=np.float32),
        np.array([[0.6, 0.004, 0.396], [0.0, 0.0, 1.0], [0.0, 0.0, 1.0]], dtype=np.float32),
    ]
    document = document_hints(keys, hints, CLASSES)
    assert [table.shape for table in document] == [(2, 3), (2, 3), (3, 3)]
    # first mention: mean of the second and third (B-PER 0.004 is under MIN_HINT, so it counts as 0)
    np.testing.assert_allclose(document[0][0], [(0.3 + 0.6) / 2, 0.5 / 2, 0.0], rtol=1e-6)
    np.testing.assert_allclose(document[1][1], [(0.9 + 0.6) / 2, 0.0, 0.0], rtol=1e-6)
    np.testing.assert_allclose(document[2][0], [(0.9 + 0.3) / 2, 0.5 / 2, 0.0], rtol=1e-6)
    # words met once, and keys without a letter (digits, punctuation), get nothing; O never
    for sentence, token in ((0, 1), (1, 0), (2, 1), (2, 2)):
        assert not document[sentence][token].any()
    assert all(not table[:, 2].any() for table in document)
    features = hint_features(hints[0], CLASSES, document[0])
    assert features[0] == {
        "hint=B-LOC": pytest.approx(0.9),
        "dhint=B-LOC": pytest.approx(0.45),
        "dhint=B-PER": pytest.approx(0.25),
    }


def test_neighbours_document_hints_stop_at_the_sentence_edges() -> None:
    probabilities = np.array([[0.0, 0.0, 1.0]] * 3, dtype=np.float32)
    document = np.array([[0.5, 0.0, 0.0], [0.0, 0.0, 0.0], [0.0, 0.3, 0.0]])
    features = hint_features(probabilities, CLASSES, document, neighbours=True)
    assert features == [
        {"dhint=B-LOC": 0.5},
        {"-1:dhint=B-LOC": 0.5, "+1:dhint=B-PER": pytest.approx(0.3)},
        {"dhint=B-PER": pytest.approx(0.3)},
    ]
    # without ``neighbours`` (the models of round five's first version) only the token's own
    assert hint_features(probabilities, CLASSES, document)[1] == {}


def test_document_hints_under_the_floor_are_left_out() -> None:
    keys = [["محمد"], ["محمد"], ["محمد"]]
    hints = [np.array([[0.0, p, 1.0 - p]], dtype=np.float32) for p in (0.9, 0.015, 0.005)]
    document = document_hints(keys, hints, CLASSES)
    # the third hint (0.005) counts as 0; (0.015 + 0) / 2 is under MIN_HINT, so it is zeroed
    assert document[0][0, 1] == 0.0
    assert document[1][0, 1] == pytest.approx(0.9 / 2)
    assert document[2][0, 1] == pytest.approx((0.9 + 0.015) / 2)


def test_an_article_of_one_mention_and_an_empty_article() -> None:
    assert document_hints([], [], CLASSES) == []
    alone = document_hints([["بيروت"]], [np.array([[0.9, 0.0, 0.1]], dtype=np.float32)], CLASSES)
    assert not alone[0].any()
    empty = document_hints([[]], [np.zeros((0, 3), dtype=np.float32)], CLASSES)
    assert empty[0].shape == (0, 3)


def test_windowed_document_hints_read_each_block_as_an_article() -> None:
    keys = [["بيروت"]] * 4
    hints = [np.array([[p, 0.0, 1.0 - p]], dtype=np.float32) for p in (0.2, 0.4, 0.6, 0.8)]
    document = windowed_document_hints(keys, hints, CLASSES, window=2)
    assert [round(float(table[0, 0]), 6) for table in document] == [0.4, 0.2, 0.8, 0.6]


def test_save_and_load_round_trip(trained: WordHints, tmp_path: Path) -> None:
    first, second = tmp_path / "a.npz", tmp_path / "b.npz"
    trained.save(first)
    loaded = WordHints.load(first, words=trained.words)
    assert (
        loaded.words == trained.words and loaded.classes == trained.classes and loaded.width == trained.width
    )
    rows = trained.sentence_rows([["قال", "محمد", "في", "بيروت"]], _core)
    np.testing.assert_array_equal(loaded.probabilities(rows)[0], trained.probabilities(rows)[0])
    loaded.save(second)
    assert first.read_bytes() == second.read_bytes()
    # the words come from the cluster table: a file read against other words is refused
    with pytest.raises(ValueError, match="word list"):
        WordHints.load(first, words=[*trained.words[:-1], "كلمة"])


def test_a_network_of_the_wrong_shape_is_refused() -> None:
    template = _template(width=2)
    with pytest.raises(ValueError, match="window"):
        WordHints(
            words=template.words,
            codes=template.codes,
            scales=template.scales,
            weights=template.weights,
            classes=["O"],
            width=1,
        )


def test_the_shipped_model_uses_its_hints() -> None:
    from marsad.models.ner import NerModel

    model = NerModel.load()
    assert model.meta["hints"] and model.hints is not None
    assert model.compiled is not None and model.compiled._hint_weights is not None
    # the CRF learnt real weights for the hints: they move the scores of an unseen name
    assert np.abs(model.compiled._hint_weights).max() > 0.1


def test_the_shipped_model_reads_document_hints_over_the_article() -> None:
    from marsad.models.ner import NerModel

    model = NerModel.load()
    assert model.document_hints and model.meta["hints"]["document"] == 10
    assert model.compiled is not None and model.compiled._document_weights is not None
    assert np.abs(model.compiled._document_weights).max() > 0.1
    # and the neighbours' document hints
    assert model.document_neighbours and model.compiled._document_sides is not None
    assert all(np.abs(side).max() > 0.01 for side in model.compiled._document_sides)
    # a rare surname met three times: each mention hears the other two
    article = [
        ["التقى", "الوزير", "جاريد", "كوشنر", "في", "الرياض", "."],
        ["وقال", "كوشنر", "إن", "المحادثات", "كانت", "مثمرة", "."],
        ["وغادر", "كوشنر", "مساء", "أمس", "."],
    ]
    hints = model._hint_probabilities(article)
    document = model._document_hints(article, hints)
    assert document is not None
    mentions = [(0, 3), (1, 1), (2, 1)]
    assert all(document[s][t].sum() > 0.1 for s, t in mentions)
    # words met once get none; and tagging the sentences one by one gives up what the others said
    assert not document[0][5].any()
    alone = model._document_hints([article[1]], [hints[1]])
    assert alone is not None and not alone[0][1].any()


def test_a_model_without_its_hint_file_is_a_coded_error(tmp_path: Path) -> None:
    import shutil

    from marsad.errors import MarsadError
    from marsad.models.ner import CLUSTER_FILE, META_FILE, MODEL_FILE, NerModel, _package_data_dir

    for name in (MODEL_FILE, CLUSTER_FILE, META_FILE):
        shutil.copyfile(_package_data_dir() / name, tmp_path / name)
    with pytest.raises(MarsadError) as caught:
        NerModel.load(tmp_path)
    assert caught.value.code == "E204"
    assert "hint" in str(caught.value)


def test_networks_trained_side_by_side_equal_those_trained_one_by_one() -> None:
    # `marsad train ner` trains the five cross-fitted networks and the final one in two processes; the
    # hints the CRF learns from, and the shipped network, must be the same as one process gives
    template = _template()
    sentences, tags = _corpus(120)
    rows = template.sentence_rows(sentences, _core)
    options = {"hidden": 8, "epochs": 5, "folds": 3}
    expected, classes = cross_fitted_probabilities(rows=rows, tags=tags, template=template, **options)
    alone = fit_hints(rows=rows, tags=tags, template=template, hidden=8, epochs=5)
    for workers in (1, 2):
        got, got_classes, network = cross_fitted_with_network(
            rows=rows, tags=tags, template=template, workers=workers, **options
        )
        assert got_classes == classes
        assert len(got) == len(sentences)
        for mine, theirs in zip(got, expected, strict=True):
            np.testing.assert_array_equal(mine, theirs)
        assert network.classes == alone.classes
        for mine, theirs in zip(network.weights, alone.weights, strict=True):
            np.testing.assert_array_equal(mine, theirs)
