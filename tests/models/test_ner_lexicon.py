"""The NER cue lists and gazetteer under models/data/ner_lexicon/, as the feature extractor reads them."""

from __future__ import annotations

import importlib.resources

import pytest

from marsad.models.ner import FeatureExtractor, load_lexicon
from marsad.models.ner_clusters import normalise_word


def _entries(name: str) -> list[str]:
    resource = importlib.resources.files("marsad.models") / "data" / "ner_lexicon" / name
    lines = resource.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


@pytest.mark.parametrize("name", ["ياسمين", "عبدالكريم", "مهند", "ماريو"])
def test_given_names_are_cues(name: str) -> None:
    assert normalise_word(name) in load_lexicon().first_names


@pytest.mark.parametrize(
    ("tokens", "marks"),
    [
        (["عبر", "بحر", "قزوين", "امس"], ["", "gz=LOC-B", "gz=LOC-I", ""]),
        (["في", "سان", "بطرسبورغ"], ["", "gz=LOC-B", "gz=LOC-I"]),
        (["من", "حضرموت"], ["", "gz=LOC-B"]),
    ],
)
def test_places_are_marked_whole(tokens: list[str], marks: list[str]) -> None:
    features = FeatureExtractor(table=None, lexicon=load_lexicon()).sentence(tokens)
    for feats, mark in zip(features, marks, strict=True):
        found = [f for f in feats if f.startswith("gz=")]
        assert found == ([mark] if mark else [])


def test_no_phrase_is_both_a_place_and_an_organisation() -> None:
    places = {tuple(normalise_word(w) for w in e.split()) for e in _entries("places.txt")}
    organisations = {tuple(normalise_word(w) for w in e.split()) for e in _entries("organisations.txt")}
    people = {tuple(normalise_word(w) for w in e.split()) for e in _entries("persons.txt")}
    assert not places & organisations
    assert not people & (places | organisations)
    # people are full names: one word alone would mark every bearer of a common name
    assert all(len(person) >= 2 for person in people)


@pytest.mark.parametrize("word", ["هو", "كان", "لي", "الباب", "الجديدة"])
def test_everyday_words_are_not_names_or_places(word: str) -> None:
    lexicon = load_lexicon()
    assert normalise_word(word) not in lexicon.first_names
    assert (normalise_word(word),) not in lexicon.phrases
