"""Round nine: the NER model trained again on corpus sentences its first CRF tagged (train_ner(silver=...))."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from marsad.errors import MarsadError

# Short news texts written for this test (one article a line, as the corpora are stored).
ARTICLES = [
    "قال الرئيس محمد عبد الله في بيروت إن الحكومة ستجتمع غدا.\nوزار وزير الخارجية القاهرة ثم عمان.",
    "ارتفعت أسعار النفط في الأسواق اليوم مع تراجع المخزونات.",
    "التقى الأمين العام للأمم المتحدة رئيس الوزراء في جنيف لبحث الأزمة في السودان.",
    "وصل الوفد إلى الرياض بعد محادثات في باريس ولندن.",
]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path: Path = tmp_path_factory.mktemp("silver") / "news.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        for number, text in enumerate(ARTICLES):
            handle.write(json.dumps({"id": str(number), "content": text}, ensure_ascii=False) + "\n")
    return path


@pytest.fixture(scope="module")
def silver_model(
    anercorp_sample: Path, corpus: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, dict]:
    from marsad.models.ner import train_ner

    directory: Path = tmp_path_factory.mktemp("ner9") / "model"
    figures = train_ner(train_path=anercorp_sample, out_dir=directory, silver=[corpus])
    return directory, figures


def test_tagged_sentences_with_an_entity_join_the_training(
    silver_model: tuple[Path, dict], corpus: Path
) -> None:
    from marsad.models.ner import SILVER, NerModel, corpus_sentences

    directory, figures = silver_model
    sample = corpus_sentences([corpus], max_tokens=SILVER["max_tokens"], stride=SILVER["stride"])
    # every SILVER["stride"]-th article is read: here the first one, two sentences
    assert len(sample) == 2
    assert 1 <= figures["silver_sentences"] <= len(sample)
    assert figures["silver_tokens"] <= sum(len(tokens) for tokens in sample)
    model = NerModel.load(directory)
    assert model.meta["silver"] == {
        **SILVER,
        "corpora": [corpus.name],
        "sentences": figures["silver_sentences"],
    }
    article = [["قال", "الرئيس", "محمد", "في", "بيروت", "."]]
    assert model.predict(article) == model.predict(article, reference=True)


def test_the_kept_sentences_each_hold_an_entity(corpus: Path) -> None:
    from marsad.models.ner import MODEL_FILE, NerModel, _package_data_dir, _silver_sentences

    model = NerModel.load()
    assert model.hints is not None
    # the shipped model as the first CRF: its hint table is both the template and the network
    tokens, tags, hints = _silver_sentences(
        [corpus],
        extractor=model.extractor,
        template=model.hints,
        network=model.hints,
        model_path=_package_data_dir() / MODEL_FILE,
    )
    assert len(tokens) == len(tags) == len(hints) >= 1
    for words, labels, weights in zip(tokens, tags, hints, strict=True):
        assert len(words) == len(labels) == len(weights)
        assert any(label != "O" for label in labels)


def test_a_missing_silver_corpus_is_a_coded_error(anercorp_sample: Path, tmp_path: Path) -> None:
    from marsad.models.ner import train_ner

    with pytest.raises(MarsadError) as err:
        train_ner(train_path=anercorp_sample, out_dir=tmp_path / "model", silver=[tmp_path / "none.jsonl.gz"])
    assert err.value.code == "E101"
