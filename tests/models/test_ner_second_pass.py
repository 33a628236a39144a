"""The second NER pass: document features from the first pass's tags over one article."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from marsad.models.ner import NerModel, document_features, train_ner, windowed_document_features
from marsad.paths import shared_data


def _features(sentences: list[list[tuple[str, str, float]]], *, own: bool = False) -> list[list[list[str]]]:
    keys = [[word for word, _, _ in sentence] for sentence in sentences]
    tags = [[tag for _, tag, _ in sentence] for sentence in sentences]
    outside = [[p for _, _, p in sentence] for sentence in sentences]
    return document_features(keys, tags, outside, own=own)


def test_other_mentions_lend_their_type() -> None:
    first = [("قال", "O", 0.99), ("كاسبروف", "B-PER", 0.05), ("امس", "O", 0.99)]
    later = [("واضاف", "O", 0.99), ("كاسبروف", "O", 0.6), ("ان", "O", 1.0)]
    features = _features([first, later])
    # the later mention sees the confident PER mention; the first sees only an O mention
    assert features[1][1] == ["dk=PER", "dk=PER-2", "dkc=PER-2"]
    assert features[0][1] == ["dk=O"]
    # neighbours carry the mark too
    assert "+1:dk=PER" in features[1][0] and "-1:dk=PER" in features[1][2]


def test_a_single_mention_has_no_document_feature() -> None:
    features = _features([[("قال", "O", 0.99), ("باريس", "B-LOC", 0.1)]])
    assert features == [[[], []]]


def test_family_name_mark_excludes_the_own_name() -> None:
    full = [("ايمانويل", "B-PER", 0.1), ("ماكرون", "I-PER", 0.1)]
    alone = [("ماكرون", "O", 0.7), ("قال", "O", 0.99)]
    features = _features([full, alone])
    assert "dfam" in features[1][0]
    assert "dfam" not in features[0][1]


def test_words_without_letters_and_own_tags() -> None:
    features = _features([[("2015", "O", 0.99), ("،", "O", 1.0)], [("2015", "O", 0.99)]], own=True)
    assert features == [[["tag1=O"], ["tag1=O"]], [["tag1=O"]]]


def test_windows_are_separate_articles() -> None:
    keys = [["كاسبروف"], ["كاسبروف"], ["كاسبروف"]]
    tags = [["B-PER"], ["O"], ["O"]]
    outside = [[0.05], [0.6], [0.6]]
    features = windowed_document_features(keys, tags, outside, window=2, own=False)
    assert features[1][0][0] == "dk=PER"
    assert features[2][0] == []


@pytest.fixture(scope="module")
def small_model(anercorp_sample: Path, tmp_path_factory: pytest.TempPathFactory) -> NerModel:
    directory: Path = tmp_path_factory.mktemp("ner2")
    train_ner(train_path=anercorp_sample, out_dir=directory / "model", second_pass=True)
    return NerModel.load(directory / "model")


def _train_sentences(count: int) -> list[list[str]]:
    data = shared_data()
    assert data is not None
    text = (data / "ner/anercorp/ANERCorp_CamelLabRecipe_train.txt").read_text(encoding="utf-8")
    blocks = text.split("\n\n")[200 : 200 + count]
    return [[line.rsplit(" ", 1)[0] for line in block.splitlines() if line.strip()] for block in blocks]


def test_a_two_pass_model_is_trained_and_compiled(small_model: NerModel) -> None:
    assert small_model.meta["second_pass"]
    assert small_model.compiled is not None and small_model.compiled.second is not None


def test_two_pass_fast_path_equals_crfsuite(small_model: NerModel) -> None:
    sentences = [*_train_sentences(60), [], ["القاهرة"]]
    for start in range(0, len(sentences), 10):
        article = sentences[start : start + 10]
        assert small_model.predict(article) == small_model.predict(article, reference=True)
        tags, marginals = small_model.predict_with_marginals(article)
        expected_tags, expected = small_model.predict_with_marginals(article, reference=True)
        assert tags == expected_tags
        for got, want in zip(marginals, expected, strict=True):
            assert len(got) == len(want)
            if want:
                np.testing.assert_allclose(got, want, rtol=0, atol=1e-9)


def test_two_pass_batches_equal_one_call(small_model: NerModel, monkeypatch: pytest.MonkeyPatch) -> None:
    from marsad.models import crf_fast

    article = _train_sentences(30)
    whole = small_model.predict_article(article)
    monkeypatch.setattr(crf_fast, "BATCH_TOKENS", 50)
    assert small_model.predict_article(article) == whole
