"""The sentence network of NER round seven (marsad.models.ner_sequence): the numpy tagger against
PyTorch's own forward pass, determinism, storage, and a model trained with ``sequence=True``."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from marsad.models.ner_clusters import normalise_word
from marsad.models.ner_hints import WordHints, mean_hints
from marsad.models.ner_sequence import MAX_CHARS, SequenceHints, fit_sequence_hints

torch = pytest.importorskip("torch", reason="the sentence network trains with PyTorch (the train extra)")

WORDS = ["في", "القاهرة", "قال", "الرئيس", "محمد", "وزارة", "الخارجية", "بيروت", "اليوم", "."]
LABELS = {"القاهرة": "B-LOC", "بيروت": "B-LOC", "محمد": "B-PER", "الخارجية": "I-ORG", "وزارة": "B-ORG"}


def _core(token: str) -> str:
    word = normalise_word(token)
    return word[1:] if word[:1] in "وبل" and len(word) > 3 else word


def _table() -> WordHints:
    rng = np.random.default_rng(7)
    words = [normalise_word(w) for w in WORDS]
    return WordHints.template(words=words, vectors=rng.normal(size=(len(WORDS), 12)), width=2)


def _corpus(count: int) -> tuple[list[list[str]], list[list[str]]]:
    rng = np.random.default_rng(3)
    # a few words outside the table, so the character features matter
    vocabulary = [*WORDS, "ترامب", "وموسكو", "بكين"]
    sentences = [
        [vocabulary[i] for i in rng.integers(0, len(vocabulary), size=int(rng.integers(1, 12)))]
        for _ in range(count)
    ]
    labels = {**LABELS, "ترامب": "B-PER", "وموسكو": "B-LOC", "بكين": "B-LOC"}
    return sentences, [[labels.get(token, "O") for token in sentence] for sentence in sentences]


def _fit(
    table: WordHints, sentences: list[list[str]], tags: list[list[str]], *, epochs: int = 6
) -> SequenceHints:
    chars, weights, classes = fit_sequence_hints(
        sentences=sentences,
        rows=table.sentence_rows(sentences, _core),
        tags=tags,
        vectors=table._table,
        pad=table._pad,
        hidden=8,
        epochs=epochs,
    )
    return SequenceHints(table=table, chars=chars, weights=weights, classes=classes)


@pytest.fixture(scope="module")
def trained() -> SequenceHints:
    sentences, tags = _corpus(200)
    return _fit(_table(), sentences, tags)


def _torch_forward(network: SequenceHints, tokens: list[str]) -> np.ndarray:
    """The same network rebuilt from its weights in PyTorch and run there."""
    w = {name: torch.tensor(value) for name, value in network.weights.items()}
    size = network.size
    conv = torch.nn.Conv1d(w["conv"].shape[1], w["conv"].shape[0], 3, padding=1)
    lstm = torch.nn.LSTM(w["ih_forward"].shape[1], size, batch_first=True, bidirectional=True)
    with torch.no_grad():
        conv.weight.copy_(w["conv"])
        conv.bias.copy_(w["conv_bias"])
        for suffix, name in (("", "forward"), ("_reverse", "backward")):
            getattr(lstm, "weight_ih_l0" + suffix).copy_(w["ih_" + name])
            getattr(lstm, "weight_hh_l0" + suffix).copy_(w["hh_" + name])
            getattr(lstm, "bias_ih_l0" + suffix).copy_(w["bias_" + name])
            getattr(lstm, "bias_hh_l0" + suffix).zero_()
        ids = np.zeros((len(tokens), MAX_CHARS), np.int64)
        known = {char: number + 2 for number, char in enumerate(network.chars)}
        for number, token in enumerate(tokens):
            word = normalise_word(token)[:MAX_CHARS]
            ids[number, : len(word)] = [known.get(char, 1) for char in word]
        embedded = w["char_embedding"][torch.tensor(ids)].transpose(1, 2)
        chars = torch.relu(conv(embedded)).max(dim=2).values
        rows = network.table.sentence_rows([tokens], _core)[0]
        inputs = torch.cat([torch.tensor(network.table._table[rows]), chars], dim=1)[None]
        states, _ = lstm(inputs)
        logits = states[0] @ w["out"].T + w["out_bias"]
        return torch.softmax(logits, dim=1).numpy()


def test_the_numpy_tagger_equals_pytorchs_forward_pass(trained: SequenceHints) -> None:
    sentences = [
        ["قال", "الرئيس", "محمد", "في", "بيروت", "اليوم", "."],
        ["وموسكو"],
        ["كلمة", "لم", "ترد", "في", "التدريب", "قط", "ولا", "حروفها", "كلها", "ﻻ"],
    ]
    ours = trained.sentence_probabilities(sentences, _core)
    for tokens, table in zip(sentences, ours, strict=True):
        assert table.shape == (len(tokens), len(trained.classes))
        np.testing.assert_allclose(table, _torch_forward(trained, tokens), atol=1e-5)
        np.testing.assert_allclose(table.sum(axis=1), 1.0, rtol=1e-5)


def test_a_sentence_alone_and_in_a_batch_get_the_same_distributions(trained: SequenceHints) -> None:
    batch = [["قال", "محمد"], ["في", "القاهرة", "اليوم"], [], ["بيروت"]]
    together = trained.sentence_probabilities(batch, _core)
    for tokens, table in zip(batch, together, strict=True):
        alone = trained.sentence_probabilities([tokens], _core)[0]
        np.testing.assert_allclose(alone, table, atol=1e-6)
    assert together[2].shape == (0, len(trained.classes))
    assert trained.sentence_probabilities([], _core) == []


def test_the_network_learns_its_training_labels(trained: SequenceHints) -> None:
    tokens = ["قال", "محمد", "في", "بيروت", "وموسكو"]
    table = trained.sentence_probabilities([tokens], _core)[0]
    predicted = [trained.classes[i] for i in table.argmax(axis=1)]
    assert predicted == ["O", "B-PER", "O", "B-LOC", "B-LOC"]


def test_training_is_deterministic() -> None:
    sentences, tags = _corpus(40)
    first = _fit(_table(), sentences, tags, epochs=2)
    second = _fit(_table(), sentences, tags, epochs=2)
    assert first.chars == second.chars and first.classes == second.classes
    for name, value in first.weights.items():
        np.testing.assert_array_equal(value, second.weights[name])


def test_save_and_load_round_trip(trained: SequenceHints, tmp_path: Path) -> None:
    first, second = tmp_path / "a.npz", tmp_path / "b.npz"
    trained.save(first)
    loaded = SequenceHints.load(first, table=trained.table)
    tokens = [["قال", "محمد", "في", "بيروت"]]
    np.testing.assert_array_equal(
        loaded.sentence_probabilities(tokens, _core)[0], trained.sentence_probabilities(tokens, _core)[0]
    )
    loaded.save(second)
    assert first.read_bytes() == second.read_bytes()
    other = WordHints.template(
        words=[*trained.table.words[:-1], "كلمة"], vectors=np.ones((len(WORDS), 12)), width=2
    )
    with pytest.raises(ValueError, match="another word table"):
        SequenceHints.load(first, table=other)


def test_mean_hints_aligns_the_second_networks_labels() -> None:
    first = [np.asarray([[0.2, 0.8, 0.0], [1.0, 0.0, 0.0]], np.float32)]
    second = [np.asarray([[0.6, 0.4], [0.0, 1.0]], np.float32)]
    # the second network never saw B-LOC: its column counts as 0
    out = mean_hints(first, ["B-PER", "O", "B-LOC"], second, ["O", "B-PER"])
    np.testing.assert_allclose(out[0], [[0.3, 0.7, 0.0], [1.0, 0.0, 0.0]])
    same = mean_hints(first, ["a", "b", "c"], first, ["a", "b", "c"])
    np.testing.assert_allclose(same[0], first[0])


@pytest.fixture(scope="module")
def sequence_model(anercorp_sample: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from marsad.models.ner import train_ner

    directory: Path = tmp_path_factory.mktemp("ner7")
    figures = train_ner(train_path=anercorp_sample, out_dir=directory / "model", sequence=True)
    assert figures["sequence_bytes"] > 0
    return directory / "model"


def test_a_model_trained_with_the_sentence_network_reads_it(sequence_model: Path) -> None:
    from marsad.models.ner import SEQUENCE_HINTS, NerModel

    model = NerModel.load(sequence_model)
    assert model.meta["hints"]["sequence"] == SEQUENCE_HINTS
    assert model.sequence is not None and model.compiled is not None
    article = [["قال", "الرئيس", "محمد", "في", "بيروت", "."], ["وزار", "القاهرة", "."]]
    # the hints the CRF reads are the mean of the two networks'
    window = model.hints.probabilities(model.hints.sentence_rows(article, model.extractor.core))  # type: ignore[union-attr]
    sentence = model.sequence.sentence_probabilities(article, model.extractor.core)
    expected = mean_hints(window, model.hints.classes, sentence, model.sequence.classes)  # type: ignore[union-attr]
    for ours, theirs in zip(model._hint_probabilities(article) or [], expected, strict=True):
        np.testing.assert_allclose(ours, theirs)
    # the compiled tagger and CRFsuite agree on it
    assert model.predict(article) == model.predict(article, reference=True)


def test_a_model_without_its_sentence_network_file_is_a_coded_error(
    sequence_model: Path, tmp_path: Path
) -> None:
    import shutil

    from marsad.errors import MarsadError
    from marsad.models.ner import SEQUENCE_FILE, NerModel

    copy = tmp_path / "model"
    shutil.copytree(sequence_model, copy)
    (copy / SEQUENCE_FILE).unlink()
    with pytest.raises(MarsadError) as caught:
        NerModel.load(copy)
    assert caught.value.code == "E204"
    assert "sequence" in str(caught.value)
