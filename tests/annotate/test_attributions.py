"""Attributions: cues, classes, sources, vague flags, contents; and the evaluation set's floors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from marsad.annotate.attributions import AttributionStep
from marsad.document import Actor, Article, Span
from marsad.pipeline.base import Pipeline
from marsad.pipeline.steps import TextStep
from marsad.schema import validate

EVAL_FILE = Path(__file__).resolve().parents[1] / "data" / "attribution_claims_eval.jsonl"


def analyse(text: str, *, entities: list[Span] | None = None) -> Article:
    article = Article(text=text)
    TextStep()(article)
    if entities is not None:
        article.set_layer("entities", entities)
    AttributionStep()(article)
    return article


def surfaces(article: Article) -> list[dict[str, Any]]:
    text = article.text
    found = []
    for span in article.layer("attributions"):
        cue, source, content = span.get("cue"), span.get("source"), span.get("content")
        found.append(
            {
                "kind": span.label,
                "cue": text[cue["start"] : cue["end"]],
                "class": cue["class"],
                "source": None if source is None else text[source["start"] : source["end"]],
                "vague": None if source is None else source["vague"],
                "content": text[content["start"] : content["end"]],
            }
        )
    return found


@pytest.mark.parametrize(
    ("text", "cue", "cls", "source"),
    [
        ("قال الوزير إن الوضع مستقر.", "قال", "neutral", "الوزير"),
        ("وقالت الوزيرة إن الوضع مستقر.", "قالت", "neutral", "الوزيرة"),
        ("يقول السكان إن المياه مقطوعة.", "يقول", "neutral", "السكان"),
        ("وتقول الحكومة إن الخطة ناجحة.", "تقول", "neutral", "الحكومة"),
        ("أكد الرئيس أن الانتخابات في موعدها.", "أكد", "assertive", "الرئيس"),
        ("وأكدت الشركة أن الأرباح ارتفعت.", "أكدت", "assertive", "الشركة"),
        ("ويؤكد المدرب أن الفريق جاهز.", "يؤكد", "assertive", "المدرب"),
        ("وأوضح المدير أن العمل مستمر.", "أوضح", "neutral", "المدير"),
        ("وأشار التقرير إلى أن الفقر ازداد.", "أشار", "neutral", "التقرير"),
        ("وصرّح المتحدث بأن المعبر مغلق.", "صرّح", "neutral", "المتحدث"),
        ("وأعلنت الوزارة أن المدارس مغلقة.", "أعلنت", "neutral", "الوزارة"),
        ("ونفى الجيش أن تكون قواته انسحبت.", "نفى", "denial", "الجيش"),
        ("زعمت الجماعة أنها نفذت الهجوم.", "زعمت", "distancing", "الجماعة"),
        ("وادّعى المتهم أنه كان خارج البلاد.", "ادّعى", "distancing", "المتهم"),
        ("وحذّر الأطباء من أن المرض ينتشر.", "حذّر", "assertive", "الأطباء"),
        ("واعتبر النائب أن القرار خاطئ.", "اعتبر", "neutral", "النائب"),
        ("ورأى الكاتب أن الأزمة طويلة.", "رأى", "neutral", "الكاتب"),
        ("وشدّد الأمين العام على أن الحوار ضروري.", "شدّد", "assertive", "الأمين العام"),
        (
            "ولفت الخبير الاقتصادي سمير حداد إلى أن الدين ارتفع.",
            "لفت",
            "neutral",
            "الخبير الاقتصادي سمير حداد",
        ),
        ("وكشفت صحيفة الأفق أن العقد وقع سرا.", "كشفت", "assertive", "صحيفة الأفق"),
        ("الرئيس الجديد قال إن الإصلاح سيبدأ.", "قال", "neutral", "الرئيس الجديد"),
        ("وكان وزير الداخلية قد أعلن أن الحدود مغلقة.", "أعلن", "neutral", "وزير الداخلية"),
        ("قال رئيس البلدية للصحفيين إن الطريق سيفتح.", "قال", "neutral", "رئيس البلدية"),
        ("قالت الممثلة الخاصة للأمين العام إن الوضع صعب.", "قالت", "neutral", "الممثلة الخاصة للأمين العام"),
        ("وقال المتحدث، سامي خليل، إن الوفد وصل.", "قال", "neutral", "المتحدث، سامي خليل"),
        ("وقال الوزير، خلال مؤتمر صحفي، إن الوفد وصل.", "قال", "neutral", "الوزير"),
        ("قالت المنظمة يوم الأحد إن المساعدات وصلت.", "قالت", "neutral", "المنظمة"),
    ],
)
def test_reported_speech_cue_class_and_source(text: str, cue: str, cls: str, source: str) -> None:
    found = surfaces(analyse(text))
    assert len(found) == 1, found
    assert (found[0]["kind"], found[0]["cue"], found[0]["class"], found[0]["source"]) == (
        "reported",
        cue,
        cls,
        source,
    )


@pytest.mark.parametrize(
    ("text", "content"),
    [
        ("وقال الوزير: «لن نتراجع عن القرار».", "لن نتراجع عن القرار"),
        ("وقال الوزير: “لن نتراجع عن القرار”.", "لن نتراجع عن القرار"),
        ("وقال الوزير: „لن نتراجع عن القرار“.", "لن نتراجع عن القرار"),
        ('وقال الوزير: "لن نتراجع عن القرار".', "لن نتراجع عن القرار"),
        ("وقال الوزير: ‘لن نتراجع عن القرار’.", "لن نتراجع عن القرار"),
        ("وقال الوزير: 'لن نتراجع عن القرار'.", "لن نتراجع عن القرار"),
        ("«لن نتراجع عن القرار»، قال الوزير.", "لن نتراجع عن القرار"),
        ("وقال الوزير إن «الحكومة لن تتراجع».", "الحكومة لن تتراجع"),
    ],
)
def test_direct_quotes_in_every_style(text: str, content: str) -> None:
    found = surfaces(analyse(text))
    assert [(item["kind"], item["source"], item["content"]) for item in found] == [
        ("quote", "الوزير", content)
    ]


@pytest.mark.parametrize(
    ("text", "cue", "source", "vague"),
    [
        ("ارتفع عدد الضحايا إلى 20، وفقا لوزارة الصحة.", "وفقا", "وزارة الصحة", False),
        ("ووفقاً للمصادر، فإن الاجتماع تأجل.", "وفقاً", "لمصادر", True),
        ("وبحسب مراقبين، فإن الهدنة هشة.", "بحسب", "مراقبين", True),
        ("وحسب البيان، تأجلت القمة.", "حسب", "البيان", False),
        ("وتوقفت الرحلات، حسبما أفادت هيئة الطيران.", "حسبما", "هيئة الطيران", False),
        ("وذكرت الصحيفة، نقلاً عن مصادر دبلوماسية، أن الاتفاق قريب.", "نقلاً عن", "مصادر دبلوماسية", True),
        ("وجاء على لسان المتحدث أن الموقف ثابت.", "على لسان", "المتحدث", False),
    ],
)
def test_according_to(text: str, cue: str, source: str, vague: bool) -> None:
    found = [item for item in surfaces(analyse(text)) if item["kind"] == "according_to"]
    assert [(item["cue"], item["source"], item["vague"]) for item in found] == [(cue, source, vague)]


@pytest.mark.parametrize(
    ("text", "cue", "source"),
    [
        ("وانتقد زعيم المعارضة الخطة، قائلاً إنها فاشلة.", "قائلاً", "زعيم المعارضة"),
        ("ودعت الوزيرة إلى الهدوء، مؤكدةً أن الأمن مستتب.", "مؤكدةً", "الوزيرة"),
        ("وأعرب السفير عن قلقه، مضيفاً أن بلاده تتابع الوضع.", "مضيفاً", "السفير"),
        ("نُقل عن قائد الجيش قوله إن العملية انتهت.", "نُقل عن", "قائد الجيش"),
        ("وأُفيد بأن الطريق مغلق.", "أُفيد", None),
        ("وقيل إن الوزير استقال.", "قيل", None),
    ],
)
def test_participles_and_passives(text: str, cue: str, source: str | None) -> None:
    found = surfaces(analyse(text))
    assert [(item["cue"], item["source"]) for item in found] == [(cue, source)]


@pytest.mark.parametrize(
    ("text", "source", "vague"),
    [
        ("ذكرت مصادر مطلعة أن الاتفاق قريب.", "مصادر مطلعة", True),
        ("قالت مصادر في وزارة الخارجية إن السفير غادر.", "مصادر في وزارة الخارجية", True),
        ("ذكرت تقارير إخبارية أن الاتفاق قريب.", "تقارير إخبارية", True),
        ("يقول خبراء إن الأسعار سترتفع.", "خبراء", True),
        ("ويرى محللون أن الاتفاق هش.", "محللون", True),
        ("ويعتقد بعض المعلقين أن الحكومة ستسقط.", "بعض المعلقين", True),
        ("وقالت وسائل إعلام محلية إن الانفجار قوي.", "وسائل إعلام محلية", True),
        ("وأشارت أوساط سياسية إلى أن التعديل قريب.", "أوساط سياسية", True),
        ("وقال مسؤول أمريكي إن العقوبات جاهزة.", "مسؤول أمريكي", True),
        (
            "وقال الطبيب، الذي طلب عدم الكشف عن هويته، إن الجرحى كثر.",
            "الطبيب، الذي طلب عدم الكشف عن هويته",
            True,
        ),
        ("وقال الخبير الاقتصادي سمير حداد إن الأسعار سترتفع.", "الخبير الاقتصادي سمير حداد", False),
        ("ذكر تقرير لمنظمة العفو الدولية أن السجون مكتظة.", "تقرير لمنظمة العفو الدولية", False),
        ("وقالت وكالة رويترز إن السفينة وصلت.", "وكالة رويترز", False),
    ],
)
def test_vague_sources_are_flagged(text: str, source: str, vague: bool) -> None:
    found = surfaces(analyse(text))
    assert [(item["source"], item["vague"]) for item in found] == [(source, vague)]


def test_implied_source_points_at_the_earlier_mention_in_the_paragraph() -> None:
    text = "قال وزير المالية إن العجز انخفض. وأضاف أن الديون مستقرة.\n\nوأضاف أن الرواتب ستصرف."
    article = analyse(text)
    spans = article.layer("attributions")
    assert len(spans) == 3
    first, second, third = (span.get("source") for span in spans)
    assert text[first["start"] : first["end"]] == "وزير المالية"
    assert (second["start"], second["end"]) == (first["start"], first["end"])
    assert third is None  # a new paragraph: nothing to resolve to
    assert article.scores["vague_sourcing"] == pytest.approx(1 / 3)


@pytest.mark.parametrize(
    "second",
    ["لكنه أضاف أن الطريق طويل.", "ولكنها أضافت أن الطريق طويل.", "وهو ما أكده البيان."],
)
def test_a_pronoun_source_takes_the_earlier_source(second: str) -> None:
    text = "قال وزير الخارجية إن المحادثات كانت صريحة. " + second
    spans = analyse(text).layer("attributions")
    sources = [span.get("source") for span in spans]
    assert sources[0] is not None and text[sources[0]["start"] : sources[0]["end"]] == "وزير الخارجية"
    # Never the pronoun itself as a named source.
    for source in sources[1:]:
        assert source is None or (source["start"], source["end"]) == (sources[0]["start"], sources[0]["end"])


def test_source_takes_the_actor_of_an_overlapping_entity() -> None:
    text = "قال الرئيس الروسي فلاديمير بوتين إن بلاده مستعدة للحوار."
    start = text.index("فلاديمير")
    entity = Span(start, start + len("فلاديمير بوتين"), "PER", 0.9, {"actor": "vladimir-putin"})
    span = analyse(text, entities=[entity]).layer("attributions")[0]
    assert span.get("source")["actor"] == "vladimir-putin"
    assert span.get("source")["vague"] is False


@pytest.mark.parametrize(
    "text",
    [
        "أعلنت الوزارة عن إطلاق حملة جديدة.",
        "وأعرب الوزير عن أمله في التوصل إلى اتفاق.",
        "وصف الإعلام المعارضين بأنهم «خونة».",
        "وتعرف المنطقة باسم «المثلث الذهبي».",
        "«الحكومة تكذب على الشعب»، يقول أحد المتظاهرين.",
    ],
)
def test_no_attribution_where_none_is_made(text: str) -> None:
    kinds = [(item["cue"], item["kind"]) for item in surfaces(analyse(text))]
    assert all(cue != "تكذب" for cue, _ in kinds)
    if "يقول" not in text:
        assert kinds == []


def test_offsets_fit_the_text_and_the_schema() -> None:
    text = "عمّان - قال الوزير إن «المياه شحيحة». وأضاف أن 40% من الآبار جفت، بحسب دراسة حديثة."
    article = analyse(text)
    data = article.to_json()
    validate(data)
    for item in data["attributions"]:
        for part in ("cue", "content"):
            assert 0 <= item[part]["start"] < item[part]["end"] <= len(text)
        assert item["start"] <= item["cue"]["start"] and item["cue"]["end"] <= item["end"]


def test_vague_sourcing_is_zero_without_attributions() -> None:
    assert analyse("ارتفعت درجات الحرارة اليوم.").scores["vague_sourcing"] == 0.0


def test_step_declares_its_requirements() -> None:
    with pytest.raises(Exception, match="tokens"):
        Pipeline([AttributionStep()])
    assert Pipeline([TextStep(), AttributionStep()]).names == ["text", "attributions"]


def test_actor_objects_are_untouched() -> None:
    article = Article(text="قال الوزير إن الوضع مستقر.")
    article.actors.append(Actor("USA", "الولايات المتحدة", "United States", "state"))
    TextStep()(article)
    AttributionStep()(article)
    assert article.actors[0].tone == 0.0


# -- the evaluation set ---------------------------------------------------------------------


def _f1(true_positive: int, predicted: int, expected: int) -> tuple[float, float, float]:
    precision = true_positive / predicted if predicted else 0.0
    recall = true_positive / expected if expected else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def _content_matches(found: str, expected: str) -> bool:
    # Token overlap: a content may differ from the annotation by an adverbial at its edge.
    a, b = set(found.split()), set(expected.split())
    return bool(a | b) and len(a & b) / len(a | b) >= 0.8


def evaluate_attributions(split: str) -> dict[str, tuple[float, float, float]]:
    """Precision, recall and F1 per field on one split ("dev", "heldout" or "all")."""
    counts = {
        "cue": 0,
        "cue+class": 0,
        "cue+source": 0,
        "cue+source+vague": 0,
        "cue+content": 0,
        "cue+kind": 0,
    }
    predicted = expected = 0
    for line in EVAL_FILE.read_text(encoding="utf-8").splitlines():
        item = json.loads(line)
        if split != "all" and item["split"] != split:
            continue
        article = Article(text=item["text"])
        article.meta.published = item["published"]
        TextStep()(article)
        AttributionStep()(article)
        found = surfaces(article)
        predicted += len(found)
        expected += len(item["attributions"])
        used: set[int] = set()
        for gold in item["attributions"]:
            match = next((i for i, f in enumerate(found) if i not in used and f["cue"] == gold["cue"]), None)
            if match is None:
                continue
            used.add(match)
            guess = found[match]
            same_source = guess["source"] == gold["source"]
            counts["cue"] += 1
            counts["cue+class"] += guess["class"] == gold["class"]
            counts["cue+kind"] += guess["kind"] == gold["kind"]
            counts["cue+source"] += same_source
            counts["cue+source+vague"] += same_source and (
                gold["source"] is None or guess["vague"] == gold["vague"]
            )
            counts["cue+content"] += _content_matches(guess["content"], gold["content"])
    return {field: _f1(hits, predicted, expected) for field, hits in counts.items()}


def _table(title: str, scores: dict[str, tuple[float, float, float]]) -> str:
    rows = [f"{title}", "| field | P | R | F1 |", "|---|---|---|---|"]
    rows += [f"| {field} | {p:.3f} | {r:.3f} | {f:.3f} |" for field, (p, r, f) in scores.items()]
    return "\n".join(rows)


@pytest.mark.parametrize("split", ["dev", "heldout"])
def test_eval_attribution_floor(split: str) -> None:
    scores = evaluate_attributions(split)
    print("\n" + _table(f"attributions, {split}", scores))
    assert scores["cue+source"][2] >= 0.85
    assert scores["cue+class"][2] >= 0.85


def test_eval_set_is_large_original_and_split() -> None:
    items = [json.loads(line) for line in EVAL_FILE.read_text(encoding="utf-8").splitlines()]
    assert len(items) >= 200
    share = sum(item["split"] == "heldout" for item in items) / len(items)
    assert 0.25 <= share <= 0.35
    for item in items:
        for gold in item["attributions"]:
            assert gold["cue"] in item["text"]
            assert gold["source"] is None or gold["source"] in item["text"]
