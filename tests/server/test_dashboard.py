"""The dashboard pages as a client sees them: status, language and direction, escaping, content."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from marsad.corpus.store import Store, ingest
from marsad.report.common import technique_definitions
from marsad.server.app import create_app
from marsad.server.i18n import COARSE_CLASSES

HOSTILE = Path(__file__).resolve().parents[1] / "browser" / "hostile.jsonl"


# -- parsing what the server sent -----------------------------------------------------------------


class _Page(HTMLParser):
    """Every start tag with its attributes, and the <html> element's lang and dir."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def html_attrs(self) -> dict[str, str | None]:
        return next(attrs for tag, attrs in self.tags if tag == "html")

    def hrefs(self) -> list[str]:
        return [attrs["href"] or "" for _, attrs in self.tags if "href" in attrs]


def parse(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    return page


def assert_inert(html: str) -> None:
    """No element, attribute or URL in the page can run script; no inline style either (CSP)."""
    page = parse(html)
    for tag, attrs in page.tags:
        assert tag not in ("script", "iframe", "object", "embed", "style"), f"<{tag}> in the page"
        for name, value in attrs.items():
            assert not name.startswith("on"), f"event handler {name}= on <{tag}>"
            assert name != "style", f"inline style on <{tag}>"
            if name in ("href", "src", "action", "formaction", "xlink:href"):
                assert not (value or "").strip().lower().startswith(("javascript:", "data:", "vbscript:"))


# -- fixtures ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def hostile_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A corpus whose articles carry script, event handlers and javascript: URLs everywhere."""
    path = tmp_path_factory.mktemp("hostile") / "hostile.db"
    summary = ingest([HOSTILE], db=path)
    assert summary.new == 2, summary.to_json()
    return path


@pytest.fixture()
def hostile_client(hostile_db: Path) -> Iterator[TestClient]:
    with TestClient(create_app(db=hostile_db)) as client:
        yield client


@pytest.fixture(scope="module")
def facts(corpus_db: Path) -> dict[str, Any]:
    """Ids and names from the example corpus for the tests to ask for."""
    with Store.open(corpus_db) as store:
        connection = store.connection
        rows = connection.execute("SELECT id, json FROM articles").fetchall()
        documents = {article_id: json.loads(payload) for article_id, payload in rows}
        clustered = connection.execute(
            "SELECT a.id FROM clusters c JOIN articles a ON a.rid = c.article ORDER BY a.rid"
        ).fetchone()[0]
    richest = max(documents, key=lambda key: len(documents[key]["persuasion"]))
    outlet = documents[richest]["meta"]["outlet"]
    return {"documents": documents, "richest": richest, "clustered": clustered, "outlet": outlet}


def pages(facts: dict[str, Any]) -> list[str]:
    return [
        "/",
        "/search",
        "/search?q=" + quote("روسيا"),
        "/article/" + facts["richest"],
        "/outlet/" + quote(facts["outlet"], safe=""),
        "/actor/USA",
    ]


# -- every page ----------------------------------------------------------------------------------


def test_every_page_is_right_to_left_arabic_by_default(client: TestClient, facts: dict[str, Any]) -> None:
    for url in pages(facts):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.headers["content-type"].startswith("text/html")
        assert parse(response.text).html_attrs() == {"lang": "ar", "dir": "rtl"}, url
        assert_inert(response.text)


def test_english_pages_are_left_to_right_and_keep_the_language_in_links(
    client: TestClient, facts: dict[str, Any]
) -> None:
    for url in pages(facts):
        response = client.get(url + ("&" if "?" in url else "?") + "lang=en")
        assert response.status_code == 200, url
        page = parse(response.text)
        assert page.html_attrs() == {"lang": "en", "dir": "ltr"}, url
        internal = [href for href in page.hrefs() if href.startswith("/") and not href.startswith("/static/")]
        switch = [href for href in internal if "lang=en" not in href]
        # Only the switch back to Arabic drops the language.
        assert len(switch) == 1, (url, switch)
        # The search forms carry it as a hidden field.
        assert 'name="lang" value="en"' in response.text


def test_the_language_switch_is_a_plain_link_to_the_same_page(client: TestClient) -> None:
    arabic = client.get("/search?q=" + quote("جنيف"))
    switch = next(
        attrs["href"]
        for tag, attrs in parse(arabic.text).tags
        if tag == "a" and "lang-switch" in (attrs.get("class") or "")
    )
    assert switch is not None and switch.startswith("/search?") and "lang=en" in switch
    english = client.get(switch)
    assert parse(english.text).html_attrs()["lang"] == "en"
    assert "جنيف" in english.text


def test_the_language_switch_never_points_at_another_site(client: TestClient) -> None:
    response = client.get("/%2F%2Fevil.example/x")
    switch = next(
        attrs["href"]
        for tag, attrs in parse(response.text).tags
        if tag == "a" and "lang-switch" in (attrs.get("class") or "")
    )
    assert switch is not None and switch.startswith("/") and not switch.startswith("//")


def test_the_stylesheet_is_served(client: TestClient) -> None:
    response = client.get("/static/dashboard.css")
    assert response.status_code == 200
    assert "mark.pz" in response.text


# -- the overview ----------------------------------------------------------------------------------


def test_overview_shows_volume_actors_copied_stories_and_outlets(
    client: TestClient, facts: dict[str, Any]
) -> None:
    html = client.get("/").text
    assert html.count("<svg") >= 2  # the volume chart and the copy network at least
    assert 'href="/actor/USA"' in html
    assert 'href="/outlet/' + quote(facts["outlet"], safe="") + '"' in html
    # The most-copied table links the first appearance of a cluster.
    assert "/article/" in html
    assert '<bdi dir="ltr" class="num">30</bdi>' in html  # the article count, isolated left to right


def test_overview_aggregates_are_cached_per_corpus_version(corpus_db: Path) -> None:
    from marsad.server import pages_data

    cache = pages_data.PageCache(version_ttl_s=0.0)
    calls = []

    def compute(store: Store) -> int:
        calls.append(1)
        return pages_data.overview(store)["articles"]

    with Store.open(corpus_db) as store:
        assert cache.get(store, ("n",), compute) == cache.get(store, ("n",), compute) == 30
    assert len(calls) == 1


def test_a_new_article_changes_the_corpus_version(tmp_path: Path, examples_dir: Path) -> None:
    from marsad.server import pages_data

    db = tmp_path / "growing.db"
    ingest([HOSTILE], db=db)
    cache = pages_data.PageCache(version_ttl_s=0.0, refresh_in_background=False)
    with Store.open(db) as store:
        before = cache.get(store, ("overview",), pages_data.overview)
        ingest([examples_dir / "articles.jsonl"], db=db)
        after = cache.get(store, ("overview",), pages_data.overview)
    assert (before["articles"], after["articles"]) == (2, 32)


def test_a_stale_value_is_served_while_it_is_recomputed(tmp_path: Path, examples_dir: Path) -> None:
    import time

    from marsad.server import pages_data

    db = tmp_path / "growing.db"
    ingest([HOSTILE], db=db)
    cache = pages_data.PageCache(version_ttl_s=0.0)
    with Store.open(db) as store:
        assert cache.get(store, ("overview",), pages_data.overview)["articles"] == 2
        ingest([examples_dir / "articles.jsonl"], db=db)
        # The page does not wait: it gets the old figure and a refresh starts beside it.
        assert cache.get(store, ("overview",), pages_data.overview)["articles"] == 2
        deadline = time.monotonic() + 30
        while cache.get(store, ("overview",), pages_data.overview)["articles"] != 32:
            assert time.monotonic() < deadline, "the refresh never landed"
            time.sleep(0.05)


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        ([("2015-07-21", 2), ("2015-07-23", 1), (None, 5)], [("2015-07-21", 2), ("2015-07-23", 1)]),
        ([("2015-01-05", 1), ("2015-01-06", 2), ("2016-01-01", 4)], [("2015-W02", 3), ("2015-W53", 4)]),
        ([("2010-01-05", 1), ("2010-01-20", 2), ("2015-03-01", 4)], [("2010-01", 3), ("2015-03", 4)]),
        ([(None, 3)], []),
    ],
)
def test_volume_buckets_follow_the_span_of_the_corpus(
    rows: list[tuple[str | None, int]], expected: list[tuple[str, int]]
) -> None:
    from marsad.server.pages_data import bucket_counts

    assert bucket_counts(rows) == expected


# -- the article page ------------------------------------------------------------------------------


def _visible_body(html: str) -> str:
    """The article body's text as a reader sees it: tags and tooltips removed, entities decoded."""
    body = html.split('<div class="body"', 1)[1].split("</div>", 1)[0]
    body = body.split(">", 1)[1]
    body = re.sub(r'<span class="tip" role="tooltip".*?</span></span></span>', "", body)
    body = re.sub(r'<span class="para-flag".*?</bdi></span>', "", body)
    body = body.replace("<br>", "\n")
    from html import unescape

    return unescape(re.sub(r"<[^>]+>", "", body))


def test_article_text_is_shown_whole_with_spans_by_coarse_class(
    client: TestClient, facts: dict[str, Any]
) -> None:
    document = facts["documents"][facts["richest"]]
    html = client.get("/article/" + facts["richest"]).text
    marks = re.findall(r'<mark class="pz c-(\w+) (s[123])" tabindex="0" aria-describedby="(tip\d+)"', html)
    assert marks, "no persuasion highlight"
    assert {coarse for coarse, _, _ in marks} <= set(COARSE_CLASSES)
    # Each highlight points at its own tooltip.
    tips = [tip for _, _, tip in marks]
    assert len(set(tips)) == len(tips)
    assert all(f'id="{tip}"' in html for tip in tips)
    # Paragraph breaks and overlapping spans never lose or repeat a character of the text.
    visible = re.sub(r"\s+", " ", _visible_body(html)).strip()
    assert visible == re.sub(r"\s+", " ", document["text"]).strip()


def test_tooltips_hold_the_technique_its_definition_and_score(
    client: TestClient, facts: dict[str, Any]
) -> None:
    document = facts["documents"][facts["richest"]]
    html = client.get("/article/" + facts["richest"]).text
    technique = document["persuasion"][0]["technique"]
    info = technique_definitions()[technique]
    assert info.definition_ar in html and info.name_ar in html
    english = client.get("/article/" + facts["richest"] + "?lang=en").text
    assert info.definition_en in english and info.name_en in english
    assert re.search(r'<span class="tip-score">score <bdi dir="ltr" class="num">0\.\d\d</bdi>', english)


def test_legend_names_the_six_coarse_classes(client: TestClient, facts: dict[str, Any]) -> None:
    html = client.get("/article/" + facts["richest"] + "?lang=en").text
    for _, english in COARSE_CLASSES.values():
        assert english in html


def test_entities_link_to_actor_pages_that_exist(client: TestClient, facts: dict[str, Any]) -> None:
    html = client.get("/article/" + facts["richest"]).text
    actors = set(re.findall(r'<a class="ent ent-\w+" href="/actor/([^"?]+)"', html))
    assert actors
    for actor in actors:
        assert client.get("/actor/" + actor).status_code == 200


def test_attributions_claims_and_tone_are_listed(client: TestClient, facts: dict[str, Any]) -> None:
    documents = facts["documents"]
    with_vague = next(
        key
        for key, document in documents.items()
        if any((item.get("source") or {}).get("vague") for item in document["attributions"])
    )
    html = client.get("/article/" + with_vague + "?lang=en").text
    assert "Who says what" in html and 'class="badge vague"' in html
    with_claims = next(key for key, document in documents.items() if document["claims"])
    html = client.get("/article/" + with_claims + "?lang=en").text
    assert "Check-worthiness" in html
    worth = documents[with_claims]["claims"][0]["checkworthiness"]
    assert f'<bdi dir="ltr" class="num">{worth:.2f}</bdi>' in html
    assert "Tone toward each actor" in html


def test_dates_and_numbers_are_isolated_left_to_right(client: TestClient, facts: dict[str, Any]) -> None:
    document = facts["documents"][facts["richest"]]
    html = client.get("/article/" + facts["richest"]).text
    assert f'<time dir="ltr" datetime="{document["meta"]["published"]}">' in html
    assert re.search(r'<bdi dir="ltr" class="num">0\.\d\d</bdi>', html)


def test_copies_of_a_story_are_drawn_on_a_timeline(client: TestClient, facts: dict[str, Any]) -> None:
    html = client.get("/article/" + facts["clustered"]).text
    timeline = html.split("<h2>نسخ هذه القصة</h2>", 1)[1]
    assert '<svg class="chart chart-wide"' in timeline
    assert timeline.count("<circle") >= 2
    assert '<tr class="current">' in timeline


def test_unknown_article_is_a_404_page_in_the_readers_language(client: TestClient) -> None:
    response = client.get("/article/no-such-id?lang=en")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert parse(response.text).html_attrs() == {"lang": "en", "dir": "ltr"}
    assert "No article with this id" in response.text


@pytest.mark.parametrize("url", ["/actor/nobody", "/outlet/" + quote("لا أحد"), "/no/such/page"])
def test_unknown_pages_are_404_pages(client: TestClient, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert parse(response.text).html_attrs()["dir"] == "rtl"


# -- search ------------------------------------------------------------------------------------


def test_search_highlights_matches_and_offers_facets(client: TestClient, facts: dict[str, Any]) -> None:
    html = client.get("/search?q=" + quote("روسيا")).text
    hits = re.findall(r'<li class="card hit">', html)
    assert hits
    assert "<mark>" in html.split('<ol class="hits">', 1)[1]
    for name in ("outlet", "actor", "technique", "since", "until"):
        assert f'name="{name}"' in html
    # Counts per outlet in these results (a small result set), each a link narrowing the search.
    assert 'class="facet-counts"' in html
    assert "/search?q=" + quote("روسيا") + "&amp;outlet=" in html


def test_search_filters_by_outlet(client: TestClient, facts: dict[str, Any]) -> None:
    outlet = facts["outlet"]
    html = client.get("/search", params={"outlet": outlet}).text
    expected = sum(1 for document in facts["documents"].values() if document["meta"]["outlet"] == outlet)
    assert len(re.findall(r'<li class="card hit">', html)) == expected
    assert f'<option value="{outlet}" selected>' in html


def test_a_malformed_query_is_explained_not_a_crash(client: TestClient) -> None:
    response = client.get("/search", params={"q": '"روسيا'})
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("text/html")
    assert "quote is not closed" in response.text


def test_a_bad_date_is_explained(client: TestClient) -> None:
    response = client.get("/search", params={"since": "yesterday", "lang": "en"})
    assert response.status_code == 400
    assert "ISO 8601" in response.text


def test_a_silly_page_number_is_clamped(client: TestClient) -> None:
    assert client.get("/search?page=abc").status_code == 200
    assert client.get("/search?page=-4").status_code == 200


# -- outlets and actors --------------------------------------------------------------------------


def test_outlet_page_has_its_charts(client: TestClient, facts: dict[str, Any]) -> None:
    html = client.get("/outlet/" + quote(facts["outlet"], safe="") + "?lang=en").text
    assert "Technique rates" in html and "Copy network" in html and "Volume over time" in html
    assert "<svg" in html


def test_actor_page_has_mentions_and_tone_over_time(client: TestClient) -> None:
    html = client.get("/actor/USA?lang=en").text
    assert "United States" in html
    assert "Mentions over time" in html and "Tone over time" in html
    assert html.count('<svg class="chart chart-wide"') == 2


# -- untrusted text -------------------------------------------------------------------------------


def test_hostile_articles_are_escaped_on_every_page(hostile_client: TestClient) -> None:
    with_script = "/article/" + _id_of(hostile_client, "evil1")
    urls = [
        "/",
        "/search",
        "/search?q=" + quote("خبيث"),
        with_script,
        "/article/" + _id_of(hostile_client, "evil2"),
        "/outlet/"
        + quote("<img src=x onerror=\"window.__pwned=1;document.title='PWNED'\">منفذ خبيث", safe=""),
        "/outlet/" + quote("javascript:window.__pwned=1;document.title='PWNED'", safe=""),
    ]
    for url in urls:
        response = hostile_client.get(url)
        assert response.status_code == 200, url
        assert_inert(response.text)
    html = hostile_client.get(with_script).text
    # The payloads are shown as text, escaped.
    assert "&lt;script&gt;window.__pwned=1" in html
    # A javascript: source URL is shown as text, never as a link.
    assert 'href="javascript' not in html.lower()


def test_the_template_syntax_in_an_article_is_shown_as_text(hostile_client: TestClient) -> None:
    html = hostile_client.get("/article/" + _id_of(hostile_client, "evil2")).text
    assert "{{ 7*7 }}" in html and "49" not in html.split('<div class="body"', 1)[1].split("</div>", 1)[0]


def _id_of(client: TestClient, source_id: str) -> str:
    app: Any = client.app
    store = app.state.stores.get()
    for article_id in store.ids():
        article = store.get(article_id)
        if article is not None and article.meta.extra.get("source_id") == source_id:
            return article_id
    raise AssertionError(f"no article {source_id}")
