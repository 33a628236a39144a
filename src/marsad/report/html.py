"""A standalone HTML page for one article: right-to-left, no script, every value escaped."""

from __future__ import annotations

import itertools
from html import escape
from typing import Any

from marsad.document import Article, Span
from marsad.report.common import excerpt, technique_definitions, vague_sources

# Layers drawn over the text, in drawing order (later ones nest inside earlier ones).
HIGHLIGHT_LAYERS = ("persuasion", "attributions", "entities", "claims")

STYLE = """
body{font-family:"Noto Naskh Arabic","Amiri","Segoe UI",Tahoma,sans-serif;max-width:60rem;margin:2rem auto;
padding:0 1rem;line-height:1.9;color:#1d1d1f;background:#fbfbf8}
header{border-bottom:2px solid #ddd;margin-bottom:1rem}h1{font-size:1.6rem;margin:.2rem 0}
.meta{color:#555;font-size:.9rem}.meta bdi{unicode-bidi:isolate}
.scores span{display:inline-block;margin-inline-end:1.5rem}
article p{margin:0 0 1rem}
mark{background:none;border-bottom:2px solid transparent;padding:0 1px}
mark.entities{background:#e8f0fe}mark.claims{border-bottom-color:#1a7f37}
mark.attributions{background:#fff4ce}mark.persuasion{background:#fde2e1}
mark.persuasion.entities{background:#f6d5f1}
section{margin-top:1.5rem}table{border-collapse:collapse;width:100%;font-size:.95rem}
th,td{border-bottom:1px solid #e3e3e3;padding:.3rem .5rem;text-align:start;vertical-align:top}
.ltr{direction:ltr;unicode-bidi:isolate}.vague{color:#b42318;font-weight:bold}
.legend mark{margin-inline-end:1rem}footer{margin-top:2rem;color:#777;font-size:.8rem}
"""


def render_html(article: Article) -> str:
    """Return one self-contained page that a person can open or share."""
    meta = article.meta
    language = "ar" if meta.language == "ar" else "en"
    direction = "rtl" if language == "ar" else "ltr"
    title = meta.title or f"marsad · {article.id}"
    parts = [
        "<!doctype html>",
        f'<html lang="{language}" dir="{direction}">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">",
        f"<title>{escape(title)}</title>",
        f"<style>{STYLE}</style>",
        "</head>",
        "<body>",
        "<header>",
        f"<h1>{escape(title)}</h1>",
        _meta_line(article),
        _scores_line(article),
        "</header>",
        _legend(),
        f"<article>{_highlighted_text(article)}</article>",
        _actors_section(article),
        _attributions_section(article),
        _claims_section(article),
        _checkworthy_section(article),
        _persuasion_section(article),
        f'<footer>marsad · <span class="ltr">{escape(article.id)}</span> · steps: '
        f"{escape(', '.join(article.steps) or 'none')}</footer>",
        "</body>",
        "</html>",
    ]
    return "\n".join(part for part in parts if part)


def _meta_line(article: Article) -> str:
    meta = article.meta
    items = []
    if meta.outlet:
        items.append(f"<bdi>{escape(meta.outlet)}</bdi>")
    if meta.author:
        items.append(f"<bdi>{escape(meta.author)}</bdi>")
    if meta.published:
        items.append(f'<time class="ltr" datetime="{escape(meta.published)}">{escape(meta.published)}</time>')
    if meta.url:
        items.append(f'<span class="ltr">{escape(meta.url)}</span>')
    return f'<p class="meta">{" · ".join(items)}</p>' if items else ""


def _scores_line(article: Article) -> str:
    propaganda = article.scores.get("propaganda", 0.0)
    vague = article.scores.get("vague_sourcing", 0.0)
    return (
        '<p class="scores">'
        f'<span>درجة الدعاية / propaganda: <b class="ltr">{propaganda:.2f}</b></span>'
        f'<span>المصادر المبهمة / vague sourcing: <b class="ltr">{vague:.2f}</b></span>'
        "</p>"
    )


def _legend() -> str:
    return (
        '<p class="legend">'
        '<mark class="entities">كيان / entity</mark>'
        '<mark class="claims">ادعاء رقمي / claim</mark>'
        '<mark class="attributions">إسناد / attribution</mark>'
        '<mark class="persuasion">أسلوب إقناع / persuasion</mark>'
        "</p>"
    )


def _span_title(layer: str, span: Span) -> str:
    if layer == "entities":
        actor = span.attrs.get("actor")
        return f"{span.label}{' → ' + actor if actor else ''}"
    if layer == "claims":
        unit = span.attrs.get("unit") or ""
        return f"{span.label}: {span.attrs.get('value')} {unit}".strip()
    if layer == "persuasion":
        info = technique_definitions().get(span.label)
        definition = f" — {info.definition_ar}" if info and info.definition_ar else ""
        return f"{span.label} ({(span.score or 0.0):.2f}){definition}"
    return span.label


def _highlighted_text(article: Article) -> str:
    """Split the text at every span boundary and wrap each piece in the marks that cover it."""
    text = article.text
    spans = [(layer, span) for layer in HIGHLIGHT_LAYERS for span in article.layer(layer)]
    paragraphs = article.layer("paragraphs") or [Span(0, len(text), "paragraph")] if text else []
    html_paragraphs = []
    for paragraph in paragraphs:
        inside = [
            (layer, span)
            for layer, span in spans
            if span.start < paragraph.end and span.end > paragraph.start
        ]
        cuts = {paragraph.start, paragraph.end}
        for _, span in inside:
            cuts.update(
                offset for offset in (span.start, span.end) if paragraph.start < offset < paragraph.end
            )
        ordered = sorted(cuts)
        pieces = []
        for piece_start, piece_end in itertools.pairwise(ordered):
            covering = [
                (layer, span) for layer, span in inside if span.start <= piece_start and span.end >= piece_end
            ]
            body = escape(text[piece_start:piece_end]).replace("\n", "<br>")
            if covering:
                classes = " ".join(sorted({layer for layer, _ in covering}))
                title = " | ".join(_span_title(layer, span) for layer, span in covering)
                pieces.append(f'<mark class="{classes}" title="{escape(title)}" tabindex="0">{body}</mark>')
            else:
                pieces.append(body)
        html_paragraphs.append(f"<p>{''.join(pieces)}</p>")
    return "\n".join(html_paragraphs)


def _table(caption: str, header: list[str], rows: list[list[str]]) -> str:
    if not rows:
        return ""
    head = "".join(f"<th>{escape(cell)}</th>" for cell in header)
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    return f"<section><h2>{escape(caption)}</h2><table><tr>{head}</tr>{body}</table></section>"


def _actors_section(article: Article) -> str:
    rows = [
        [
            f'<span class="ltr">{escape(actor.id)}</span>',
            f"<bdi>{escape(actor.name_ar)}</bdi> ({escape(actor.name_en)})",
            escape(actor.kind),
            f'<span class="ltr">{actor.mentions}</span>',
            f'<span class="ltr">{actor.tone:+.2f}</span>',
        ]
        for actor in sorted(article.actors, key=lambda a: (-a.mentions, a.id))
    ]
    return _table("الفاعلون / Actors", ["id", "name", "kind", "mentions", "tone"], rows)


def _attributions_section(article: Article) -> str:
    text = article.text
    rows = []
    for span in article.layer("attributions"):
        source: dict[str, Any] | None = span.attrs.get("source")
        if source is None:
            who = "—"
        else:
            who = f"<bdi>{escape(excerpt(text, source, limit=50))}</bdi>"
            if source.get("vague"):
                who += ' <span class="vague">مبهم / vague</span>'
            elif source.get("actor"):
                who += f' <span class="ltr">→ {escape(source["actor"])}</span>'
        cue = span.attrs["cue"]
        rows.append(
            [
                escape(span.label),
                who,
                f"<bdi>{escape(excerpt(text, cue, limit=30))}</bdi> ({escape(cue['class'])})",
                f"<bdi>{escape(excerpt(text, span.attrs['content'], limit=160))}</bdi>",
            ]
        )
    section = _table("من قال ماذا / Who says what", ["kind", "source", "cue", "content"], rows)
    vague = vague_sources(article)
    if vague:
        listed = "، ".join(f"<bdi>{escape(item)}</bdi>" for item in vague)
        section += f"<p>مصادر مبهمة / vague sources: {listed}</p>"
    return section


def _claims_section(article: Article) -> str:
    text = article.text
    rows = []
    for span in article.layer("claims"):
        worth = span.attrs.get("checkworthiness")
        rows.append(
            [
                escape(span.label),
                f"<bdi>{escape(excerpt(text, span, limit=60))}</bdi>",
                f'<span class="ltr">{escape(str(span.attrs.get("value")))}</span>',
                escape(span.attrs.get("unit") or ""),
                f'<span class="ltr">{worth:.2f}</span>' if isinstance(worth, float) else "",
            ]
        )
    return _table("الادعاءات / Claims", ["kind", "text", "value", "unit", "check-worthiness"], rows)


def _checkworthy_section(article: Article) -> str:
    ranking = article.meta.extra.get("checkworthy") or []
    sentences = article.layer("sentences")
    rows = [
        [
            f'<span class="ltr">{item["score"]:.2f}</span>',
            f"<bdi>{escape(excerpt(article.text, sentences[item['sentence']], limit=200))}</bdi>",
        ]
        for item in ranking[:10]
        if 0 <= item["sentence"] < len(sentences)
    ]
    return _table("جمل جديرة بالتحقق / Sentences worth checking", ["score", "sentence"], rows)


def _persuasion_section(article: Article) -> str:
    text = article.text
    definitions = technique_definitions()
    rows = []
    for span in article.layer("persuasion"):
        info = definitions.get(span.label)
        definition = ""
        if info:
            definition = f"<bdi>{escape(info.definition_ar)}</bdi><br>{escape(info.definition_en)}"
        rows.append(
            [
                f'<span class="ltr">{escape(span.label)}</span>',
                f"<bdi>{escape(excerpt(text, span, limit=100))}</bdi>",
                f'<span class="ltr">{(span.score or 0.0):.2f}</span>',
                definition,
            ]
        )
    return _table(
        "أساليب الإقناع (اقتراحات لا أحكام) / Persuasion (suggestions, not verdicts)",
        ["technique", "words", "score", "definition"],
        rows,
    )
