"""Persuasion models: definitions, data mapping, and the shipped model's behaviour."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from marsad.models.persuasion import (
    COARSE_CLASSES,
    COARSE_OF,
    TECHNIQUES,
    CueLexicon,
    ParagraphPrediction,
    PersuasionModel,
    article_score,
    fold,
    load_techniques,
    map_technique_name,
)

ARABIC = re.compile(r"[\u0600-\u06FF]")

LOADED = "ارتكبت العصابة الإرهابية المجرمة مجزرة وحشية مروعة بحق الأبرياء، في جريمة همجية غير مسبوقة!"
SOBER = "قال المتحدث باسم الوزارة إن الاجتماع سيعقد يوم الأحد المقبل في مقر الوزارة بالعاصمة."


@pytest.fixture(scope="module")
def model() -> PersuasionModel:
    return PersuasionModel.load()


def test_definitions_cover_all_23_techniques_in_both_languages() -> None:
    techniques = load_techniques()
    assert tuple(techniques) == TECHNIQUES
    assert len(techniques) == 23
    for name, technique in techniques.items():
        assert technique.name == name
        assert technique.coarse == COARSE_OF[name]
        for text in (technique.name_ar, technique.definition_ar, technique.example_ar):
            assert ARABIC.search(text), f"{name}: Arabic field without Arabic letters"
        for text in (technique.name_en, technique.definition_en, technique.example_en):
            assert text and not ARABIC.search(text), f"{name}: English field empty or Arabic"


def test_names_match_armpro_lists(data_dir: Path) -> None:
    folder = data_dir / "persuasion" / "armpro"
    listed = (folder / "persuasion_techniques_list.txt").read_text("utf-8").split()
    assert [name for name in listed if name != "no_technique"] == list(TECHNIQUES)
    mapping = dict(
        line.split("\t")
        for line in (folder / "fine-grained_to_coarse-grained_mapping.txt").read_text("utf-8").splitlines()
        if line.strip() and not line.startswith("no_technique")
    )
    assert mapping == COARSE_OF
    assert set(mapping.values()) == set(COARSE_CLASSES)


def test_every_wanlp_technique_maps(data_dir: Path) -> None:
    lines = (
        (data_dir / "persuasion" / "wanlp2022" / "techniques_list_task1-2.txt")
        .read_text("utf-8")
        .splitlines()
    )
    for line in lines:
        if line.strip() and line.strip() != "no technique":
            assert map_technique_name(line) in TECHNIQUES, line


def test_cue_lexicon_matches_with_prefixes_and_phrases() -> None:
    lexicon = CueLexicon.load()
    words = [fold(word) for word in ["بالمجزرة", "لا", "بديل", "عن", "الحل"]]
    covered = lexicon.match(words)
    names = [{lexicon.categories[c] for c in found} for found in covered]
    assert "loaded" in names[0]
    assert "no_alternative" in names[1] and "no_alternative" in names[2]


@pytest.mark.parametrize("word", ["وبالمجزرة", "فللمجزرة", "وكالمجزرة", "والمجزرة", "مجزرة"])
def test_cue_lexicon_sees_through_stacked_clitics(word: str) -> None:
    lexicon = CueLexicon.load()
    (found,) = lexicon.match([fold(word)])
    assert "loaded" in {lexicon.categories[c] for c in found}


def test_clitic_stripping_keeps_short_words_whole() -> None:
    lexicon = CueLexicon.load()
    # "بل" and "ولد" must not be read as particles on a one-letter stem.
    assert lexicon.match([fold("بل"), fold("ولد")]) == [[], []]


def test_loaded_paragraph_scores_higher_than_sober(model: PersuasionModel) -> None:
    loaded, sober = model.predict([LOADED, SOBER])
    assert loaded.score > sober.score
    assert loaded.propagandistic
    assert any(name == "Loaded_Language" for name, _ in loaded.techniques)


def test_prediction_fields_are_consistent(model: PersuasionModel) -> None:
    (prediction,) = model.predict([LOADED])
    assert 0.0 <= prediction.score <= 1.0
    assert all(name in TECHNIQUES and 0.0 <= p <= 1.0 for name, p in prediction.techniques)
    assert all(name in COARSE_CLASSES for name, _ in prediction.coarse)
    for start, end, technique, score in prediction.spans:
        assert 0 <= start < end <= len(LOADED)
        assert technique in TECHNIQUES and 0.0 <= score <= 1.0
        assert LOADED[start:end].strip() == LOADED[start:end]
    assert prediction.spans, "an obviously loaded paragraph should get at least one span suggestion"
    assert model.predict([]) == []
    assert model.predict([LOADED], spans=False)[0].spans == []


FUNCTION_HEAVY = (
    "قال إنه لن يقبل بهذا أبدا، وإن هؤلاء الخونة المأجورين الذين باعوا وطنهم لا يستحقون إلا الاحتقار، "
    "وهو ما يعرفه الجميع، فهل هناك من يصدق أكاذيبهم بعد كل هذه الجرائم البشعة التي ارتكبوها في حقنا؟"
)


def test_no_suggestion_starts_or_ends_on_a_function_word(model: PersuasionModel) -> None:
    from marsad.models.persuasion import _NOT_AN_EDGE, _NOT_AN_END, _edge_rule, tokenise

    assert all(_edge_rule(w) == _NOT_AN_EDGE for w in ("في", "له", "أنهم", "الذين", "وقال"))
    assert all(_edge_rule(w) == _NOT_AN_END for w in ("لم", "لا", "غير"))
    assert _edge_rule("الخونة") == 0
    for text in (LOADED, FUNCTION_HEAVY):
        (prediction,) = model.predict([text])
        assert prediction.spans, text
        starts = {start: text[start:end] for start, end in tokenise(text)}
        ends = {end: text[start:end] for start, end in tokenise(text)}
        for start, end, _, _ in prediction.spans:
            assert _edge_rule(starts[start]) != _NOT_AN_EDGE and not _edge_rule(ends[end]), text[start:end]


def test_article_score_is_length_weighted_mean() -> None:
    short = ParagraphPrediction(propagandistic=True, score=0.9, techniques=[], spans=[], chars=100)
    long = ParagraphPrediction(propagandistic=False, score=0.1, techniques=[], spans=[], chars=300)
    # (100 * 0.9 + 300 * 0.1) / 400 = 120 / 400 = 0.3
    assert article_score([short, long]) == pytest.approx(0.3)
    assert article_score([]) == 0.0
    # Adding more paragraphs of the same kind does not push the score toward 1, as a noisy-OR would.
    assert article_score([short] * 20) == pytest.approx(0.9)


def test_missing_model_dir_is_coded_error(tmp_path: Path) -> None:
    from marsad.errors import MarsadError

    with pytest.raises(MarsadError) as caught:
        PersuasionModel.load(tmp_path)
    assert caught.value.code == "E204"


def test_featurizer_scores_match_its_sparse_rows() -> None:
    from marsad.models.persuasion import ParagraphFeaturizer

    texts = [LOADED, SOBER, "مجزرة مجزرة وحشية!", "123"]
    featurizer = ParagraphFeaturizer(min_df=1).fit(texts)
    rows = featurizer.transform(texts)
    assert rows.shape == (4, featurizer.size)
    # Each TF-IDF block (words, characters) of a row with any term has unit length.
    split = len(featurizer.word_vocabulary)
    words = rows[:, :split].toarray()
    assert np.allclose(np.linalg.norm(words[:3], axis=1), 1.0, atol=1e-5)
    weights = np.random.default_rng(0).normal(size=(featurizer.size, 3)).astype(np.float32)
    assert np.allclose(featurizer.scores(texts, weights), rows @ weights, atol=1e-4)


def test_span_decoding_per_technique_with_gaps() -> None:
    from marsad.models.persuasion import SPAN_CLASSES, SpanTagger

    tagger = SpanTagger(CueLexicon.load())
    offsets = [(0, 3), (4, 7), (8, 11), (12, 15)]
    probabilities = np.zeros((4, len(SPAN_CLASSES)))
    probabilities[:, 0] = 1.0
    loaded = SPAN_CLASSES.index("Loaded_Language")
    naming = SPAN_CLASSES.index("Name_Calling-Labeling")
    probabilities[[0, 2], loaded] = 0.6  # two marked words with one unmarked word between them
    probabilities[2, naming] = 0.5  # the same word also carries another technique
    thresholds = np.full(len(SPAN_CLASSES), 1.01)
    thresholds[[loaded, naming]] = 0.4
    assert tagger.decode(offsets, probabilities, thresholds=thresholds, gap=0) == [
        (0, 3, "Loaded_Language", 0.6),
        (8, 11, "Loaded_Language", 0.6),
        (8, 11, "Name_Calling-Labeling", 0.5),
    ]
    bridged = tagger.decode(offsets, probabilities, thresholds=thresholds, gap=1)
    assert (0, 11, "Loaded_Language", pytest.approx(0.6)) in bridged
    thresholds[naming] = 1.01  # switched off
    assert [span[2] for span in tagger.decode(offsets, probabilities, thresholds=thresholds, gap=1)] == [
        "Loaded_Language"
    ]


def test_span_decoding_leaves_function_words_off_the_edges() -> None:
    from marsad.models.persuasion import SPAN_CLASSES, SpanTagger

    tagger = SpanTagger(CueLexicon.load())
    # هو المغرب صعب لكنه تحت السيطرة: every word marked; هو, لكنه, تحت are function words
    offsets = [(0, 2), (3, 9), (10, 13), (14, 18), (19, 22), (23, 30)]
    edges = [1, 0, 0, 1, 1, 0]
    probabilities = np.zeros((6, len(SPAN_CLASSES)))
    loaded = SPAN_CLASSES.index("Loaded_Language")
    probabilities[:, loaded] = [0.9, 0.5, 0.7, 0.9, 0.9, 0.3]
    probabilities[:, 0] = 1.0 - probabilities[:, loaded]
    thresholds = np.full(len(SPAN_CLASSES), 1.01)
    thresholds[loaded] = 0.2
    # one run; هو leaves its start, the function words inside stay
    assert tagger.decode(offsets, probabilities, edges=edges, thresholds=thresholds, gap=0) == [
        (3, 30, "Loaded_Language", pytest.approx((0.5 + 0.7 + 0.9 + 0.9 + 0.3) / 5))
    ]
    # a run of function words alone is no suggestion
    probabilities[[1, 2, 5], loaded] = 0.0
    assert tagger.decode(offsets, probabilities, edges=edges, thresholds=thresholds, gap=0) == []
    # without rules the function words are suggestions like any word
    assert tagger.decode(offsets, probabilities, thresholds=thresholds, gap=0) != []
    # a negation may start a suggestion but not end one (لم يعد مقبولا; لا alone is none)
    edges = [2, 0, 0, 2, 0, 0]
    probabilities[:, loaded] = [0.9, 0.5, 0.0, 0.9, 0.0, 0.0]
    assert tagger.decode(offsets, probabilities, edges=edges, thresholds=thresholds, gap=0) == [
        (0, 9, "Loaded_Language", pytest.approx(0.7))
    ]


def test_tagging_texts_together_decodes_each_as_alone(model: PersuasionModel) -> None:
    from marsad.models.persuasion import _decode_all, tokenise

    assert model.tagger is not None
    texts = [LOADED, FUNCTION_HEAVY, SOBER]
    together = model.tagger.tag(texts)
    tagged = model.tagger.probabilities(texts)
    alone = _decode_all(
        model.tagger,
        [(text, offsets, values) for text, (offsets, values) in zip(texts, tagged, strict=True)],
        model.tagger.thresholds,
        model.tagger.gap,
    )
    assert [offsets for offsets, _ in tagged] == [tokenise(text) for text in texts]
    assert together == alone


def test_word_clusters_carry_a_technique_to_a_word_the_tagger_never_saw() -> None:
    import pickle

    from marsad.models.persuasion import SPAN_CLASSES, SpanTagger, TrainingItem

    def item(text: str, marked: str, technique: str = "Loaded_Language") -> TrainingItem:
        start = text.index(marked)
        spans = ((start, start + len(marked), technique),)
        return TrainingItem(text, frozenset({technique}), spans, "armpro", text, True)

    items = [
        item("ارتكب الجيش مجزرة في القرية", "مجزرة"),
        item("وقعت مجزرة جديدة في المدينة", "مجزرة"),
        item("شهدت البلدة مجزرة أخرى أمس", "مجزرة"),
        item("وصف المتحدث خصومه بالخونة", "بالخونة", "Name_Calling-Labeling"),
        TrainingItem("عقد المجلس اجتماعا في المدينة", frozenset(), (), "armpro", "x", False),
        TrainingItem("زار الوزير القرية أمس", frozenset(), (), "armpro", "y", False),
    ]
    # مذبحة never occurs in training; the clusters put it with مجزرة, and اجتماعا with the plain words
    clusters = {"مجزره": 0, "مذبحه": 0, "اجتماعا": 1, "المجلس": 1, "الوزير": 1, "القريه": 1}
    loaded = SPAN_CLASSES.index("Loaded_Language")
    text = "ارتكب الجيش مذبحة في القرية"
    word = tokenise_index(text, "مذبحة")

    plain = SpanTagger(CueLexicon.load()).fit(items)
    grouped = SpanTagger(CueLexicon.load())
    grouped.set_clusters(clusters)
    grouped.fit(items)
    before = plain.probabilities([text])[0][1][word, loaded]
    after = grouped.probabilities([text])[0][1][word, loaded]
    assert after > before + 0.05
    # the features of the other words do not depend on whether the text is tagged alone
    together = grouped.probabilities([SOBER, text])[1][1]
    assert np.allclose(together, grouped.probabilities([text])[0][1])
    # saved and loaded, the tagger keeps its clusters; one saved before them loads without any
    again = pickle.loads(pickle.dumps(grouped))
    assert np.array_equal(again.probabilities([text])[0][1], grouped.probabilities([text])[0][1])
    state = plain.__getstate__()
    assert "clusters" not in state  # a tagger without clusters is saved as before they existed
    old = SpanTagger.__new__(SpanTagger)
    old.__setstate__(state)
    assert old.clusters is None
    assert np.array_equal(old.probabilities([text])[0][1], plain.probabilities([text])[0][1])


def tokenise_index(text: str, word: str) -> int:
    from marsad.models.persuasion import tokenise

    start = text.index(word)
    return [begin for begin, _ in tokenise(text)].index(start)
