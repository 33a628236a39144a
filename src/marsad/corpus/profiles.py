"""Profiles of an outlet and of an actor, computed from what the corpus stores.

An outlet profile says how often its articles and paragraphs carry each persuasion technique,
who its attributions cite (a named source, a vague one, or none), which actors it writes about
and in what tone, and which outlets it copies and is copied by. An actor profile gives the actor's
mentions and tone per month or week, the outlets that mention it and the actors named beside it.

Both functions return plain JSON-able dicts; ``format_outlet_profile`` and
``format_actor_profile`` render them for a terminal, with every Arabic fragment isolated.
"""

from __future__ import annotations

import difflib
import json
import statistics
from collections import Counter, defaultdict
from datetime import date
from typing import TYPE_CHECKING, Any

from marsad.corpus.syndication import delay_hours
from marsad.errors import MarsadError
from marsad.report.text import isolate

if TYPE_CHECKING:
    from marsad.corpus.store import Store

__all__ = [
    "BUCKETS",
    "UNDATED",
    "actor_profile",
    "bucket_of",
    "format_actor_profile",
    "format_outlet_profile",
    "outlet_profile",
]

BUCKETS = ("day", "week", "month", "year")
UNDATED = "undated"
# Tone toward an actor in one article above this is counted positive, below its negative negative.
_TONE_BAND = 0.1
_SUGGESTIONS = 5


# -- helpers ---------------------------------------------------------------------------------


def _closest(wanted: str, known: list[str]) -> list[str]:
    """Known names close to ``wanted``: spelling neighbours first, then names containing it."""
    close = difflib.get_close_matches(wanted, known, n=_SUGGESTIONS, cutoff=0.5)
    folded = wanted.casefold()
    for name in known:
        if len(close) >= _SUGGESTIONS:
            break
        if name not in close and folded and (folded in name.casefold() or name.casefold() in folded):
            close.append(name)
    return close


def _unknown(kind: str, wanted: str, known: list[str]) -> MarsadError:
    close = _closest(wanted, known)
    if close:
        advice = "did you mean " + ", ".join(repr(name) for name in close) + "?"
    elif known:
        advice = f"the corpus holds {len(known)} {kind}s, for example " + ", ".join(
            repr(name) for name in known[:_SUGGESTIONS]
        )
    else:
        advice = "the corpus holds none: ingest articles first ('marsad ingest')"
    return MarsadError("E301", f"no {kind} {wanted!r} in the corpus; {advice}")


def _share(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


def _mean(values: list[float]) -> float | None:
    return round(statistics.fmean(values), 4) if values else None


def _order_key(published: str | None, rid: int) -> tuple[bool, str, int]:
    # Same order as the syndication module: by publication time, undated last, then storage order.
    return (published is None, published or "", rid)


def bucket_of(published: str | None, bucket: str) -> str:
    """The period of a publication date (``2026-04-14``, ``2026-W16``, ``2026-04`` or ``2026``), else undated."""
    if not published:
        return UNDATED
    try:
        day = date.fromisoformat(published[:10])
    except ValueError:
        return UNDATED
    if bucket == "day":
        return day.isoformat()
    if bucket == "week":
        year, week, _ = day.isocalendar()
        return f"{year}-W{week:02d}"
    if bucket == "month":
        return f"{day.year:04d}-{day.month:02d}"
    return f"{day.year:04d}"


def _actor_names(store: Store, actor_ids: list[str]) -> dict[str, dict[str, str | None]]:
    """Names and kind of each actor, from the first stored article that lists it."""
    names: dict[str, dict[str, str | None]] = {}
    for actor_id in actor_ids:
        # Read in Python, not with SQLite's JSON functions, so that PostgreSQL runs the same SQL.
        name_ar = name_en = kind = None
        rows = store.connection.execute(
            "SELECT a.json FROM article_actors x JOIN articles a ON a.rid = x.article "
            "WHERE x.actor = ? ORDER BY x.article LIMIT 50",
            (actor_id,),
        )
        for (document,) in rows:
            listed = [item for item in json.loads(document).get("actors", ()) if item.get("id") == actor_id]
            if listed:
                name_ar, name_en, kind = (listed[0].get(key) for key in ("name_ar", "name_en", "kind"))
                break
        names[actor_id] = {"name_ar": name_ar, "name_en": name_en, "kind": kind}
    return names


# -- outlets ---------------------------------------------------------------------------------


def _techniques_of(document: dict[str, Any]) -> tuple[set[str], list[set[str]], int]:
    """Techniques of an article, and of each paragraph (from its own list or an overlapping span)."""
    paragraphs = document.get("paragraphs") or []
    per_paragraph: list[set[str]] = [
        {item["technique"] for item in paragraph.get("techniques") or () if item.get("technique")}
        for paragraph in paragraphs
    ]
    flagged = 0
    for index, paragraph in enumerate(paragraphs):
        if paragraph.get("propagandistic"):
            flagged += 1
        for span in document.get("persuasion") or ():
            if span["start"] < paragraph["end"] and span["end"] > paragraph["start"]:
                per_paragraph[index].add(span["technique"])
    in_article = {span["technique"] for span in document.get("persuasion") or ()}
    for found in per_paragraph:
        in_article |= found
    return in_article, per_paragraph, flagged


def _source_class(source: dict[str, Any] | None) -> str:
    if source is None:
        return "none"
    return "vague" if source.get("vague") else "named"


def outlet_profile(store: Store, name: str, *, top: int = 10) -> dict[str, Any]:
    """The profile of the outlet ``name`` (as stored in ``meta.outlet``); E301 if none is stored.

    Technique rates count an article (or paragraph) once per technique found in its
    ``persuasion`` spans or its paragraphs' ``techniques``; sourcing counts every attribution by
    whether its source is named, vague or missing; actor tone is the mean over the articles
    that mention the actor of the article's tone toward it; copies come from the copy clusters
    and reuse pairs the store keeps (made: this outlet published later; received: it was first).
    """
    connection = store.connection
    rows = connection.execute(
        "SELECT rid, published, propaganda, vague_sourcing, json FROM articles WHERE outlet = ? ORDER BY rid",
        (name,),
    ).fetchall()
    if not rows:
        known = [
            o for (o,) in connection.execute("SELECT DISTINCT outlet FROM articles WHERE outlet IS NOT NULL")
        ]
        raise _unknown("outlet", name, sorted(known))

    articles = len(rows)
    dates = sorted(published for _, published, _, _, _ in rows if published)
    technique_articles: Counter[str] = Counter()
    technique_paragraphs: Counter[str] = Counter()
    paragraphs_total = flagged_paragraphs = 0
    sourcing: Counter[str] = Counter()
    by_kind: dict[str, Counter[str]] = defaultdict(Counter)
    named_sources: Counter[tuple[str | None, str]] = Counter()
    vague_sources: Counter[str] = Counter()
    with_attributions = 0
    actor_rows: dict[str, dict[str, Any]] = {}
    for _, _, _, _, payload in rows:
        document = json.loads(payload)
        in_article, per_paragraph, flagged = _techniques_of(document)
        technique_articles.update(in_article)
        for found in per_paragraph:
            technique_paragraphs.update(found)
        paragraphs_total += len(per_paragraph)
        flagged_paragraphs += flagged
        text = document["text"]
        attributions = document.get("attributions") or []
        with_attributions += bool(attributions)
        for attribution in attributions:
            source = attribution.get("source")
            kind = _source_class(source)
            sourcing[kind] += 1
            by_kind[attribution.get("kind") or "unknown"][kind] += 1
            if source is None:
                continue
            surface = " ".join(text[source["start"] : source["end"]].split())
            if kind == "vague":
                vague_sources[surface] += 1
            else:
                named_sources[(source.get("actor"), surface)] += 1
        for actor in document.get("actors") or ():
            entry = actor_rows.setdefault(
                actor["id"],
                {
                    "id": actor["id"],
                    "name_ar": actor.get("name_ar"),
                    "name_en": actor.get("name_en"),
                    "kind": actor.get("kind"),
                    "articles": 0,
                    "mentions": 0,
                    "tones": [],
                },
            )
            entry["articles"] += 1
            entry["mentions"] += int(actor.get("mentions") or 0)
            entry["tones"].append(float(actor.get("tone") or 0.0))

    attributions_total = sum(sourcing.values())
    techniques = [
        {
            "technique": technique,
            "articles": count,
            "article_share": _share(count, articles),
            "paragraphs": technique_paragraphs[technique],
            "paragraph_share": _share(technique_paragraphs[technique], paragraphs_total),
        }
        for technique, count in sorted(technique_articles.items(), key=lambda item: (-item[1], item[0]))
    ]
    # Named sources are grouped by actor when the annotator linked one, else by their wording.
    grouped: Counter[str] = Counter()
    shown: dict[str, dict[str, Any]] = {}
    for (actor_id, surface), count in named_sources.items():
        key = actor_id or surface
        grouped[key] += count
        shown.setdefault(key, {"source": surface, "actor": actor_id})
    actors = sorted(
        actor_rows.values(), key=lambda entry: (-entry["articles"], -entry["mentions"], entry["id"])
    )
    top_actors = []
    for entry in actors[:top]:
        tones = entry.pop("tones")
        top_actors.append(
            {
                **entry,
                "tone": _mean(tones),
                "positive_articles": sum(tone > _TONE_BAND for tone in tones),
                "negative_articles": sum(tone < -_TONE_BAND for tone in tones),
            }
        )
    return {
        "outlet": name,
        "articles": articles,
        "first_published": dates[0] if dates else None,
        "last_published": dates[-1] if dates else None,
        "propaganda": {
            "mean_score": _mean([float(p or 0.0) for _, _, p, _, _ in rows]),
            "paragraphs": paragraphs_total,
            "propagandistic_paragraphs": flagged_paragraphs,
            "propagandistic_share": _share(flagged_paragraphs, paragraphs_total),
        },
        "techniques": techniques,
        "sourcing": {
            "attributions": attributions_total,
            "articles_with_attributions": with_attributions,
            **{kind: sourcing[kind] for kind in ("named", "vague", "none")},
            **{
                f"{kind}_share": _share(sourcing[kind], attributions_total)
                for kind in ("named", "vague", "none")
            },
            "mean_vague_sourcing": _mean([float(v or 0.0) for _, _, _, v, _ in rows]),
            "by_kind": {
                kind: {cls: counts[cls] for cls in ("named", "vague", "none")}
                for kind, counts in sorted(by_kind.items())
            },
            "top_named": [
                {**shown[key], "count": count}
                for key, count in sorted(grouped.items(), key=lambda item: (-item[1], item[0]))[:top]
            ],
            "top_vague": [
                {"source": surface, "count": count}
                for surface, count in sorted(vague_sources.items(), key=lambda item: (-item[1], item[0]))[
                    :top
                ]
            ],
        },
        "actors": top_actors,
        "copies": _outlet_copies(store, name),
    }


def _outlet_copies(store: Store, name: str) -> dict[str, Any]:
    connection = store.connection
    members: dict[int, list[int]] = defaultdict(list)
    for article, cluster in connection.execute(
        "SELECT c.article, c.cluster FROM clusters c WHERE c.cluster IN "
        "(SELECT c2.cluster FROM clusters c2 JOIN articles a ON a.rid = c2.article WHERE a.outlet = ?)",
        (name,),
    ):
        members[cluster].append(article)
    pairs = connection.execute(
        "SELECT a, b FROM reuse_pairs WHERE a IN (SELECT rid FROM articles WHERE outlet = ?) "
        "OR b IN (SELECT rid FROM articles WHERE outlet = ?)",
        (name, name),
    ).fetchall()
    rids = sorted(
        {rid for group in members.values() for rid in group} | {rid for pair in pairs for rid in pair}
    )
    info: dict[int, tuple[str | None, str | None]] = {}
    for start in range(0, len(rids), 500):
        chunk = rids[start : start + 500]
        placeholders = ",".join("?" * len(chunk))
        for rid, outlet, published in connection.execute(
            f"SELECT rid, outlet, published FROM articles WHERE rid IN ({placeholders})", chunk
        ):
            info[rid] = (outlet, published)

    def edge() -> dict[str, Any]:
        return {"copies": 0, "reuses": 0, "delays": []}

    made: dict[str, dict[str, Any]] = defaultdict(edge)
    received: dict[str, dict[str, Any]] = defaultdict(edge)
    within = {"copies": 0, "reuses": 0}

    def record(first: int, later: int, kind: str) -> None:
        source, target = info[first][0] or "", info[later][0] or ""
        delay = delay_hours(info[first][1], info[later][1])
        if source == name and target == name:
            within[kind] += 1
            return
        bucket = made[source] if target == name else received[target] if source == name else None
        if bucket is None:
            return
        bucket[kind] += 1
        if delay is not None:
            bucket["delays"].append(delay)

    for group in members.values():
        ordered = sorted(group, key=lambda rid: _order_key(info[rid][1], rid))
        for later in ordered[1:]:
            record(ordered[0], later, "copies")
    for a, b in pairs:
        first, later = sorted((a, b), key=lambda rid: _order_key(info[rid][1], rid))
        record(first, later, "reuses")

    def listing(edges: dict[str, dict[str, Any]], key: str) -> list[dict[str, Any]]:
        return [
            {
                key: outlet,
                "copies": values["copies"],
                "reuses": values["reuses"],
                "median_delay_hours": statistics.median(values["delays"]) if values["delays"] else None,
            }
            for outlet, values in sorted(
                edges.items(), key=lambda item: (-item[1]["copies"] - item[1]["reuses"], item[0])
            )
        ]

    return {
        "made": listing(made, "from"),
        "received": listing(received, "by"),
        "made_total": {kind: sum(v[kind] for v in made.values()) for kind in ("copies", "reuses")},
        "received_total": {kind: sum(v[kind] for v in received.values()) for kind in ("copies", "reuses")},
        "within_outlet": within,
    }


# -- actors ----------------------------------------------------------------------------------


def actor_profile(store: Store, actor_id: str, *, bucket: str = "month", top: int = 10) -> dict[str, Any]:
    """Mentions and tone of one actor over time (per ``bucket``: day, week, month or year), per
    outlet, and the actors most often named in the same articles. E301 for an unknown actor or
    bucket. Tone is the mean, over articles, of each article's tone toward the actor."""
    if bucket not in BUCKETS:
        raise MarsadError("E301", f"bucket must be one of {', '.join(BUCKETS)}, got {bucket!r}")
    connection = store.connection
    # NULLS FIRST is SQLite's default; PostgreSQL needs it said.
    rows = connection.execute(
        "SELECT a.published, a.outlet, x.mentions, x.tone FROM article_actors x "
        "JOIN articles a ON a.rid = x.article WHERE x.actor = ? ORDER BY a.published NULLS FIRST, a.rid",
        (actor_id,),
    ).fetchall()
    if not rows:
        known = [i for (i,) in connection.execute("SELECT DISTINCT actor FROM article_actors")]
        raise _unknown("actor", actor_id, sorted(known))

    timeline: dict[str, dict[str, Any]] = {}
    outlets: dict[str, dict[str, Any]] = {}
    for published, outlet, mentions, tone in rows:
        for table, key in ((timeline, bucket_of(published, bucket)), (outlets, outlet or "")):
            entry = table.setdefault(key, {"articles": 0, "mentions": 0, "tones": []})
            entry["articles"] += 1
            entry["mentions"] += int(mentions)
            entry["tones"].append(float(tone))

    def finish(key_name: str, key: str, entry: dict[str, Any]) -> dict[str, Any]:
        tones = entry["tones"]
        return {
            key_name: key,
            "articles": entry["articles"],
            "mentions": entry["mentions"],
            "tone": _mean(tones),
            "positive_articles": sum(tone > _TONE_BAND for tone in tones),
            "negative_articles": sum(tone < -_TONE_BAND for tone in tones),
        }

    # Buckets sort as text (ISO forms); undated articles come last.
    periods = sorted(timeline, key=lambda key: (key == UNDATED, key))
    co_rows = connection.execute(
        "SELECT y.actor, COUNT(*), SUM(y.mentions), AVG(y.tone) FROM article_actors x "
        "JOIN article_actors y ON y.article = x.article AND y.actor != x.actor "
        "WHERE x.actor = ? GROUP BY y.actor ORDER BY COUNT(*) DESC, y.actor LIMIT ?",
        (actor_id, top),
    ).fetchall()
    names = _actor_names(store, [actor_id, *(other for other, _, _, _ in co_rows)])
    tones = [float(tone) for _, _, _, tone in rows]
    dates = [published for published, _, _, _ in rows if published]
    return {
        "actor": actor_id,
        **names[actor_id],
        "articles": len(rows),
        "mentions": sum(int(mentions) for _, _, mentions, _ in rows),
        "tone": _mean(tones),
        "first_published": min(dates) if dates else None,
        "last_published": max(dates) if dates else None,
        "bucket": bucket,
        "timeline": [finish("period", key, timeline[key]) for key in periods],
        "outlets": sorted(
            (finish("outlet", key, entry) for key, entry in outlets.items()),
            key=lambda item: (-item["articles"], item["outlet"]),
        ),
        "co_mentioned": [
            {
                "id": other,
                **names[other],
                "articles": int(count),
                "share": _share(int(count), len(rows)),
                "mentions": int(mentions or 0),
                "tone": round(float(tone), 4) if tone is not None else None,
            }
            for other, count, mentions, tone in co_rows
        ],
    }


# -- terminal --------------------------------------------------------------------------------


def _tone(value: float | None) -> str:
    return "  n/a" if value is None else f"{value:+.2f}"


def _name(entry: dict[str, Any]) -> str:
    parts = []
    if entry.get("name_ar"):
        parts.append(isolate(entry["name_ar"]))
    if entry.get("name_en"):
        parts.append(f"({entry['name_en']})")
    return "  ".join(parts)


def _delay(value: float | None) -> str:
    return "" if value is None else f"  median delay {value:.1f} h"


def format_outlet_profile(profile: dict[str, Any]) -> str:
    """A plain-text rendering of :func:`outlet_profile`'s result."""
    lines: list[str] = []
    add = lines.append
    add(f"marsad profile  ·  outlet {isolate(profile['outlet'])}")
    add(f"articles:   {profile['articles']}")
    if profile["first_published"]:
        add(f"period:     {profile['first_published']} .. {profile['last_published']}")
    propaganda = profile["propaganda"]
    mean = propaganda["mean_score"]
    add(
        f"propaganda: mean article score {mean if mean is None else f'{mean:.2f}'}  ·  "
        f"{propaganda['propagandistic_paragraphs']} of {propaganda['paragraphs']} paragraphs flagged "
        f"({100 * propaganda['propagandistic_share']:.1f}%)"
    )

    add("")
    add("TECHNIQUES (articles, paragraphs carrying each)")
    if not profile["techniques"]:
        add("  none found")
    for item in profile["techniques"]:
        add(
            f"  {item['technique']:<40} {item['articles']:>6} articles ({100 * item['article_share']:5.1f}%)"
            f"  {item['paragraphs']:>6} paragraphs ({100 * item['paragraph_share']:5.1f}%)"
        )

    sourcing = profile["sourcing"]
    add("")
    add(
        f"SOURCING ({sourcing['attributions']} attributions in {sourcing['articles_with_attributions']} articles)"
    )
    for kind in ("named", "vague", "none"):
        add(f"  {kind:<6} {sourcing[kind]:>6}  ({100 * sourcing[kind + '_share']:5.1f}%)")
    if sourcing["top_named"]:
        add(
            "  most cited named sources: "
            + ", ".join(
                f"{isolate(item['source'])}{' -> ' + item['actor'] if item['actor'] else ''} ×{item['count']}"
                for item in sourcing["top_named"]
            )
        )
    if sourcing["top_vague"]:
        add(
            "  most used vague sources: "
            + ", ".join(f"{isolate(item['source'])} ×{item['count']}" for item in sourcing["top_vague"])
        )

    add("")
    add("TOP ACTORS (articles, mentions, mean tone in [-1, 1])")
    if not profile["actors"]:
        add("  none found")
    for actor in profile["actors"]:
        add(
            f"  {actor['id']:<16} {actor['articles']:>5} articles {actor['mentions']:>6}×  "
            f"tone {_tone(actor['tone'])} (+{actor['positive_articles']} / -{actor['negative_articles']})  "
            f"{_name(actor)}"
        )

    copies = profile["copies"]
    add("")
    made, received = copies["made_total"], copies["received_total"]
    add(
        f"COPIES MADE (its articles copying another outlet's): {made['copies']} copies, {made['reuses']} reuses"
    )
    for item in copies["made"]:
        add(
            f"  from {isolate(item['from'])}: {item['copies']} copies, {item['reuses']} reuses{_delay(item['median_delay_hours'])}"
        )
    add(
        f"COPIES RECEIVED (other outlets copying it): {received['copies']} copies, {received['reuses']} reuses"
    )
    for item in copies["received"]:
        add(
            f"  by {isolate(item['by'])}: {item['copies']} copies, {item['reuses']} reuses{_delay(item['median_delay_hours'])}"
        )
    within = copies["within_outlet"]
    add(f"within the outlet: {within['copies']} copies, {within['reuses']} reuses")
    return "\n".join(lines)


def format_actor_profile(profile: dict[str, Any]) -> str:
    """A plain-text rendering of :func:`actor_profile`'s result."""
    lines: list[str] = []
    add = lines.append
    add(f"marsad profile  ·  actor {profile['actor']}  {_name(profile)}".rstrip())
    if profile.get("kind"):
        add(f"kind:       {profile['kind']}")
    add(
        f"articles:   {profile['articles']}  ·  mentions {profile['mentions']}  ·  mean tone {_tone(profile['tone'])}"
    )
    if profile["first_published"]:
        add(f"period:     {profile['first_published']} .. {profile['last_published']}")

    add("")
    add(f"OVER TIME (per {profile['bucket']}: articles, mentions, mean tone)")
    widest = max((item["articles"] for item in profile["timeline"]), default=1)
    for item in profile["timeline"]:
        bar = "#" * max(1, round(30 * item["articles"] / widest))
        add(
            f"  {item['period']:<10} {item['articles']:>6} {item['mentions']:>7}×  tone {_tone(item['tone'])}  {bar}"
        )

    add("")
    add("OUTLETS")
    for item in profile["outlets"]:
        add(
            f"  {isolate(item['outlet'] or '?')}: {item['articles']} articles, {item['mentions']}×, "
            f"tone {_tone(item['tone'])}"
        )

    add("")
    add("NAMED IN THE SAME ARTICLES")
    if not profile["co_mentioned"]:
        add("  none")
    for item in profile["co_mentioned"]:
        add(
            f"  {item['id']:<16} {item['articles']:>5} articles ({100 * item['share']:5.1f}%)  "
            f"tone {_tone(item['tone'])}  {_name(item)}"
        )
    return "\n".join(lines)
