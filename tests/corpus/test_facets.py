"""Facet tokens: the outlet and date terms of the full-text index that narrow filtered searches."""

from __future__ import annotations

from datetime import date, timedelta

from corpus_texts import WATER, make_article
from hypothesis import given
from hypothesis import strategies as st

from marsad.corpus.search import search
from marsad.corpus.store import Store
from marsad.corpus.terms import FACET_TOKENS, date_facets, facet_terms, outlet_facet


def test_every_article_holds_the_same_number_of_facet_tokens() -> None:
    for outlet, published in [
        ("spa", "2015-07-21T02:51:41"),
        (None, None),
        ("صحيفة الرياض", "2018-05-05T00:15:50+04:00"),
        ("okaz", "yesterday"),
    ]:
        assert len(facet_terms(outlet, published).split()) == FACET_TOKENS
    assert facet_terms("spa", "2015-07-21T02:51:41").split()[1:] == ["d20150721", "m201507", "y2015"]
    assert outlet_facet("okaz") != outlet_facet("spa") and outlet_facet("okaz").isascii()


def test_a_date_range_becomes_its_days_clamped_to_the_corpus() -> None:
    expression = date_facets("2015-07-30", "2015-08-02", first="2015-07-01", last="2015-12-01", max_days=92)
    assert expression == "(d20150730 OR d20150731 OR d20150801 OR d20150802 OR dx)"
    # Only one bound: the corpus's first or last day closes the range.
    assert date_facets(None, "2015-07-02", first="2015-07-01T10:00", last="2015-12-01", max_days=92) == (
        "(d20150701 OR d20150702 OR dx)"
    )
    # A range beyond the corpus keeps only articles whose date string is not ISO.
    assert date_facets("2020-01-01", None, first="2015-07-01", last="2015-12-01", max_days=92) == "dx"
    # A broad range is left to the exact filter.
    assert date_facets("2015-01-01", "2015-12-31", first="2015-07-01", last="2015-12-01", max_days=92) is None


_days = st.dates(min_value=date(2014, 1, 1), max_value=date(2019, 12, 31))


@given(
    published=_days,
    hour=st.integers(0, 23),
    since=st.one_of(st.none(), _days),
    span=st.integers(0, 120),
    first=_days,
    length=st.integers(0, 400),
)
def test_day_tokens_never_drop_an_article_the_exact_filter_keeps(
    published: date, hour: int, since: date | None, span: int, first: date, length: int
) -> None:
    stamp = f"{published.isoformat()}T{hour:02d}:00:00"
    lower = since.isoformat() if since else None
    upper = (
        (since + timedelta(days=span)).isoformat() if since else (first + timedelta(days=span)).isoformat()
    )
    last = first + timedelta(days=length)
    # The corpus's bounds hold every stored date; the article is one of them.
    first_day, last_day = min(first, published).isoformat(), max(last, published).isoformat() + "T23:59"
    expression = date_facets(lower, upper, first=first_day, last=last_day, max_days=92)
    kept = (lower is None or stamp >= lower) and stamp[:10] <= upper
    if expression is not None and kept:
        day = facet_terms("x", stamp).split()[1]
        assert day in expression.strip("()").split(" OR ")


def test_a_query_word_never_matches_a_facet_token(store: Store) -> None:
    store.upsert(make_article(WATER, url="https://a/1", outlet="okaz", published="2015-07-21"))
    assert search(store, "المياه").total == 1
    for word in ["d20150721", "m201507", "y2015", outlet_facet("okaz"), "dx"]:
        assert search(store, word).total == 0, word
    assert search(store, "المياه", outlet="okaz", since="2015-07-21", until="2015-07-21").total == 1
    assert search(store, "المياه", outlet="okaz", since="2015-07-22").total == 0
