"""The NER collocation features (round thirteen): pair counts, their codes, the file, the features."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from marsad.errors import MarsadError
from marsad.models.ner import FeatureExtractor, NerModel, load_lexicon
from marsad.models.ner_pairs import NONE, PairTable, count_pairs, pair_features

# 4 + 3 + 30 lines, 111 tokens: ديفيد 4, كاميرون 4, قال 7, الوزير 3, ان 3, هذا/خبر/عادي 30 each
CORPUS = ["ديفيد كاميرون قال"] * 4 + ["قال الوزير ان"] * 3 + ["هذا خبر عادي"] * 30 + ["ديفيد قال هذا"] * 2


def _table(tmp_path: Path, lines: list[str] = CORPUS, stop: int | None = None) -> PairTable:
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return count_pairs(corpus, core=lambda word: word, stop=stop, min_count=3)


def test_pair_codes_are_pmi_and_count_buckets(tmp_path: Path) -> None:
    table = _table(tmp_path)
    # 117 tokens (111 + the two lines of 3); ديفيد 6, كاميرون 4, قال 9, الوزير 3, هذا 32, خبر 30
    # ln(4 × 117 / (6 × 4)) = 2.97: PMI bucket 1 (steps of 2); 4 pairs: count bucket 0 (log10)
    assert pair_features(table.code("ديفيد", "كاميرون"), "-") == ["bp-=1", "bc-=0"]
    # ln(3 × 117 / (9 × 3)) = 2.56: bucket 1
    assert pair_features(table.code("قال", "الوزير"), "+") == ["bp+=1", "bc+=0"]
    # ln(30 × 117 / (32 × 30)) = 1.30: bucket 0; 30 pairs: count bucket 1
    assert pair_features(table.code("هذا", "خبر"), "-") == ["bp-=0", "bc-=1"]
    # seen twice (ديفيد قال, قال هذا), once the other way round, or never: no code
    assert table.code("ديفيد", "قال") == NONE
    assert table.code("كاميرون", "ديفيد") == NONE
    assert table.code("غائب", "خبر") == NONE
    assert pair_features(NONE, "+") == ["bp+=none"]
    # pairs do not run across lines
    assert table.code("ان", "هذا") == NONE


def test_counting_stops_at_the_corpora_part(tmp_path: Path) -> None:
    # train_ner counts the corpora's text only, not the labelled sentences written after it
    head = "".join(line + "\n" for line in CORPUS[:7]).encode("utf-8")
    table = _table(tmp_path, CORPUS + ["هذا خبر عادي"] * 5, stop=len(head))
    assert table.code("ديفيد", "كاميرون") != NONE
    assert table.code("هذا", "خبر") == NONE
    assert len(table) == 4


def test_the_file_round_trips_with_the_same_bytes(tmp_path: Path) -> None:
    table = _table(tmp_path)
    table.save(tmp_path / "a.npz")
    _table(tmp_path).save(tmp_path / "b.npz")
    assert (tmp_path / "a.npz").read_bytes() == (tmp_path / "b.npz").read_bytes()
    again = PairTable.load(tmp_path / "a.npz")
    assert again.cores == table.cores
    assert again.keys.tolist() == table.keys.tolist()
    assert again.codes.tolist() == table.codes.tolist()
    assert again.code("ديفيد", "كاميرون") == table.code("ديفيد", "كاميرون")


def test_a_damaged_file_is_a_coded_error(tmp_path: Path) -> None:
    bad = tmp_path / "ner_pairs.npz"
    bad.write_bytes(b"not a zip")
    with pytest.raises(MarsadError) as caught:
        PairTable.load(bad)
    assert caught.value.code == "E204"


def test_features_name_the_pair_on_both_sides(tmp_path: Path) -> None:
    table = _table(tmp_path)
    extractor = FeatureExtractor(table=None, lexicon=load_lexicon(), pairs=table)
    first, second, third = extractor.sentence(["ديفيد", "كاميرون", "يزور"])
    assert [f for f in first if f.startswith(("bp", "bc"))] == ["bp+=1", "bc+=0"]
    assert [f for f in second if f.startswith(("bp", "bc"))] == ["bp-=1", "bc-=0", "bp+=none"]
    assert [f for f in third if f.startswith(("bp", "bc"))] == ["bp-=none"]
    # a one-word sentence has no pair; a model without the table has no such features
    assert not [f for f in extractor.sentence(["ديفيد"])[0] if f.startswith("bp")]
    plain = FeatureExtractor(table=None, lexicon=load_lexicon())
    assert not [f for item in plain.sentence(["ديفيد", "كاميرون"]) for f in item if f.startswith("bp")]


def test_the_shipped_model_reads_collocations() -> None:
    model = NerModel.load()
    assert model.meta["pairs"]["min_count"] == 3
    assert model.extractor.pairs is not None and len(model.extractor.pairs) == model.meta["pairs"]["pairs"]
    # the fast tagger composes the pair features as the extractor does
    assert model.compiled is not None
    sentences = [["قال", "رئيس", "الوزراء", "البريطاني", "ديفيد", "كاميرون", "في", "لندن", "."]]
    assert model.compiled.agrees(sentences)


def test_a_model_whose_collocation_file_is_missing_is_a_coded_error(tmp_path: Path) -> None:
    from marsad.models import ner

    data = Path(ner.__file__).parent / "data"
    for name in (ner.MODEL_FILE, ner.META_FILE, ner.CLUSTER_FILE, ner.HINTS_FILE):
        shutil.copyfile(data / name, tmp_path / name)
    meta = json.loads((tmp_path / ner.META_FILE).read_text(encoding="utf-8"))
    assert meta["pairs"]
    with pytest.raises(MarsadError) as caught:
        NerModel.load(tmp_path)
    assert caught.value.code == "E204" and "collocation" in caught.value.message
