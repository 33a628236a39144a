"""The JSON API as a client calls it: every endpoint, its pagination and filters."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from marsad.corpus.store import Store
from marsad.schema import validate


@pytest.fixture(scope="module")
def stored(corpus_db: Path) -> list[dict[str, Any]]:
    """What the example corpus holds, read straight from the store (the truth the API must tell)."""
    with Store.open(corpus_db) as store:
        return [store.get(article_id).to_json() for article_id in store.ids()]  # type: ignore[union-attr]


def _ids(page: dict[str, Any]) -> list[str]:
    return [item["id"] for item in page["items"]]


def test_health_reports_the_corpus_size(client: TestClient, stored: list[dict[str, Any]]) -> None:
    body = client.get("/api/health").json()
    assert body["status"] == "ok" and body["articles"] == len(stored)


def test_openapi_document_lists_every_route(client: TestClient) -> None:
    document = client.get("/api/openapi.json").json()
    paths = set(document["paths"])
    for path in (
        "/api/analyze",
        "/api/articles",
        "/api/articles/{article_id}",
        "/api/articles/{article_id}/copies",
        "/api/search",
        "/api/syndication",
        "/api/outlets",
        "/api/outlets/{outlet}",
        "/api/actors",
        "/api/actors/{actor}",
        "/api/actors/{actor}/timeline",
        "/api/timeline",
    ):
        assert path in paths


# -- articles -------------------------------------------------------------------------------------------


def test_articles_are_listed_newest_first_with_a_total(
    client: TestClient, stored: list[dict[str, Any]]
) -> None:
    page = client.get("/api/articles", params={"limit": 100}).json()
    assert page["total"] == len(stored) and page["limit"] == 100 and page["offset"] == 0
    dates = [item["published"] for item in page["items"] if item["published"]]
    assert dates == sorted(dates, reverse=True)
    assert set(_ids(page)) == {article["id"] for article in stored}


def test_pages_cover_the_listing_without_gaps_or_repeats(
    client: TestClient, stored: list[dict[str, Any]]
) -> None:
    whole = _ids(client.get("/api/articles", params={"limit": 100}).json())
    pages = [
        client.get("/api/articles", params={"limit": 7, "offset": offset}).json()
        for offset in range(0, 35, 7)
    ]
    assert [item for page in pages for item in _ids(page)] == whole
    assert all(page["total"] == len(stored) for page in pages)
    assert pages[-1]["items"] == [] or len(whole) > 28


@pytest.mark.parametrize("field", ["outlet", "actor", "technique"])
def test_articles_filter_by_outlet_actor_and_technique(
    client: TestClient, stored: list[dict[str, Any]], field: str
) -> None:
    values: dict[str, set[str]] = {}
    for article in stored:
        found = {
            "outlet": {article["meta"]["outlet"]} if article["meta"]["outlet"] else set(),
            "actor": {actor["id"] for actor in article["actors"]},
            "technique": {span["technique"] for span in article["persuasion"]},
        }[field]
        for value in found:
            values.setdefault(value, set()).add(article["id"])
    # The value held by most articles but not all: the filter must keep exactly those.
    value, expected = max(
        ((key, ids) for key, ids in values.items() if len(ids) < len(stored)), key=lambda item: len(item[1])
    )
    page = client.get("/api/articles", params={field: value, "limit": 100}).json()
    assert set(_ids(page)) <= expected
    if field != "technique":  # paragraph-level techniques also count, so the span set is a lower bound
        assert set(_ids(page)) == expected
    assert page["total"] == len(page["items"])


def test_articles_filter_by_dates_inclusive(client: TestClient, stored: list[dict[str, Any]]) -> None:
    dated = sorted(article["meta"]["published"] for article in stored if article["meta"]["published"])
    day = dated[len(dated) // 2][:10]
    page = client.get("/api/articles", params={"since": day, "until": day, "limit": 100}).json()
    expected = {a["id"] for a in stored if (a["meta"]["published"] or "").startswith(day)}
    assert set(_ids(page)) == expected and expected
    month = day[:7]
    until_month = client.get("/api/articles", params={"until": month, "limit": 100}).json()
    assert {item["published"][:7] for item in until_month["items"]} <= {
        p[:7] for p in dated if p[:7] <= month
    }
    assert until_month["total"] == sum(1 for p in dated if p[:7] <= month)


def test_articles_filter_by_min_propaganda(client: TestClient, stored: list[dict[str, Any]]) -> None:
    threshold = sorted(article["scores"]["propaganda"] for article in stored)[len(stored) // 2]
    page = client.get("/api/articles", params={"min-propaganda": threshold, "limit": 100}).json()
    assert page["items"] and all(item["propaganda"] >= threshold for item in page["items"])
    assert page["total"] == sum(1 for a in stored if a["scores"]["propaganda"] >= threshold)


def test_one_article_is_returned_in_the_article_contract(
    client: TestClient, stored: list[dict[str, Any]]
) -> None:
    for article in stored[:5]:
        response = client.get(f"/api/articles/{article['id']}")
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("application/json")
        data = response.json()
        validate(data)
        assert data == article


def test_an_unknown_article_is_a_404(client: TestClient) -> None:
    response = client.get("/api/articles/no-such-id")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "E601"
    assert client.get("/api/articles/no-such-id/copies").status_code == 404


# -- search ---------------------------------------------------------------------------------------------


def test_search_ranks_and_highlights_matches(client: TestClient) -> None:
    body = client.get("/api/search", params={"q": "روسيا", "limit": 3}).json()
    assert body["total"] >= len(body["hits"]) > 0 and body["limit"] == 3
    opening, closing = body["markers"]
    for hit in body["hits"]:
        assert opening in hit["snippet"] and closing in hit["snippet"]
        assert hit["highlights"]
    second = client.get("/api/search", params={"q": "روسيا", "limit": 3, "offset": 3}).json()
    assert not {hit["id"] for hit in body["hits"]} & {hit["id"] for hit in second["hits"]}


def test_search_takes_the_same_filters_as_the_cli(client: TestClient, stored: list[dict[str, Any]]) -> None:
    outlet = stored[0]["meta"]["outlet"]
    body = client.get("/api/search", params={"q": "", "outlet": outlet, "limit": 100}).json()
    assert body["total"] == sum(1 for a in stored if a["meta"]["outlet"] == outlet)
    assert {hit["outlet"] for hit in body["hits"]} == {outlet}


def test_a_malformed_search_query_is_a_400_with_the_envelope(client: TestClient) -> None:
    response = client.get("/api/search", params={"q": '"روسيا'})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "E301"


# -- copies and syndication -----------------------------------------------------------------------------


def test_copies_of_an_article_name_its_cluster(client: TestClient) -> None:
    network = client.get("/api/syndication", params={"limit": 100}).json()
    assert network["network"] and network["clusters"]["total"] >= 1
    cluster = network["clusters"]["items"][0]
    copy_id = cluster["copies"][0]["id"]
    body = client.get(f"/api/articles/{copy_id}/copies").json()
    assert body["article"] == copy_id
    assert body["cluster"]["first"]["id"] == cluster["first"]["id"]
    assert body["cluster"]["is_first"] is False
    edge = network["network"][0]
    assert {"source", "target", "copies", "reuses", "median_delay_hours"} <= set(edge)


def test_syndication_pages_its_clusters(client: TestClient) -> None:
    whole = client.get("/api/syndication", params={"limit": 100}).json()["clusters"]
    first = client.get("/api/syndication", params={"limit": 1, "offset": 0}).json()["clusters"]
    assert first["total"] == whole["total"] and first["items"] == whole["items"][:1]


# -- outlets and actors ---------------------------------------------------------------------------------


def test_outlets_are_listed_and_profiled(client: TestClient, stored: list[dict[str, Any]]) -> None:
    listing = client.get("/api/outlets", params={"limit": 100}).json()
    counts = {item["outlet"]: item["articles"] for item in listing["items"]}
    for article in stored:
        assert article["meta"]["outlet"] in counts
    assert sum(counts.values()) == sum(1 for a in stored if a["meta"]["outlet"])
    outlet = listing["items"][0]["outlet"]
    profile = client.get(f"/api/outlets/{outlet}").json()
    assert profile["outlet"] == outlet and profile["articles"] == counts[outlet]


def test_an_unknown_outlet_is_a_404_that_suggests_names(
    client: TestClient, stored: list[dict[str, Any]]
) -> None:
    outlet = stored[0]["meta"]["outlet"]
    response = client.get(f"/api/outlets/{outlet[:-1]}x")
    assert response.status_code == 404
    assert outlet in response.json()["error"]["message"]


def test_actors_are_listed_and_profiled(client: TestClient, stored: list[dict[str, Any]]) -> None:
    listing = client.get("/api/actors", params={"limit": 100}).json()
    top = listing["items"][0]
    naming = [a for a in stored if any(actor["id"] == top["id"] for actor in a["actors"])]
    assert top["articles"] == len(naming)
    profile = client.get(f"/api/actors/{top['id']}").json()
    assert profile["actor"] == top["id"] and profile["articles"] == len(naming)
    missing = client.get("/api/actors/no-such-actor")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "E601"


# -- timelines ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("bucket", ["day", "week", "month"])
def test_volume_timeline_counts_every_dated_article(
    client: TestClient, stored: list[dict[str, Any]], bucket: str
) -> None:
    body = client.get("/api/timeline", params={"bucket": bucket}).json()
    assert body["bucket"] == bucket and body["articles"] == len(stored)
    periods = [point["period"] for point in body["points"] if point["period"] != "undated"]
    assert periods == sorted(periods) and len(set(periods)) == len(periods)
    published = next(a["meta"]["published"] for a in stored if a["meta"]["published"])
    day = date.fromisoformat(published[:10])
    expected = {
        "day": day.isoformat(),
        "week": f"{day.isocalendar()[0]}-W{day.isocalendar()[1]:02d}",
        "month": published[:7],
    }[bucket]
    assert expected in periods


def test_volume_timeline_per_outlet_and_for_one_actor(
    client: TestClient, stored: list[dict[str, Any]]
) -> None:
    body = client.get("/api/timeline", params={"bucket": "month", "by": "outlet"}).json()
    per_outlet = {series["outlet"]: series["articles"] for series in body["series"]}
    assert sum(per_outlet.values()) == len(stored)
    outlet = stored[0]["meta"]["outlet"]
    assert per_outlet[outlet] == sum(1 for a in stored if a["meta"]["outlet"] == outlet)
    one = client.get("/api/timeline", params={"bucket": "month", "outlet": outlet}).json()
    assert one["articles"] == per_outlet[outlet]
    naming = sum(1 for a in stored if any(actor["id"] == "RUS" for actor in a["actors"]))
    assert client.get("/api/timeline", params={"actor": "RUS"}).json()["articles"] == naming


def test_actor_timeline_gives_mentions_and_tone(client: TestClient, stored: list[dict[str, Any]]) -> None:
    body = client.get("/api/actors/RUS/timeline", params={"bucket": "month"}).json()
    mentions = sum(actor["mentions"] for a in stored for actor in a["actors"] if actor["id"] == "RUS")
    assert sum(point["mentions"] for point in body["points"]) == mentions
    assert all(-1 <= point["tone"] <= 1 for point in body["points"])


def test_a_bad_bucket_or_date_is_refused(client: TestClient) -> None:
    assert client.get("/api/timeline", params={"bucket": "decade"}).status_code == 422
    response = client.get("/api/articles", params={"since": "yesterday"})
    assert response.status_code == 400 and response.json()["error"]["code"] == "E301"


def test_every_route_and_parameter_is_documented(client: TestClient) -> None:
    docs = (Path(__file__).resolve().parents[2] / "docs" / "api.md").read_text(encoding="utf-8")
    document = client.get("/api/openapi.json").json()
    for path, operations in document["paths"].items():
        if not path.startswith("/api/"):
            continue
        documented = path.replace("{article_id}", "{id}")
        for method, operation in operations.items():
            assert f"`{method.upper()} {documented}" in docs, (
                f"{method.upper()} {path} missing from docs/api.md"
            )
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "query":
                    assert f"`{parameter['name']}`" in docs, f"{parameter['name']} of {path} is undocumented"
