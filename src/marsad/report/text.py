"""The terminal report.

Terminals differ in right-to-left support. Every Arabic fragment is wrapped in a Unicode
first-strong isolate (U+2068 … U+2069): a bidi-aware terminal lays it out right-to-left without
disturbing the English labels and numbers around it, and other terminals show the characters in
logical order, which is what a copy-paste gives back either way.
"""

from __future__ import annotations

from marsad.document import Article
from marsad.report.common import excerpt, technique_definitions, vague_sources

FSI, PDI = "\u2068", "\u2069"


def isolate(fragment: str) -> str:
    """Wrap a fragment of article text so it cannot reorder the line around it."""
    return f"{FSI}{fragment}{PDI}"


def render_text(article: Article) -> str:
    """Return a readable, plain-text report of one article."""
    meta = article.meta
    text = article.text
    lines: list[str] = []
    add = lines.append

    add(f"marsad report  ·  article {article.id}")
    if meta.title:
        add(f"title:      {isolate(meta.title)}")
    for label, value in (("outlet", meta.outlet), ("published", meta.published), ("url", meta.url)):
        if value:
            add(f"{label + ':':<11} {isolate(value) if label == 'outlet' else value}")
    add(f"language:   {meta.language}")
    dateline = meta.extra.get("dateline")
    if dateline:
        parts = [isolate(dateline[key]) for key in ("place", "agency") if dateline.get(key)]
        add(f"dateline:   {' / '.join(parts)}")
    for code in meta.extra.get("warnings", []):
        add(f"warning:    {code}")
    add(
        f"size:       {len(text)} characters, {len(article.layer('paragraphs'))} paragraphs, "
        f"{len(article.layer('sentences'))} sentences"
    )
    add(
        f"scores:     propaganda {article.scores.get('propaganda', 0.0):.2f}  ·  "
        f"vague sourcing {article.scores.get('vague_sourcing', 0.0):.2f}"
    )
    add(f"steps run:  {', '.join(article.steps) or 'none'}")

    if article.actors:
        add("")
        add("ACTORS (mentions, tone toward each in [-1, 1])")
        for actor in sorted(article.actors, key=lambda a: (-a.mentions, a.id)):
            add(
                f"  {actor.id:<16} {actor.mentions:>3}×  tone {actor.tone:+.2f}  {isolate(actor.name_ar)}  ({actor.name_en})"
            )

    entities = article.layer("entities")
    if entities:
        add("")
        add("ENTITIES")
        for span in entities:
            actor_id = span.attrs.get("actor")
            link = f" -> {actor_id}" if actor_id else ""
            add(f"  [{span.label:<4}] {isolate(excerpt(text, span, limit=50))}{link}")

    attributions = article.layer("attributions")
    if attributions:
        add("")
        add("WHO SAYS WHAT")
        for span in attributions:
            cue = span.attrs["cue"]
            source = span.attrs.get("source")
            if source is None:
                who = "no source"
            else:
                who = isolate(excerpt(text, source, limit=40))
                if source.get("vague"):
                    who += "  (VAGUE)"
                elif source.get("actor"):
                    who += f" -> {source['actor']}"
            add(f"  {span.label:<12} {who}  cue {isolate(excerpt(text, cue, limit=20))} [{cue['class']}]")
            add(f"      {isolate(excerpt(text, span.attrs['content'], limit=100))}")
        vague = vague_sources(article)
        if vague:
            add(f"  vague sources: {', '.join(isolate(item) for item in vague)}")

    claims = article.layer("claims")
    if claims:
        add("")
        add("CLAIMS")
        for span in claims:
            value = span.attrs.get("value")
            unit = span.attrs.get("unit") or ""
            worth = span.attrs.get("checkworthiness")
            worth_text = f"  check-worthiness {worth:.2f}" if isinstance(worth, float) else ""
            add(
                f"  {span.label:<8} {isolate(excerpt(text, span, limit=40))}  = {value} {unit}".rstrip()
                + f"  (sentence {span.attrs.get('sentence')}){worth_text}"
            )

    ranking = article.meta.extra.get("checkworthy") or []
    sentences = article.layer("sentences")
    if ranking and sentences:
        add("")
        add("SENTENCES MOST WORTH CHECKING (check-worthiness score)")
        for item in ranking[:5]:
            index = item["sentence"]
            if 0 <= index < len(sentences):
                add(f"  {item['score']:.2f}  #{index}  {isolate(excerpt(text, sentences[index], limit=100))}")

    paragraphs = article.layer("paragraphs")
    flagged = [p for p in paragraphs if p.attrs.get("propagandistic")]
    spans = article.layer("persuasion")
    if "persuasion" in article.steps or flagged or spans:
        add("")
        add("PERSUASION (suggestions with scores, not verdicts)")
        definitions = technique_definitions()
        for index, paragraph in enumerate(paragraphs):
            if not paragraph.attrs.get("propagandistic"):
                continue
            techniques = ", ".join(
                f"{item['technique']} {item['score']:.2f}" for item in paragraph.attrs.get("techniques", ())
            )
            add(f"  paragraph {index + 1}: score {paragraph.score or 0.0:.2f}  {techniques}")
        for span in spans:
            add(f"  {span.label} ({span.score or 0.0:.2f}): {isolate(excerpt(text, span, limit=80))}")
            info = definitions.get(span.label)
            if info and info.definition_en:
                add(f"      {info.definition_en}")
        if not flagged and not spans:
            add("  no paragraph flagged")
    add("")
    return "\n".join(lines)
