"""The Python API as a library user calls it."""

from __future__ import annotations

import json

import pytest

import marsad
from marsad.document import Article
from marsad.errors import MarsadError
from marsad.schema import validate


def test_analyze_returns_a_valid_article_with_meta() -> None:
    article = marsad.analyze(
        "قال وزير المالية إن الحكومة أنفقت 3 مليارات دولار على الطرق.",
        title="إنفاق جديد",
        outlet="صحيفة الأفق",
        published="2026-03-01",
    )
    data = article.to_json()
    validate(data)
    assert data["meta"]["outlet"] == "صحيفة الأفق"
    assert data["steps"][0] == "text"
    money = [claim for claim in data["claims"] if claim["kind"] == "money"]
    assert money and money[0]["value"] == 3_000_000_000 and money[0]["unit"] == "USD"
    assert Article.loads(json.dumps(data, ensure_ascii=False)).to_json() == data


def test_analyze_many_streams_in_order_with_workers() -> None:
    texts = [f"قال المتحدث باسم الوزارة إن الاجتماع رقم {index} انتهى." for index in range(12)]
    serial = [article.to_json() for article in marsad.analyze_many(texts)]
    parallel = [article.to_json() for article in marsad.analyze_many(iter(texts), jobs=2)]
    assert serial == parallel
    assert [item["text"] for item in serial] == texts


def test_analyze_many_raises_the_coded_error_of_a_failing_article() -> None:
    with pytest.raises(MarsadError) as caught:
        list(marsad.analyze_many([Article(text="نص قصير"), "   "]))
    assert caught.value.code == "E102"
    with pytest.raises(MarsadError, match="empty"):
        marsad.analyze("")
