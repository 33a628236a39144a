"""Search: Arabic-aware on both sides, phrases and operators, filters, snippets, coded errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from corpus_texts import ECONOMY, FOOTBALL, WATER, make_article
from postgres_server import PostgresServer, fresh_postgres_url

import marsad.corpus.search as search_module
from marsad.corpus.search import MARKERS, make_snippet, parse_query, search
from marsad.corpus.store import Store
from marsad.corpus.terms import index_terms
from marsad.document import Actor, article_id
from marsad.errors import MarsadError

SHORT = {
    "us-a": "وصل وزير الخارجية الأمريكية إلى الرياض اليوم في زيارة رسمية تستغرق يومين.",
    "us-b": "قالت أميركا إن المحادثات مع إيران مستمرة منذ أسابيع.",
    "us-c": "رحبت الحكومة بموقف أمريكا من القضية وطالبت بخطوات عملية.",
    "ru": "أَكَّدَ الرَّئِيسُ الرُّوسِيُّ أَنَّ بِلادَهُ مُسْتَعِدَّةٌ لِلْحِوَارِ مَعَ جِيرَانِهَا.",
    "weather": "الطقس حار في جدة و الرياض أو مكة طوال الأسبوع.",
}


@pytest.fixture
def filled(store: Store) -> Store:
    return _fill(store)


def _fill(store: Store) -> Store:
    for number, (key, text) in enumerate(SHORT.items()):
        store.upsert(
            make_article(
                text,
                url=f"https://news.example/{key}",
                outlet="okaz" if number % 2 else "spa",
                published=f"2015-07-2{number}T10:00:00",
                title=f"خبر {key}",
                actors=[Actor("USA", "أمريكا", "United States", "state", 1)] if key.startswith("us") else [],
                techniques=[(0, 5, "Loaded_Language")] if key == "us-c" else None,
                propaganda=0.8 if key == "us-c" else 0.1,
            )
        )
    for key, paragraphs in (("water", WATER), ("football", FOOTBALL), ("economy", ECONOMY)):
        store.upsert(make_article(paragraphs, url=f"https://news.example/{key}", published="2015-08-01"))
    return store


def _ids(results: object) -> set[str]:
    return {hit.title.split()[-1] for hit in results.hits if hit.title}  # type: ignore[attr-defined]


@pytest.mark.parametrize("query", ["أمريكا", "الأمريكية", "أميركا", "امريكا", "الأميركيين"])
def test_spellings_and_forms_of_america_find_each_other(filled: Store, query: str) -> None:
    assert _ids(search(filled, query)) == {"us-a", "us-b", "us-c"}


@pytest.mark.parametrize("query", ["الرئيس الروسي", "مستعدة للحوار", "جيرانها"])
def test_diacritised_text_is_found_by_a_plain_query(filled: Store, query: str) -> None:
    assert _ids(search(filled, query)) == {"ru"}


def test_a_diacritised_query_finds_plain_text(filled: Store) -> None:
    assert _ids(search(filled, "الرِّيَاض")) == {"us-a", "weather"}


def test_phrases_and_operators(filled: Store) -> None:
    assert _ids(search(filled, '"وزير الخارجية"')) == {"us-a"}
    assert _ids(search(filled, '"الخارجية وزير"')) == set()
    assert _ids(search(filled, "الرياض NOT جدة")) == {"us-a"}
    assert _ids(search(filled, "إيران OR الروسي")) == {"us-b", "ru"}
    assert _ids(search(filled, "(الرياض OR مكة) AND حار")) == {"weather"}
    assert _ids(search(filled, "الرياض يومين")) == {"us-a"}


def test_arabic_and_or_not_words_are_plain_words(filled: Store) -> None:
    # "و" and "أو" are searched as words, so only the text containing them matches.
    assert _ids(search(filled, "جدة و مكة")) == {"weather"}
    assert parse_query("جدة أو مكة") == ('("جده" AND "او" AND "مكه")', frozenset({"جده", "او", "مكه"}))
    assert parse_query("جدة ليس مكة") is not None and " NOT " not in parse_query("جدة ليس مكة")[0]  # type: ignore[index]


def test_filters_combine_with_text(filled: Store) -> None:
    assert _ids(search(filled, "أمريكا", outlet="okaz")) == {"us-b"}
    assert _ids(search(filled, "أمريكا", since="2015-07-21", until="2015-07-22")) == {"us-b", "us-c"}
    assert _ids(search(filled, "", actor="USA")) == {"us-a", "us-b", "us-c"}
    assert _ids(search(filled, "أمريكا", technique="Loaded_Language")) == {"us-c"}
    assert _ids(search(filled, "أمريكا", min_propaganda=0.5)) == {"us-c"}
    assert search(filled, "", until="2015-07-20").total == 1


def test_ranking_and_paging(filled: Store) -> None:
    results = search(filled, "النصر")
    assert results.total == 1 and results.hits[0].score is not None and results.hits[0].score > 0
    page = search(filled, "أمريكا", limit=2, offset=2)
    assert page.total == 3 and len(page.hits) == 1


def test_snippet_marks_matched_words_at_their_original_offsets(filled: Store) -> None:
    article = filled.get(article_id(text="", url="https://news.example/ru"))
    assert article is not None
    hit = search(filled, "الرئيس الروسي").hits[0]
    surfaces = [article.text[start:end] for start, end in hit.highlights]
    assert surfaces == ["الرَّئِيسُ", "الرُّوسِيُّ"]
    assert f"{MARKERS[0]}الرَّئِيسُ{MARKERS[1]} {MARKERS[0]}الرُّوسِيُّ{MARKERS[1]}" in hit.snippet


@pytest.mark.parametrize(
    "query", ["AND مكة", "مكة AND", '"مكة جدة', "(مكة", "مكة)", "NOT مكة", "مكة NOT", "...", "مكة OR OR جدة"]
)
def test_malformed_queries_raise_a_coded_error(filled: Store, query: str) -> None:
    with pytest.raises(MarsadError) as caught:
        search(filled, query)
    assert caught.value.code == "E301"


def test_bad_options_raise_a_coded_error(filled: Store) -> None:
    for options in ({"limit": 0}, {"offset": -1}, {"since": "last week"}):
        with pytest.raises(MarsadError) as caught:
            search(filled, "مكة", **options)
        assert caught.value.code == "E301"


@pytest.fixture
def many(store: Store, monkeypatch: pytest.MonkeyPatch) -> Store:
    return _many(store, monkeypatch)


def _many(store: Store, monkeypatch: pytest.MonkeyPatch) -> Store:
    """Twelve articles sharing a common word, with the bounds shrunk so that it counts as common."""
    monkeypatch.setattr(search_module, "COUNT_CAP", 5)
    monkeypatch.setattr(search_module, "_EXACT_MATCHES", 4)
    monkeypatch.setattr(search_module, "_WINDOW", 4)
    for number in range(12):
        # Article 0 is the oldest row and the only one of its outlet: a window of the newest
        # matches misses it, so a filter on its outlet must look past the window to find it.
        store.upsert(
            make_article(
                f"أعلنت الوزارة اليوم خبرا رقم {number} عن المياه في المدينة.",
                url=f"https://news.example/many-{number}",
                outlet="rare" if number == 0 else "okaz",
                published=f"2016-01-{number + 1:02d}",
                title=f"خبر many-{number}",
            )
        )
    return store


def test_a_common_term_reports_a_capped_total(many: Store) -> None:
    results = search(many, "الوزارة", limit=3)
    assert results.total == 5 and results.total_capped
    assert len(results.hits) == 3
    assert results.to_json()["total_capped"] is True and results.to_json()["total"] == 5


def test_a_rare_term_reports_an_exact_total(many: Store) -> None:
    results = search(many, "المياه", outlet="rare")
    assert results.total == 1 and not results.total_capped
    assert results.to_json()["total_capped"] is False


def test_filters_with_a_common_term_find_old_matches(many: Store) -> None:
    results = search(many, "الوزارة", outlet="rare")
    assert _ids(results) == {"many-0"} and results.total == 1
    dated = search(many, "الوزارة", since="2016-01-01", until="2016-01-02")
    assert _ids(dated) == {"many-0", "many-1"} and dated.total == 2
    # A broad filter is tried on the window of the newest matches first, then on every match.
    broad = search(many, "الوزارة", outlet="okaz", limit=1)
    assert _ids(broad) <= {"many-10", "many-11", "many-8", "many-9"} and broad.total_capped
    old = search(many, "الوزارة", until="2016-01-07", limit=1)
    assert len(old.hits) == 1 and old.hits[0].published is not None and old.hits[0].published <= "2016-01-07"


def test_a_common_term_pages_without_repeats(many: Store) -> None:
    seen = [hit.id for offset in (0, 2) for hit in search(many, "الوزارة", limit=2, offset=offset).hits]
    assert len(seen) == 4 and len(set(seen)) == 4


def test_snippet_of_a_long_text_marks_a_late_match_at_its_offset(store: Store) -> None:
    filler = " ".join(["تحدث المسؤولون عن الطقس والزراعة في المنطقة الشرقية."] * 150)
    text = filler + " وافتتح الأمير متحف الفنون الجديد. " + filler
    store.upsert(make_article(text, url="https://news.example/long"))
    hit = search(store, "متحف").hits[0]
    assert [text[start:end] for start, end in hit.highlights] == ["متحف"]
    assert f"{MARKERS[0]}متحف{MARKERS[1]}" in hit.snippet
    assert hit.snippet.startswith("… ") and hit.snippet.endswith(" …")
    assert (hit.snippet, hit.highlights) == make_snippet(text, frozenset(index_terms("متحف")))


@pytest.mark.parametrize(
    "query, options",
    [
        ("أمريكا", {}),
        ("الرياض", {"outlet": "spa"}),
        ('"وزير الخارجية"', {}),
        ("أمريكا OR إيران", {"since": "2015-07-21"}),
        ("الرياض NOT جدة", {}),
        ("(الطقس OR المحادثات) AND الرياض", {}),
        ("المياه", {"since": "2015-08-01", "until": "2015-08-01"}),
        ("", {"actor": "USA"}),
        ("", {"technique": "Loaded_Language"}),
        ("أمريكا", {"min_propaganda": 0.5}),
    ],
)
def test_sqlite_and_postgresql_return_the_same_results(
    postgres_server: PostgresServer, tmp_path: Path, query: str, options: dict[str, object]
) -> None:
    results = []
    for location in (str(tmp_path / "same.db"), fresh_postgres_url(postgres_server)):
        with Store.open(location) as opened:
            results.append(search(_fill(opened), query, **options).to_json())  # type: ignore[arg-type]
    assert results[0]["hits"], "the query must find something for the comparison to mean anything"
    assert results[0] == results[1]


@pytest.mark.parametrize(
    "options", [{}, {"outlet": "rare"}, {"outlet": "okaz", "limit": 1}, {"until": "2016-01-07"}]
)
def test_both_backends_agree_on_a_common_term(
    postgres_server: PostgresServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    options: dict[str, object],
) -> None:
    results = []
    for location in (str(tmp_path / "same.db"), fresh_postgres_url(postgres_server)):
        with Store.open(location) as opened:
            results.append(search(_many(opened, monkeypatch), "الوزارة", **options).to_json())  # type: ignore[arg-type]
    assert results[0]["hits"]
    assert results[0] == results[1]


def test_the_cli_searches_a_postgresql_corpus_given_its_url(postgres_server: PostgresServer) -> None:
    from typer.testing import CliRunner

    from marsad.cli.main import app

    url = fresh_postgres_url(postgres_server)
    with Store.open(url) as opened:
        _fill(opened)
    result = CliRunner().invoke(app, ["search", "أميركا", "--db", url, "--format", "json"])
    assert result.exit_code == 0, result.output
    found = json.loads(result.output)
    assert found["total"] == 3 and {hit["title"] for hit in found["hits"]} == {
        "خبر us-a",
        "خبر us-b",
        "خبر us-c",
    }
