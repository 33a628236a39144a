"""One error envelope for every error, the limits, the token and the security headers."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from marsad.errors import CATALOGUE, MarsadError
from marsad.server.app import CONTENT_SECURITY_POLICY, MAX_BODY_BYTES, create_app

ENVELOPE_KEYS = {"code", "message", "hint", "status", "detail"}


def _envelope(response: Any, status: int, code: str) -> dict[str, Any]:
    """Check the exact shape of an error response and return its inner object."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    error = body["error"]
    assert set(error) == ENVELOPE_KEYS
    assert error["code"] == code and error["status"] == status
    assert isinstance(error["message"], str) and error["message"]
    assert error["hint"] == CATALOGUE[code][1]
    return dict(error)


@pytest.fixture()
def fragile(corpus_db: Path) -> Iterator[TestClient]:
    """A client of an app with one extra route that fails the way a bug would."""
    app = create_app(db=corpus_db)

    def broken() -> None:
        raise RuntimeError("a bug, with a secret path /etc/marsad in its message")

    app.add_api_route("/api/broken", broken)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def test_every_kind_of_error_has_the_same_envelope(client: TestClient, fragile: TestClient) -> None:
    _envelope(client.get("/api/no-such-route"), 404, "E601")
    _envelope(client.get("/api/articles/no-such-id"), 404, "E601")
    not_allowed = _envelope(client.delete("/api/articles"), 405, "E602")
    assert "DELETE" in not_allowed["message"]
    invalid = _envelope(client.get("/api/articles", params={"limit": "many"}), 422, "E603")
    assert invalid["detail"][0]["loc"] == ["query", "limit"]
    _envelope(client.get("/api/search", params={"q": "(روسيا"}), 400, "E301")
    _envelope(client.post("/api/analyze", json={"text": "   "}), 422, "E102")
    crashed = _envelope(fragile.get("/api/broken"), 500, "E607")
    assert "/etc/marsad" not in crashed["message"] and crashed["detail"] is None


def test_a_405_says_which_methods_are_allowed(client: TestClient) -> None:
    response = client.put("/api/articles")
    assert response.status_code == 405 and "GET" in response.headers["allow"]


@pytest.mark.parametrize("limit", [0, 101, 1000])
def test_page_size_is_limited(client: TestClient, limit: int) -> None:
    for path in ("/api/articles", "/api/search", "/api/outlets", "/api/actors", "/api/syndication"):
        error = _envelope(client.get(path, params={"limit": limit}), 422, "E603")
        assert error["detail"][0]["loc"] == ["query", "limit"]


def test_a_negative_offset_is_refused(client: TestClient) -> None:
    _envelope(client.get("/api/articles", params={"offset": -1}), 422, "E603")


def test_a_body_over_the_limit_is_a_413(client: TestClient) -> None:
    big = b'{"text": "' + "ن".encode() * (MAX_BODY_BYTES // 2 + 10) + b'"}'
    _envelope(
        client.post("/api/analyze", content=big, headers={"content-type": "application/json"}), 413, "E604"
    )


def test_a_streamed_body_over_the_limit_is_a_413(client: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        # No Content-Length: the limit must hold while the body arrives.
        yield b'{"text": "'
        for _ in range(MAX_BODY_BYTES // 65536 + 2):
            yield b"a" * 65536
        yield b'"}'

    response = client.post("/api/analyze", content=chunks(), headers={"content-type": "application/json"})
    _envelope(response, 413, "E604")


def test_security_headers_are_on_every_response(client: TestClient, fragile: TestClient) -> None:
    responses = [
        client.get("/api/health"),
        client.get("/api/openapi.json"),
        client.get("/api/no-such-route"),
        client.get("/"),
        client.post("/api/analyze", content=b"x" * (MAX_BODY_BYTES + 1)),
        fragile.get("/api/broken"),
    ]
    for response in responses:
        assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "no-referrer"
    assert "unsafe-inline" not in CONTENT_SECURITY_POLICY
    assert "script-src 'self'" in CONTENT_SECURITY_POLICY


def test_the_server_refuses_to_start_without_a_corpus(tmp_path: Path) -> None:
    with pytest.raises(MarsadError) as caught:
        create_app(db=tmp_path / "missing.db")
    assert caught.value.code == "E101"
    assert not (tmp_path / "missing.db").exists()


# -- the token ------------------------------------------------------------------------------------------


@pytest.fixture()
def guarded(corpus_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    """A server started with MARSAD_API_TOKEN set, over a copy of the corpus (analyse may store)."""
    copy = tmp_path / "copy.db"
    with sqlite3.connect(corpus_db) as source, sqlite3.connect(copy) as target:
        source.backup(target)
    monkeypatch.setenv("MARSAD_API_TOKEN", "s3cret-token")
    with TestClient(create_app(db=copy)) as client:
        yield client


TEXT = "قال وزير الخارجية الروسي إن موسكو سترد على العقوبات الجديدة."


def test_the_cached_views_are_warmed_at_start_up_and_answer_the_same(
    corpus_db: Path, client: TestClient
) -> None:
    with TestClient(create_app(db=corpus_db, warm=True)) as warmed:
        deadline = time.monotonic() + 60
        while warmed.get("/api/health").json()["warming"]:
            assert time.monotonic() < deadline, "the warm-up did not finish within 60 s"
            time.sleep(0.1)
        for path in ("/api/syndication", "/api/outlets", "/api/actors", "/api/timeline"):
            assert warmed.get(path).json() == client.get(path).json()
    assert client.get("/api/health").json()["warming"] is False


def test_writing_needs_the_token_when_one_is_set(guarded: TestClient) -> None:
    missing = guarded.post("/api/analyze", json={"text": TEXT})
    _envelope(missing, 401, "E605")
    assert missing.headers["www-authenticate"] == "Bearer"
    wrong = guarded.post("/api/analyze", json={"text": TEXT}, headers={"Authorization": "Bearer guess"})
    _envelope(wrong, 403, "E606")
    basic = guarded.post("/api/analyze", json={"text": TEXT}, headers={"Authorization": "Basic czNjcmV0"})
    _envelope(basic, 401, "E605")
    right = guarded.post(
        "/api/analyze", json={"text": TEXT}, headers={"Authorization": "Bearer s3cret-token"}
    )
    assert right.status_code == 200 and right.json()["text"] == TEXT


def test_reading_stays_open_with_a_token(guarded: TestClient) -> None:
    assert guarded.get("/api/health").status_code == 200
    assert guarded.get("/api/articles").status_code == 200
    assert guarded.get("/api/search", params={"q": "روسيا"}).status_code == 200


def test_an_analysed_article_can_be_stored(guarded: TestClient) -> None:
    token = {"Authorization": "Bearer s3cret-token"}
    before = guarded.get("/api/health").json()["articles"]
    posted = guarded.post(
        "/api/analyze", json={"text": TEXT, "outlet": "صحيفة الاختبار", "store": True}, headers=token
    ).json()
    assert guarded.get("/api/health").json()["articles"] == before + 1
    assert guarded.get(f"/api/articles/{posted['id']}").json() == posted
    # The cached views follow the corpus: the new outlet and article show at once.
    listing = guarded.get("/api/articles", params={"outlet": "صحيفة الاختبار"}).json()
    assert [item["id"] for item in listing["items"]] == [posted["id"]] and listing["total"] == 1
    outlets = guarded.get("/api/outlets", params={"limit": 100}).json()["items"]
    assert {"outlet": "صحيفة الاختبار", "articles": 1}.items() <= next(
        item for item in outlets if item["outlet"] == "صحيفة الاختبار"
    ).items()


def test_deep_search_pages_are_refused(client: TestClient) -> None:
    error = _envelope(client.get("/api/search", params={"q": "روسيا", "offset": 1001}), 422, "E603")
    assert error["detail"][0]["loc"] == ["query", "offset"]
    assert client.get("/api/search", params={"q": "روسيا", "offset": 1000}).status_code == 200
