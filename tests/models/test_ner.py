"""The NER features and the shipped NER model, as the entities step will call them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from marsad.errors import MarsadError
from marsad.evaluate.conll import entities
from marsad.models.ner import FeatureExtractor, NerModel, load_lexicon, split_clitics
from marsad.models.ner_clusters import ClusterTable, normalise_word, tokenise_for_clusters


@pytest.fixture(scope="module")
def model() -> NerModel:
    return NerModel.load()


def _spans(tokens: list[str], tags: list[str]) -> set[tuple[str, str]]:
    return {(" ".join(tokens[s:e]), kind) for s, e, kind in entities(tags)}


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("أحمد", "احمد"),
        ("إسرائيل", "اسراييل"),
        ("مكتبة", "مكتبه"),
        ("مستشفى", "مستشفي"),
        ("٢٠١٥", "0000"),
        ("سَلامٌ", "سلام"),
    ],
)
def test_normalise_word(word: str, expected: str) -> None:
    assert normalise_word(word) == expected


def test_tokenise_for_clusters_separates_punctuation() -> None:
    assert tokenise_for_clusters("قال: «نعم».") == ["قال", ":", "«", "نعم", "»", "."]


def test_split_clitics_uses_corpus_counts() -> None:
    table = ClusterTable.from_lines(
        [
            "بغداد\t900\t0.00\t0\t0\t0\t0\t1\t1\t1\n",
            "غداد\t1\t0.00\t0\t0\t0\t0\t1\t1\t1\n",
            "باريس\t500\t0.00\t0\t0\t0\t0\t1\t1\t1\n",
            "الولايات\t400\t0.00\t0\t0\t0\t0\t1\t1\t1\n",
        ]
    )
    assert split_clitics("بغداد", table) == ("", "بغداد", "بغداد")
    assert split_clitics("وباريس", table) == ("و", "باريس", "باريس")
    assert split_clitics("للولايات", table) == ("ل", "الولايات", "ولايات")
    # without counts only the unambiguous clitic + article forms are split
    assert split_clitics("والعراق", None) == ("و", "العراق", "عراق")
    assert split_clitics("وباريس", None) == ("", "وباريس", "وباريس")


def test_features_mark_cues_and_window() -> None:
    extractor = FeatureExtractor(table=None, lexicon=load_lexicon())
    features = extractor.sentence(["قال", "الرئيس", "جون", "في", "باريس"])
    assert len(features) == 5
    assert "title" in features[1] and "+1:title" in features[0] and "-1:title" in features[2]
    assert "fname" in features[2]
    assert "gz=LOC-B" in features[4]
    assert "BOS" in features[0] and "EOS" in features[4]
    # the same word gives the same own features wherever it stands
    again = extractor.sentence(["باريس"])[0]
    assert set(again) - {"BOS", "EOS"} <= set(features[4])


def test_finer_cluster_levels_are_read_and_used() -> None:
    # a table with a fourth cluster column (build_cluster_table(..., finer=(2048,))) adds d0= features
    table = ClusterTable.from_lines(["باريس\t500\t0.00\t0\t0\t0\t0\t1\t2\t3\t1500\n"])
    entry = table.get("باريس")
    assert entry is not None and entry.clusters == (1, 2, 3, 1500)
    features = FeatureExtractor(table=table, lexicon=None).sentence(["باريس", "و"])
    assert "d0=1500" in features[0] and "-1:d0=1500" in features[1]


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("قال الرئيس الفرنسي إيمانويل ماكرون في باريس", {("ماكرون", "PER"), ("باريس", "LOC")}),
        ("وصل وزير الخارجية سيرغي لافروف إلى القاهرة أمس", {("لافروف", "PER"), ("القاهرة", "LOC")}),
    ],
)
def test_shipped_model_finds_person_and_place(
    model: NerModel, sentence: str, expected: set[tuple[str, str]]
) -> None:
    tokens = sentence.split()
    [tags] = model.predict([tokens])
    assert len(tags) == len(tokens)
    found = _spans(tokens, tags)
    for name, kind in expected:
        assert any(name in text and k == kind for text, k in found), (found, name, kind)


def test_shipped_model_tags_organisation_and_keeps_shape(model: NerModel) -> None:
    sentences = [
        # ANERcorp tags ministries and companies O but international bodies ORG; the model follows it
        ["وقالت", "منظمة", "الصحة", "العالمية", "إن", "عدد", "الحالات", "ارتفع", "."],
        [],
        ["."],
    ]
    tagged = model.predict(sentences)
    assert [len(t) for t in tagged] == [len(s) for s in sentences]
    assert any(kind == "ORG" for _, kind in _spans(sentences[0], tagged[0]))
    assert all(tag == "O" or tag[:2] in ("B-", "I-") for tags in tagged for tag in tags)
    assert {tag[2:] for tags in tagged for tag in tags if tag != "O"} <= {"PER", "LOC", "ORG", "MISC"}


def test_load_missing_model_is_coded_error(tmp_path: Path) -> None:
    with pytest.raises(MarsadError) as err:
        NerModel.load(tmp_path)
    assert err.value.code == "E204"


@pytest.mark.slow
def test_shipped_model_on_anercorp_test(data_dir: Path) -> None:
    from marsad.evaluate import evaluate_ner

    report = evaluate_ner(data_path=data_dir / "ner/anercorp/ANERCorp_CamelLabRecipe_test.txt")
    # Regression guard at the shipped figure (0.7027, docs/models/ner.md); the floor of 0.75
    # is not met yet and this bound should rise to it when a model that meets it ships.
    assert report.overall.f1 >= 0.70
    assert report.per_type["LOC"].f1 >= 0.85


MODERN = Path(__file__).resolve().parents[1] / "data" / "ner_modern"


@pytest.mark.parametrize(
    ("name", "floor", "loc_floor"),
    [("modern_news_a.conll", 0.76, 0.85), ("modern_news_b.conll", 0.66, 0.68)],
)
def test_shipped_model_on_modern_news(name: str, floor: float, loc_floor: float) -> None:
    """Outside ANERcorp's 2007 newswire: news sentences of 2018-2026 written and tagged for marsad.

    Guards at the shipped figures (A 0.7864, B 0.6872; docs/models/ner.md "Modern news"), so a
    retrained model that does worse on names ANERcorp never saw shows up here, not in a user's report.
    """
    from marsad.evaluate import evaluate_ner

    report = evaluate_ner(data_path=MODERN / name)
    assert report.warnings == []
    assert report.overall.f1 >= floor
    assert report.per_type["LOC"].f1 >= loc_floor
    assert report.per_type["PER"].f1 >= 0.82


def test_cluster_corpus_is_the_same_read_in_two_processes(tmp_path: Path) -> None:
    # `marsad train ner` reads the corpora one file a process; the text word2vec sees and the counts
    # behind the table must not depend on it
    import gzip
    import json

    from marsad.models.ner import context_cues
    from marsad.models.ner_clusters import write_cluster_corpus

    corpora = []
    for name, field, texts in [
        ("a.jsonl.gz", "content", ["قال الرئيس الفرنسي ماكرون في باريس إن الحوار مستمر.", "كلمة"]),
        ("b.jsonl.gz", "text", ["وصل وزير الخارجية إلى الرياض.\nثم غادر إلى القاهرة بعد لقاء قصير."]),
    ]:
        path = tmp_path / name
        with gzip.open(path, "wt", encoding="utf-8") as handle:
            for text in texts:
                handle.write(json.dumps({field: text}, ensure_ascii=False) + "\n")
        corpora.append(path)
    cues = context_cues(load_lexicon())
    extra = ["التقى محمد بن سلمان في جدة ."]
    one = write_cluster_corpus(corpora=corpora, out_path=tmp_path / "one.txt", cues=cues, extra_texts=extra)
    two = write_cluster_corpus(
        corpora=corpora, out_path=tmp_path / "two.txt", cues=cues, extra_texts=iter(extra), workers=2
    )
    text = (tmp_path / "one.txt").read_text(encoding="utf-8")
    assert text == (tmp_path / "two.txt").read_text(encoding="utf-8")
    # paragraphs of fewer than three tokens are left out; the labelled text comes last
    assert text.splitlines()[0].startswith("قال الرييس الفرنسي") and "كلمه" not in text
    assert text.splitlines()[-1] == "التقي محمد بن سلمان في جده ."
    assert one == two
    # the labelled text's size, so the collocation counts can stop before it
    assert one.extra_bytes == len("التقي محمد بن سلمان في جده .\n".encode())
    assert one[1]["ماكرون"][0] == 1  # seen after a title
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.jsonl.gz", "b.jsonl.gz", "one.txt", "two.txt"]


def _small_table(corpus: Path, counted: Any, out: Path, name: str, **extra: Any) -> None:
    """A small word2vec run and its table, ``out/NAME.tsv.gz`` and ``out/NAME.kv``."""
    from marsad.models.ner_clusters import cluster_vectors_to_table

    cluster_vectors_to_table(
        corpus_file=corpus,
        counts=counted.words,
        contexts=counted.contexts,
        out_path=out / f"{name}.tsv.gz",
        max_words=80_000,
        seed=1,
        vectors_out=out / f"{name}.kv",
        vector_size=16,
        epochs=2,
        window=3,
        skipgram=True,
        min_count=3,
        **extra,
    )


def test_word2vec_vocabulary_from_the_counts_gives_the_same_vectors(tmp_path: Path) -> None:
    # `marsad train ner` gives word2vec the counts made while writing the corpus file instead of a
    # second reading of it; vocabulary order, vectors and table must be what a reading gives
    import random

    from gensim.models import KeyedVectors

    from marsad.models.ner import context_cues
    from marsad.models.ner_clusters import write_cluster_corpus

    rng = random.Random(5)
    letters = "ابتثجحخدذرزسشصضطظعغفقكلمنهوي"
    vocabulary = sorted({"".join(rng.choice(letters) for _ in range(rng.randint(3, 6))) for _ in range(900)})
    texts = [
        " ".join(rng.choice(vocabulary[: rng.choice([50, 300, 900])]) for _ in range(rng.randint(3, 40)))
        for _ in range(1500)
    ]
    counted = write_cluster_corpus(
        corpora=[], out_path=tmp_path / "corpus.txt", cues=context_cues(load_lexicon()), extra_texts=texts
    )
    assert counted.sentences == 1500 and counted.tokens == sum(len(t.split()) for t in texts)
    for name, sentences in [("read", None), ("counted", counted.sentences)]:
        _small_table(tmp_path / "corpus.txt", counted, tmp_path, name, sentences=sentences)
    read, counted_vectors = (KeyedVectors.load(str(tmp_path / f"{n}.kv")) for n in ("read", "counted"))
    assert read.index_to_key == counted_vectors.index_to_key and len(read.index_to_key) > 512
    assert (read.vectors == counted_vectors.vectors).all()
    assert (tmp_path / "read.tsv.gz").read_bytes() == (tmp_path / "counted.tsv.gz").read_bytes()


def test_sharded_word2vec_does_not_depend_on_the_processes(tmp_path: Path) -> None:
    # `marsad train ner` trains word2vec in two shards side by side; the vectors must be the same
    # when the shards run one after the other in one process, and from one run to the next
    import itertools
    import random

    from gensim.models import KeyedVectors

    from marsad.models.ner import context_cues
    from marsad.models.ner_clusters import _cut_pieces, _Piece, write_cluster_corpus

    rng = random.Random(7)
    letters = "ابتثجحخدذرزسشصضطظعغفقكلمنهوي"
    vocabulary = sorted({"".join(rng.choice(letters) for _ in range(rng.randint(3, 6))) for _ in range(700)})
    texts = [
        " ".join(rng.choice(vocabulary[: rng.choice([40, 700])]) for _ in range(rng.randint(3, 30)))
        for _ in range(1200)
    ]
    # one paragraph longer than word2vec's longest sentence is cut as LineSentence cuts it
    texts.append(" ".join(rng.choice(vocabulary) for _ in range(10_050)))
    corpus = tmp_path / "corpus.txt"
    counted = write_cluster_corpus(
        corpora=[], out_path=corpus, cues=context_cues(load_lexicon()), extra_texts=texts
    )
    pieces = _cut_pieces(corpus, 6)
    assert pieces[0][0] == 0 and pieces[-1][1] == corpus.stat().st_size
    assert all(a[1] == b[0] for a, b in itertools.pairwise(pieces))
    assert sum(p[3] for p in pieces) == counted.sentences == 1202
    assert [s for p in pieces for s in _Piece(corpus, p[0], p[1])] == [
        line.split()[i : i + 10_000]
        for line in corpus.read_text(encoding="utf-8").splitlines()
        for i in range(0, len(line.split()), 10_000)
    ]
    for name, shards, workers in [("one", 1, 1), ("serial", 2, 1), ("side", 2, 2), ("again", 2, 2)]:
        _small_table(
            corpus,
            counted,
            tmp_path,
            name,
            sentences=counted.sentences,
            shards=shards,
            rounds=3,
            workers=workers,
        )
    one, serial, side, again = (
        KeyedVectors.load(str(tmp_path / f"{n}.kv")) for n in ("one", "serial", "side", "again")
    )
    assert serial.index_to_key == side.index_to_key == one.index_to_key
    assert (serial.vectors == side.vectors).all() and (side.vectors == again.vectors).all()
    assert (tmp_path / "serial.tsv.gz").read_bytes() == (tmp_path / "side.tsv.gz").read_bytes()
    # it trained: sharded vectors differ from the start and are about as far from it as gensim's own
    assert not (side.vectors == one.vectors).all()
    moved = [float(abs(kv.vectors).mean()) for kv in (one, side)]
    assert 0.5 < moved[1] / moved[0] < 2.0, moved


def test_sharded_word2vec_merges_each_row_by_the_shards_that_moved_it() -> None:
    # a word only one shard saw moves as that shard moved it; a word both saw moves by their mean
    # (summing would double a frequent word's step); a word neither saw stays
    import numpy as np

    from marsad.models.ner_clusters import _merge_shards

    now = np.array([[1.0, 1.0], [2.0, 2.0], [3.0, 3.0]], dtype=np.float32)
    first = np.array([[1.5, 1.0], [2.0, 2.0], [3.0, 4.0]], dtype=np.float32)
    second = np.array([[1.0, 1.0], [2.0, 2.0], [3.0, 2.0]], dtype=np.float32)
    _merge_shards(now, [first - now, second - now])
    assert now.tolist() == [[1.5, 1.0], [2.0, 2.0], [3.0, 3.0]]


def test_soft_gazetteer_counts_each_words_tagged_shares() -> None:
    # the self-training features: per clitic-stripped word, the share of its corpus occurrences a first
    # model tagged as each type; rare words and words almost never tagged are left out
    from marsad.models.ner import ENTITY_TYPES, soft_gazetteer

    table = ClusterTable.from_lines(["بيروت\t900\t0.00\t0\t0\t0\t0\t1\t1\t1\n"])
    extractor = FeatureExtractor(table=table, lexicon=None, groups=frozenset({"clusters"}))
    tagged = [
        (["زار", "بيروت", "أمس"], ["O", "B-LOC", "O"]),
        (["وبيروت", "مدينة"], ["B-LOC", "O"]),
        (["بيروت", "زار"], ["B-ORG", "O"]),
        (["بيروت"], ["O"]),
    ]
    soft = soft_gazetteer(tag=None, extractor=extractor, sentences=(), tagged=tagged)
    shares = dict(zip(ENTITY_TYPES, soft["بيروت"], strict=True))
    assert shares == {"PER": 0.0, "LOC": 0.5, "ORG": 0.25, "MISC": 0.0}
    # زار: seen three times, never tagged; امس and مدينه: fewer than three times
    assert set(soft) == {"بيروت"}


def test_training_runs_from_a_script_without_a_main_guard(anercorp_sample: Path, tmp_path: Path) -> None:
    # train_ner trains its hint networks in two processes; a user's plain script (no
    # `if __name__ == "__main__":`) must train once and finish, not be run again by each worker
    import subprocess
    import sys

    script = tmp_path / "train.py"
    script.write_text(
        "from pathlib import Path\n"
        "from marsad.models.ner import train_ner\n"
        "print('started', flush=True)\n"
        f"figures = train_ner(train_path=Path({str(anercorp_sample)!r}), out_dir=Path({str(tmp_path / 'm')!r}))\n"
        "print('done', figures['sentences'], flush=True)\n",
        encoding="utf-8",
    )
    result = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=600, check=False
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split() == ["started", "done", "200"]
    assert (tmp_path / "m" / "ner.crfsuite").is_file()
    # without corpora the shipped collocation table is reused as it is
    shipped = Path(__file__).resolve().parents[2] / "src/marsad/models/data/ner_pairs.npz"
    assert (tmp_path / "m" / "ner_pairs.npz").read_bytes() == shipped.read_bytes()
