"""Document-level consistency after decoding: a confident name lends its tag to its other mentions."""

from __future__ import annotations

import pytest

from marsad.models.ner import propagate_names


def _run(sentences: list[list[tuple[str, str, float]]], **options: float | bool) -> list[list[str]]:
    keys = [[word for word, _, _ in sentence] for sentence in sentences]
    tags = [[tag for _, tag, _ in sentence] for sentence in sentences]
    outside = [[p for _, _, p in sentence] for sentence in sentences]
    return propagate_names(keys, tags, outside, **options)  # type: ignore[arg-type]


def test_confident_name_is_tagged_at_a_later_mention() -> None:
    first = [("قال", "O", 0.99), ("كاسبروف", "B-PER", 0.05), ("امس", "O", 0.99)]
    later = [("واضاف", "O", 0.99), ("كاسبروف", "O", 0.6), ("ان", "O", 1.0)]
    assert _run([first, later])[1] == ["O", "B-PER", "O"]


def test_family_name_alone_takes_the_person_type() -> None:
    first = [("التقى", "O", 0.99), ("انور", "B-PER", 0.1), ("ابراهيم", "I-PER", 0.1)]
    later = [("وقال", "O", 0.99), ("ابراهيم", "O", 0.7), (".", "O", 1.0)]
    assert _run([first, later])[1] == ["O", "B-PER", "O"]
    assert _run([first, later], family_names=False)[1] == ["O", "O", "O"]


def test_multiword_names_match_whole_and_longest_first() -> None:
    first = [("في", "O", 1.0), ("هونغ", "B-LOC", 0.1), ("كونغ", "I-LOC", 0.1)]
    later = [("الى", "O", 1.0), ("هونغ", "O", 0.8), ("كونغ", "O", 0.8), ("غدا", "O", 1.0)]
    assert _run([first, later])[1] == ["O", "B-LOC", "I-LOC", "O"]


@pytest.mark.parametrize(
    ("first_outside", "later_outside", "expected"),
    [
        (0.5, 0.6, "O"),  # the first mention is not confident enough to lend its type
        (0.05, 0.9999, "O"),  # the model is all but sure the later word is not a name
        (0.05, 0.6, "B-ORG"),
    ],
)
def test_thresholds_guard_both_sides(first_outside: float, later_outside: float, expected: str) -> None:
    first = [("حماس", "B-ORG", first_outside)]
    later = [("ان", "O", 1.0), ("حماس", "O", later_outside)]
    assert _run([first, later], min_confidence=0.7, max_outside=0.999)[1][1] == expected


def test_existing_entities_are_kept_and_inputs_untouched() -> None:
    first = [("بوش", "B-PER", 0.02)]
    later = [("بوش", "B-ORG", 0.3), ("و", "O", 1.0), ("بوش", "I-PER", 0.4)]
    sentences = [first, later]
    tags_before = [[tag for _, tag, _ in sentence] for sentence in sentences]
    result = _run(sentences)
    # a word already inside an entity, or just before an I- tag, is left alone
    assert result[1] == ["B-ORG", "O", "I-PER"]
    assert [[tag for _, tag, _ in sentence] for sentence in sentences] == tags_before


def test_link_words_are_never_propagated_as_family_names() -> None:
    first = [("عبد", "B-PER", 0.05), ("الله", "I-PER", 0.05)]
    later = [("الحمد", "O", 0.99), ("الله", "O", 0.9)]
    assert _run([first, later])[1] == ["O", "O"]


def test_an_article_with_no_names_is_unchanged() -> None:
    sentence = [("الطقس", "O", 0.99), ("حار", "O", 0.99)]
    assert _run([sentence, sentence]) == [["O", "O"], ["O", "O"]]
    assert propagate_names([], [], []) == []


@pytest.mark.parametrize("last", ["الثاني", "علي"])
def test_ordinals_and_folded_prepositions_are_not_family_names(last: str) -> None:
    # الحسن الثاني: the ordinal alone is no name; على (on) folds to علي, so علي never spreads alone
    first = [("الملك", "O", 0.99), ("الحسن", "B-PER", 0.05), (last, "I-PER", 0.05)]
    later = [("في", "O", 1.0), (last, "O", 0.9)]
    assert _run([first, later])[1] == ["O", "O"]


def test_extractor_cores_let_clitic_forms_match() -> None:
    from marsad.models.ner import FeatureExtractor, load_lexicon
    from marsad.models.ner_clusters import ClusterTable

    table = ClusterTable.from_lines(["اوباما\t900\t0.00\t0\t0\t0\t0\t1\t1\t1\n"])
    extractor = FeatureExtractor(table=table, lexicon=load_lexicon())
    sentences = [["قال", "باراك", "أوباما"], ["وأضاف", "وأوباما"]]
    keys = [[extractor.core(token) for token in tokens] for tokens in sentences]
    tags = [["O", "B-PER", "I-PER"], ["O", "O"]]
    outside = [[0.99, 0.1, 0.1], [0.99, 0.8]]
    assert propagate_names(keys, tags, outside)[1] == ["O", "B-PER"]
