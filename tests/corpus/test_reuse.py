"""Passage reuse: paragraphs of one article inside a longer, different one, with both offsets."""

from __future__ import annotations

from corpus_texts import ECONOMY, FOOTBALL, WATER, join, make_article

from marsad.corpus.reuse import find_reuse
from marsad.corpus.store import Store
from marsad.corpus.syndication import copies, syndication

HOST = [
    "تناول الكاتب في مقاله الأسبوعي أزمة المياه في المنطقة، معتبرا أن الحلول التقليدية لم تعد كافية لمواجهة النمو السكاني المتسارع وتغير أنماط الاستهلاك في المدن الكبرى.",
    "ويرى الكاتب أن الاستثمار في البحث العلمي هو السبيل الوحيد لخفض تكلفة إنتاج المياه، داعيا الجامعات إلى إنشاء مراكز متخصصة تعمل مع القطاع الخاص على تطوير تقنيات محلية.",
    "ويختم الكاتب بأن المواطن شريك أساسي في الحل، وأن حملات التوعية بترشيد الاستهلاك يجب أن تبدأ من المدارس وأن تستمر عبر وسائل الإعلام ومنصات التواصل الاجتماعي طوال العام.",
]


def test_two_reused_paragraphs_are_found_with_offsets_on_both_sides() -> None:
    source = join(WATER)
    host = join([HOST[0], WATER[1], WATER[2], HOST[1], HOST[2], *ECONOMY[:2]])
    found = find_reuse(source, host)
    assert len(found.passages) == 1
    passage = found.passages[0]
    reused = WATER[1] + "\n\n" + WATER[2]
    assert source[passage.a_start : passage.a_end] == reused.rstrip("،.")
    assert host[passage.b_start : passage.b_end] == reused.rstrip("،.")
    assert 0.3 < found.share_a < 0.5  # two of five paragraphs
    assert 0.2 < found.share_b < 0.4


def test_independent_articles_share_no_passage() -> None:
    assert find_reuse(join(WATER), join(FOOTBALL)).passages == []
    # A common phrase of a few words is not a reused passage.
    assert (
        find_reuse(join(WATER), join([HOST[0], "وقال محافظ المؤسسة في مؤتمر صحفي إن العمل مستمر."])).passages
        == []
    )


def test_the_store_finds_reuse_when_whole_texts_differ(store: Store) -> None:
    source = make_article(WATER, url="https://spa.gov.sa/w", outlet="spa", published="2015-07-20T08:00:00")
    host = make_article(
        [HOST[0], WATER[1], WATER[2], HOST[1], HOST[2], *ECONOMY[:2]],
        url="https://alyaum.com/o",
        outlet="alyaum",
        published="2015-07-22T08:00:00",
    )
    store.upsert(source)
    store.upsert(make_article(FOOTBALL, url="https://okaz.com.sa/f", outlet="okaz"))
    store.upsert(host)
    seen_from_host = copies(store, host.id)
    assert seen_from_host["cluster"]["size"] == 1  # not a copy
    (item,) = seen_from_host["reuses"]
    assert item["id"] == source.id and item["direction"] == "reuses"
    (passage,) = item["passages"]
    assert host.text[passage["start"] : passage["end"]].startswith(WATER[1][:40])
    assert source.text[passage["other_start"] : passage["other_end"]].startswith(WATER[1][:40])
    assert 0.2 < item["share"] < 0.4
    (back,) = copies(store, source.id)["reuses"]
    assert back["id"] == host.id and back["direction"] == "reused_by"
    assert back["passages"][0]["start"] == passage["other_start"]
    edges = {(e["source"], e["target"]): e for e in syndication(store)["network"]}
    assert edges[("spa", "alyaum")]["reuses"] == 1 and edges[("spa", "alyaum")]["median_delay_hours"] == 48.0
