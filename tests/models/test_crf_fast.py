"""The compiled CRF tagger gives exactly CRFsuite's tags (issue 3, point 4: entities speed)."""

from __future__ import annotations

import gzip
import json
import warnings
from pathlib import Path

import numpy as np
import pytest

from marsad.document import Article
from marsad.errors import MarsadError
from marsad.evaluate.conll import read_conll
from marsad.models.crf_fast import CompiledTagger, CrfWeights, probe_sentences, read_crfsuite_model
from marsad.models.ner import MODEL_FILE, NerModel, _package_data_dir, decode
from marsad.paths import shared_data
from marsad.pipeline.steps import TextStep

MODEL_PATH = _package_data_dir() / MODEL_FILE


@pytest.fixture(scope="module")
def model() -> NerModel:
    return NerModel.load()


def _data(*parts: str) -> Path:
    data = shared_data()
    if data is None or not data.joinpath(*parts).is_file():
        pytest.skip(f"../shared/data/{'/'.join(parts)} is absent: the comparison on real text needs it")
    return data.joinpath(*parts)


def _tagger(model: NerModel, *, o_threshold: float | None, cache_limit: int = 200_000) -> CompiledTagger:
    """A compiled tagger for the shipped model, with its own threshold and CRFsuite reference
    (word-vector hints included when the model has them: pass ``_hints`` to its calls)."""

    def reference(
        tokens: list[str], hints: np.ndarray | None = None, document: np.ndarray | None = None
    ) -> list[str]:
        features = model._first_features(tokens, hints, document)
        return decode(model._tagger, features, o_threshold=o_threshold)

    tagger = CompiledTagger(
        weights=read_crfsuite_model(MODEL_PATH),
        extractor=model.extractor,
        o_threshold=o_threshold,
        reference=reference,
        cache_limit=cache_limit,
    )
    if model.hints is not None:
        tagger.set_hint_classes(model.hints.classes)
    return tagger


def _hints(model: NerModel, sentences: list[list[str]]) -> list[np.ndarray] | None:
    return model._hint_probabilities(sentences)


def _each_alone(
    model: NerModel, sentences: list[list[str]], hints: list[np.ndarray] | None
) -> list[np.ndarray] | None:
    """Document hints with each sentence read as an article of its own (as the reference reads one
    sentence given no document hints)."""
    if hints is None or not model.document_hints:
        return None
    out = []
    for tokens, table in zip(sentences, hints, strict=True):
        document = model._document_hints([tokens], [table])
        assert document is not None
        out.append(document[0])
    return out


def test_model_file_weights_match_crfsuite_dump(model: NerModel) -> None:
    weights = read_crfsuite_model(MODEL_PATH)
    info = model._tagger.info()
    assert list(weights.labels) == list(model._tagger.labels())
    label = {name: number for number, name in enumerate(weights.labels)}
    # the dump rounds to six decimals; the file holds the doubles
    for (attribute, name), weight in info.state_features.items():
        assert abs(weights.state[weights.attributes[attribute], label[name]] - weight) <= 5.1e-7
    for (source, target), weight in info.transitions.items():
        assert abs(weights.transitions[label[source], label[target]] - weight) <= 5.1e-7
    assert np.count_nonzero(weights.state) == len(info.state_features)


@pytest.mark.parametrize("content", [b"", b"lCRF\x00\x00", b"not a model at all" * 10])
def test_a_broken_model_file_is_a_coded_error(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "ner.crfsuite"
    path.write_bytes(content)
    with pytest.raises(MarsadError) as caught:
        read_crfsuite_model(path)
    assert caught.value.code == "E204"


def test_a_missing_model_file_is_a_coded_error(tmp_path: Path) -> None:
    with pytest.raises(MarsadError) as caught:
        read_crfsuite_model(tmp_path / "absent.crfsuite")
    assert caught.value.code == "E204"


def test_shipped_model_loads_with_the_fast_path(model: NerModel) -> None:
    assert model.compiled is not None


def test_probes_cover_bigram_and_gazetteer_features(model: NerModel) -> None:
    # The load-time agreement check is only worth something if the probes reach these features.
    assert model.compiled is not None
    probes = probe_sentences(model.extractor)
    names = {name for tokens in probes for item in model.extractor.sentence(tokens) for name in item}
    known = model.compiled.weights.attributes
    assert any(name.startswith("-1|0:") and name in known for name in names)
    assert any(name.startswith("gz=") and name in known for name in names)
    assert "gz_continues" in names
    assert model.compiled.agrees(probes)


@pytest.mark.parametrize(
    "tokens",
    [
        ["بيروت"],
        ["."],
        ["،", ".", "!", "؟", "«", "»", "(", ")", "-", ":"],
        ["قزوبلانيتسكي", "زرغلوفيتش", "xqzv", "Blorfington", "١٢٣٤", "3.14"],
        ["وقال", "الرئيس", "الأمريكي", "باراك", "أوباما", "إن", "الولايات", "المتحدة", "."],
        ["في", "الولايات", "المتحدة", "الأمريكية", "و", "المملكة", "العربية", "السعودية"],
        ["الأمم", "المتحدة"] * 40,
        ["ـــ", "\u200f", "ًٌٍ"],
    ],
    ids=["one-word", "one-mark", "all-punctuation", "unknown-words", "names", "gazetteer", "long", "odd"],
)
def test_edge_cases_equal_crfsuite(model: NerModel, tokens: list[str]) -> None:
    assert model.predict([tokens]) == model.predict([tokens], reference=True)
    # alone and inside a batch of other sentences of other lengths
    batch = [["هذا", "نص", "."], tokens, [], ["وزير", "الخارجية"]]
    assert model.predict(batch) == model.predict(batch, reference=True)


def test_empty_input(model: NerModel) -> None:
    assert model.predict([]) == []
    assert model.predict([[], []]) == [[], []]


def test_emissions_equal_the_feature_strings(model: NerModel) -> None:
    assert model.compiled is not None
    for tokens in probe_sentences(model.extractor):
        np.testing.assert_allclose(
            model.compiled.emissions(tokens), model.compiled.reference_emissions(tokens), rtol=0, atol=1e-9
        )


def _anercorp_test() -> list[list[str]]:
    sentences, _ = read_conll(_data("ner", "anercorp", "ANERCorp_CamelLabRecipe_test.txt"))
    return [sentence.tokens for sentence in sentences]


def _saudinewsnet_articles(count: int) -> list[list[list[str]]]:
    """Sentences of surface tokens per article, split as the entities step splits them."""
    path = _data("corpora", "saudinewsnet", "saudinewsnet.jsonl.gz")
    text_step = TextStep()
    articles: list[list[list[str]]] = []
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        for line in lines:
            text = json.loads(line).get("content") or ""
            if not text.strip():
                continue
            article = text_step(Article(text=text))
            tokens = article.views["tokens"]
            sentences: list[list[str]] = [[] for _ in article.layer("sentences")]
            bounds = [(sentence.start, sentence.end) for sentence in article.layer("sentences")]
            number = 0
            for token in tokens:
                while number < len(bounds) and bounds[number][1] < token.end:
                    number += 1
                if number < len(bounds) and bounds[number][0] <= token.start:
                    sentences[number].append(text[token.start : token.end])
            articles.append([tokens for tokens in sentences if tokens])
            if len(articles) >= count:
                break
    return articles


def test_anercorp_test_split_tags_equal_crfsuite(model: NerModel) -> None:
    sentences = _anercorp_test()
    assert len(sentences) > 900
    # all at once (one long "article"), and in article-sized batches (their own document hints)
    assert model.predict(sentences) == model.predict(sentences, reference=True)
    for start in range(0, len(sentences), 25):
        part = sentences[start : start + 25]
        assert model.predict(part) == model.predict(part, reference=True)


def test_saudinewsnet_tags_equal_crfsuite(model: NerModel) -> None:
    articles = _saudinewsnet_articles(150)
    compared = 0
    for sentences in articles:
        assert model.predict(sentences) == model.predict(sentences, reference=True)
        compared += len(sentences)
    assert compared > 1000


@pytest.mark.parametrize("o_threshold", [0.5, 0.8, 0.95])
def test_marginal_repair_equals_crfsuite(model: NerModel, o_threshold: float) -> None:
    # The shipped model may have no threshold; the repair path must hold for one that does.
    tagger = _tagger(model, o_threshold=o_threshold)
    sentences = _anercorp_test()[:400]
    assert tagger.reference is not None
    expected = [tagger.reference(tokens) for tokens in sentences]
    for start in range(0, len(sentences), 20):
        part = sentences[start : start + 20]
        hints = _hints(model, part)
        assert tagger.tag(part, hints, _each_alone(model, part, hints)) == expected[start : start + 20]


def test_marginals_equal_crfsuite(model: NerModel) -> None:

    tagger = _tagger(model, o_threshold=None)
    sentences = probe_sentences(model.extractor)
    hints = _hints(model, sentences)
    document = model._document_hints(sentences, hints)
    tags, marginals = tagger.tag_with_marginals(sentences, hints, document)
    # the probe sentences read as one article, with its document hints
    assert tags == model.predict(sentences, reference=True)
    for number, (tokens, table) in enumerate(zip(sentences, marginals, strict=True)):
        model._tagger.set(
            model._first_features(
                tokens,
                hints[number] if hints is not None else None,
                document[number] if document is not None else None,
            )
        )
        expected = [[model._tagger.marginal(label, i) for label in tagger.labels] for i in range(len(tokens))]
        np.testing.assert_allclose(table, expected, rtol=0, atol=1e-9)


def test_a_small_word_cache_gives_the_same_tags(model: NerModel) -> None:
    tagger = _tagger(model, o_threshold=None, cache_limit=60)
    sentences = _anercorp_test()[:60]
    expected = [model.predict([tokens], reference=True)[0] for tokens in sentences]
    tagged = []
    for tokens in sentences:
        hints = _hints(model, [tokens])
        tagged.append(tagger.tag([tokens], hints, _each_alone(model, [tokens], hints))[0])
    assert tagged == expected


def test_near_ties_are_left_to_crfsuite(model: NerModel) -> None:
    # With every weight zero all labels tie everywhere: the reference must decide.
    weights = read_crfsuite_model(MODEL_PATH)
    flat = CrfWeights(
        labels=weights.labels,
        attributes=weights.attributes,
        state=np.zeros_like(weights.state),
        transitions=np.zeros_like(weights.transitions),
    )
    calls: list[list[str]] = []

    def reference(tokens: list[str], hints: object = None, document: object = None) -> list[str]:
        calls.append(tokens)
        return ["O"] * len(tokens)

    tagger = CompiledTagger(weights=flat, extractor=model.extractor, o_threshold=None, reference=reference)
    assert tagger.tag([["أ", "ب"], ["ج"]]) == [["O", "O"], ["O"]]
    assert calls == [["أ", "ب"], ["ج"]]
    assert tagger.fallbacks == 2


def test_a_feature_layout_change_falls_back_to_crfsuite(
    model: NerModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    # If FeatureExtractor.sentence composes features differently, the fast path must not be used.
    original = model.extractor.sentence

    def changed(tokens: list[str]) -> list[list[str]]:
        return [[*item, "bias"] for item in original(tokens)]

    monkeypatch.setattr(model.extractor, "sentence", changed)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert model.compile(MODEL_PATH) is None
    assert any("CRFsuite" in str(warning.message) for warning in caught)


def test_a_freshly_trained_model_gets_the_fast_path(tmp_path: Path) -> None:
    # Retraining needs nothing extra: the compiled tagger comes from the model file and extractor.
    from marsad.models.ner import train_ner

    source = _data("ner", "anercorp", "ANERCorp_CamelLabRecipe_train.txt")
    blocks = source.read_text(encoding="utf-8").split("\n\n")[:150]
    train_path = tmp_path / "small_train.txt"
    train_path.write_text("\n\n".join(blocks) + "\n", encoding="utf-8")
    train_ner(train_path=train_path, out_dir=tmp_path / "model")
    small = NerModel.load(tmp_path / "model")
    assert small.compiled is not None
    sentences = _anercorp_test()[:200]
    assert small.predict(sentences) == small.predict(sentences, reference=True)


def test_model_marginals_fast_and_reference_agree(model: NerModel) -> None:
    sentences = [*probe_sentences(model.extractor)[:4], [], ["القاهرة"]]
    tags, marginals = model.predict_with_marginals(sentences)
    expected_tags, expected = model.predict_with_marginals(sentences, reference=True)
    assert tags == expected_tags
    for got, want in zip(marginals, expected, strict=True):
        assert len(got) == len(want)
        if want:
            np.testing.assert_allclose(got, want, rtol=0, atol=1e-9)


def test_large_calls_are_tagged_in_bounded_batches(model: NerModel, monkeypatch: pytest.MonkeyPatch) -> None:
    from marsad.models import crf_fast

    monkeypatch.setattr(crf_fast, "BATCH_TOKENS", 50)
    sentences = [*_anercorp_test()[:80], [], ["القاهرة"]]
    assert model.predict(sentences) == model.predict(sentences, reference=True)


def test_a_model_file_the_fast_reader_cannot_parse_falls_back(model: NerModel, tmp_path: Path) -> None:
    path = tmp_path / "ner.crfsuite"
    path.write_bytes(b"lCRF" + bytes(60))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert model.compile(path) is None
    assert any("CRFsuite" in str(warning.message) for warning in caught)


def test_kernels_compile_without_a_writable_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    # numba raises RuntimeError at decoration when no cache folder is writable: compile uncached
    from marsad.models import crf_kernels

    real = crf_kernels.njit

    def strict(**options: object) -> object:
        if options.get("cache"):
            raise RuntimeError("cannot cache function: no locator available")
        return real(**options)

    monkeypatch.setattr(crf_kernels, "njit", strict)

    def double(x: float) -> float:
        return 2.0 * x

    assert crf_kernels._compiled(double)(2.5) == 5.0
