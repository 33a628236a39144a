"""POST /api/analyze: a posted text or HTML page comes back as an analysed article."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from marsad.schema import validate

TEXT = "قال وزير المالية إن الحكومة أنفقت 3 مليارات دولار على الطرق، بحسب مصادر مطلعة."
PAGE = (
    "<html><head><title>إنفاق جديد</title><meta property='og:site_name' content='صحيفة الأفق'></head>"
    "<body><nav>الرئيسية | سياسة | اقتصاد</nav><article><h1>إنفاق جديد</h1>"
    f"<p>{TEXT}</p><p>وأضاف الوزير أن المشاريع ستكتمل خلال عامين.</p></article>"
    "<footer>جميع الحقوق محفوظة</footer></body></html>"
)


def test_a_posted_text_is_analysed_with_its_metadata(client: TestClient) -> None:
    response = client.post(
        "/api/analyze",
        json={"text": TEXT, "title": "إنفاق جديد", "outlet": "صحيفة الأفق", "published": "2026-03-01"},
    )
    assert response.status_code == 200
    data = response.json()
    validate(data)
    assert data["text"] == TEXT
    assert data["meta"]["outlet"] == "صحيفة الأفق" and data["meta"]["published"] == "2026-03-01"
    money = [claim for claim in data["claims"] if claim["kind"] == "money"]
    assert money and money[0]["value"] == 3_000_000_000 and money[0]["unit"] == "USD"


def test_a_posted_html_page_is_reduced_to_its_article(client: TestClient) -> None:
    data = client.post("/api/analyze", json={"html": PAGE, "url": "https://example.org/a"}).json()
    validate(data)
    assert TEXT in data["text"]
    assert "الرئيسية" not in data["text"] and "جميع الحقوق" not in data["text"]
    assert data["meta"]["url"] == "https://example.org/a"


def test_a_url_alone_is_refused_because_the_server_never_fetches(client: TestClient) -> None:
    response = client.post("/api/analyze", json={"url": "https://example.org/news/1"})
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "E603" and "never fetches" in error["message"]


@pytest.mark.parametrize(
    "body",
    [{}, {"text": TEXT, "html": PAGE}, {"text": TEXT, "colour": "blue"}, {"text": 12}, {"html": "<p></p>"}],
    ids=["nothing", "both", "unknown-field", "not-a-string", "empty-page"],
)
def test_malformed_bodies_are_refused_with_a_4xx(client: TestClient, body: dict[str, object]) -> None:
    response = client.post("/api/analyze", json=body)
    assert 400 <= response.status_code < 500
    assert response.json()["error"]["code"] in {"E603", "E102", "E107"}


def test_analysing_does_not_store_by_default(client: TestClient) -> None:
    before = client.get("/api/health").json()["articles"]
    posted = client.post("/api/analyze", json={"text": TEXT}).json()
    assert client.get("/api/health").json()["articles"] == before
    assert client.get(f"/api/articles/{posted['id']}").status_code == 404


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded"])
def test_a_body_a_cross_site_form_could_send_is_refused(client: TestClient, content_type: str) -> None:
    # Browsers send these types from any page without asking; only JSON may reach the pipeline.
    body = '{"text": "' + TEXT + '", "store": true}'
    response = client.post("/api/analyze", content=body.encode(), headers={"content-type": content_type})
    assert response.status_code == 422 and response.json()["error"]["code"] == "E603"
