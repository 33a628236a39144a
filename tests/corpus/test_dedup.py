"""Near-duplicates: signatures, LSH, clusters kept up to date on upsert, and what copies change."""

from __future__ import annotations

import numpy as np
import pytest
from corpus_texts import ECONOMY, FOOTBALL, WATER, join, make_article

from marsad.corpus import dedup
from marsad.corpus.store import Store
from marsad.corpus.syndication import changes, copies, credits_in, syndication
from marsad.errors import MarsadError
from marsad.text.normalise import normalise_text


def test_words_are_those_of_the_search_view() -> None:
    text = "أعلنَ الرئيسُ (واس) - ١٢ مشروعاً في الإمارات، وﻻ تأجيل ‎!"
    expected = [
        w.encode("cp1256")
        for w in normalise_text(text, search=True)
        .replace("(", " ")
        .replace(")", " ")
        .replace("،", " ")
        .replace("-", " ")
        .replace("!", " ")
        .split()
    ]
    assert dedup.words(text) == expected


def test_signatures_are_stable_and_estimate_jaccard() -> None:
    texts = [join(WATER), join(WATER[:4]), join(FOOTBALL)]
    first = dedup.signatures([dedup.shingle_hashes(t) for t in texts]).values
    flat, sizes = dedup.shingle_batch(texts)
    assert np.array_equal(dedup.signatures_of_flat(flat, sizes).values, first)
    exact = dedup.jaccard(dedup.shingle_hashes(texts[0]), dedup.shingle_hashes(texts[1]))
    assert abs(dedup.estimated_jaccard(first[0], first[1]) - exact) < 0.15
    assert dedup.estimated_jaccard(first[0], first[2]) < 0.1


def test_diacritics_and_spelling_variants_do_not_hide_a_copy() -> None:
    plain = join(WATER)
    marked = plain.replace("أعلنت", "أَعْلَنَتْ").replace("مكة", "مكه").replace("إلى", "الى")
    assert np.array_equal(dedup.shingle_hashes(plain), dedup.shingle_hashes(marked))


def test_lsh_candidates_pair_copies_and_skip_empty_texts() -> None:
    texts = [join(WATER), join(FOOTBALL), join(WATER[1:]), "", "", join(ECONOMY)]
    flat, sizes = dedup.shingle_batch(texts)
    keys = dedup.band_keys(dedup.signatures_of_flat(flat, sizes).values)
    assert dedup.lsh_candidates(keys, sizes=sizes).tolist() == [[0, 2]]


def _stories() -> list:
    original = make_article(
        WATER,
        url="https://spa.gov.sa/w",
        outlet="spa",
        published="2015-07-20T08:00:00",
        title="تشغيل محطة تحلية",
    )
    # A copy: credit removed, one paragraph dropped, a sentence of its own added, a word changed.
    copy_paragraphs = [
        WATER[0].replace("الرياض (واس) - ", ""),
        WATER[1],
        WATER[2].replace("مئة وعشرين", "مئة وثلاثين"),
        WATER[3],
        "وتعد هذه المحطة الأكبر من نوعها في المنطقة.",
    ]
    copy = make_article(
        copy_paragraphs,
        url="https://okaz.com.sa/w",
        outlet="okaz",
        published="2015-07-20T11:00:00",
        title="محطة تحلية جديدة على البحر الأحمر",
    )
    second = make_article(
        WATER[:4],
        url="https://alriyadh.com/w",
        outlet="alriyadh",
        published="2015-07-21T09:00:00",
        title="تشغيل محطة تحلية",
    )
    other = make_article(FOOTBALL, url="https://okaz.com.sa/f", outlet="okaz")
    return [original, copy, second, other]


def test_copies_form_one_cluster_ordered_by_publication(store: Store) -> None:
    original, copy, second, other = _stories()
    store.upsert_many([second, other, copy, original])  # stored out of order on purpose
    result = copies(store, copy.id)
    cluster = result["cluster"]
    assert cluster["size"] == 3
    assert cluster["first"]["id"] == original.id and not cluster["is_first"]
    assert [c["id"] for c in cluster["copies"]] == [copy.id, second.id]
    first_copy = cluster["copies"][0]
    assert 0.5 <= first_copy["similarity"] < 1.0
    assert first_copy["delay_hours"] == 3.0
    changed = first_copy["changes"]
    assert changed["credits_removed"] == ["SPA"]
    assert changed["title_changed"] is True
    assert len(changed["dropped"]) == 1 and len(changed["added"]) == 1 and len(changed["edited"]) >= 1
    dropped_start, dropped_end = changed["dropped"][0]
    assert original.text[dropped_start:dropped_end] == WATER[4]
    assert copies(store, other.id)["cluster"]["size"] == 1


def test_clusters_update_incrementally_and_split_when_a_link_changes(store: Store) -> None:
    original, copy, second, _other = _stories()
    store.upsert(original)
    assert copies(store, original.id)["cluster"]["size"] == 1
    store.upsert(copy)
    assert copies(store, original.id)["cluster"]["size"] == 2
    store.upsert(second)
    assert copies(store, second.id)["cluster"]["size"] == 3
    # The original is rewritten into another story: the two copies still match each other.
    store.upsert(make_article(ECONOMY, url="https://spa.gov.sa/w", outlet="spa"))
    assert copies(store, original.id)["cluster"]["size"] == 1
    assert {c["id"] for c in copies(store, copy.id)["cluster"]["copies"]} | {
        copies(store, copy.id)["cluster"]["first"]["id"]
    } == {copy.id, second.id}


def test_syndication_network_counts_copies_and_delays(store: Store) -> None:
    store.upsert_many(_stories())
    report = syndication(store)
    assert len(report["clusters"]) == 1
    edges = {(e["source"], e["target"]): e for e in report["network"]}
    assert edges[("spa", "okaz")]["copies"] == 1
    assert edges[("spa", "okaz")]["median_delay_hours"] == 3.0
    assert edges[("spa", "alriyadh")]["median_delay_hours"] == 25.0
    assert syndication(store, since="2015-07-21")["clusters"] == []


def test_credits_come_from_meta_or_the_text() -> None:
    assert credits_in("قال (أ ف ب) إن") == {"AFP"}
    assert credits_in("نص بلا مصدر", {"dateline": {"place": "الرياض", "agency": "SPA"}}) == {"SPA"}
    assert credits_in("نص", {"credits": ["Reuters"]}) == {"Reuters"}


def test_reordered_sentences_count_as_moved_not_changed() -> None:
    first = {
        "text": "الجملة الأولى هنا تماما. الجملة الثانية هناك أيضا. الجملة الثالثة في النهاية.",
        "meta": {},
    }
    second = {
        "text": "الجملة الثالثة في النهاية. الجملة الأولى هنا تماما. الجملة الثانية هناك أيضا.",
        "meta": {},
    }
    result = changes(first, second)
    assert result["kept"] == 3 and result["moved"] == 1 and not result["added"] and not result["dropped"]


def test_copies_of_an_unknown_id_is_a_coded_error(store: Store) -> None:
    with pytest.raises(MarsadError) as caught:
        copies(store, "nope")
    assert caught.value.code == "E301"
