"""Copies and syndication: who published a text first, who copied it, and what each copy changed.

Copy pairs, reuse pairs and clusters are kept up to date by the store on every upsert; this module
reads them. Within a cluster, members are ordered by publication time (then by storage order):
the first is the first appearance, each other member a copy of it.
"""

from __future__ import annotations

import json
import statistics
from collections import defaultdict
from datetime import datetime
from typing import TYPE_CHECKING, Any

from marsad.corpus.dedup import jaccard, shingle_hashes, words
from marsad.errors import MarsadError
from marsad.text.sentences import split_sentences

if TYPE_CHECKING:
    from marsad.corpus.store import Store

__all__ = ["AGENCIES", "changes", "copies", "credits_in", "syndication"]

# News agencies and the ways Arabic news credits them (name, acronym, dotted acronym). The id is
# what reports show; matching is on folded words, so hamza and spacing variants match too.
AGENCIES: dict[str, tuple[str, ...]] = {
    "SPA": ("واس", "وكالة الأنباء السعودية"),
    "Reuters": ("رويترز",),
    "AFP": ("فرانس برس", "فرانس بريس", "أ ف ب", "أ.ف.ب", "ا ف ب"),
    "AP": ("أسوشيتد برس", "اسوشيتد برس", "أسوشيتدبرس"),
    "dpa": ("د ب أ", "د.ب.أ", "الوكالة الألمانية"),
    "Anadolu": ("الأناضول",),
    "Xinhua": ("شينخوا",),
    "Sputnik": ("سبوتنيك",),
    "TASS": ("تاس",),
    "WAM": ("وام",),
    "QNA": ("قنا",),
    "KUNA": ("كونا",),
    "BNA": ("بنا",),
    "SABA": ("سبأ",),
    "ONA": ("العمانية",),
    "Petra": ("بترا",),
    "SANA": ("سانا",),
    "MENA": ("أ ش أ", "أ.ش.أ", "وكالة أنباء الشرق الأوسط"),
}
_PATTERNS = [(agency, tuple(words(form))) for agency, forms in AGENCIES.items() for form in forms]


def credits_in(text: str, meta: dict[str, Any] | None = None) -> set[str]:
    """The agencies ``text`` credits: ``meta.dateline.agency`` and ``meta.credits`` when the
    credit annotator set them, else names from :data:`AGENCIES` found in the text."""
    found: set[str] = set()
    meta = meta or {}
    dateline = meta.get("dateline")
    if isinstance(dateline, dict) and dateline.get("agency"):
        found.add(str(dateline["agency"]))
    for credit in meta.get("credits") or ():
        name = credit.get("agency") or credit.get("name") if isinstance(credit, dict) else credit
        if name:
            found.add(str(name))
    tokens = words(text)
    for agency, pattern in _PATTERNS:
        if agency in found or not pattern:
            continue
        width = len(pattern)
        if any(tuple(tokens[i : i + width]) == pattern for i in range(len(tokens) - width + 1)):
            found.add(agency)
    return found


def _sentences(text: str) -> list[tuple[int, int, tuple[bytes, ...]]]:
    return [(start, end, tuple(words(text[start:end]))) for start, end in split_sentences(text)]


def _overlap(a: tuple[bytes, ...], b: tuple[bytes, ...]) -> float:
    set_a, set_b = set(a), set(b)
    return len(set_a & set_b) / len(set_a | set_b) if set_a or set_b else 1.0


def changes(original: dict[str, Any], copy: dict[str, Any]) -> dict[str, Any]:
    """What ``copy`` changed relative to ``original`` (both article JSON objects).

    Sentences are compared on folded words: equal ones are kept (``moved`` counts those out of
    order), unequal ones sharing half their words are edited, the rest dropped or added.
    Offsets are into each article's own text.
    """
    first, second = _sentences(original["text"]), _sentences(copy["text"])
    unmatched_first = {index: sentence for index, sentence in enumerate(first)}
    matched: list[tuple[int, int]] = []
    by_words: dict[tuple[bytes, ...], list[int]] = defaultdict(list)
    for index, (_, _, key) in enumerate(first):
        by_words[key].append(index)
    unmatched_second = []
    for index, sentence in enumerate(second):
        candidates = [i for i in by_words.get(sentence[2], ()) if i in unmatched_first]
        if candidates:
            del unmatched_first[candidates[0]]
            matched.append((candidates[0], index))
        else:
            unmatched_second.append(index)
    edited = []
    added = []
    for index in unmatched_second:
        start, end, key = second[index]
        best, score = None, 0.0
        for other, (_, _, other_key) in unmatched_first.items():
            value = _overlap(key, other_key)
            if value > score:
                best, score = other, value
        if best is not None and score >= 0.5:
            o_start, o_end, _ = unmatched_first.pop(best)
            edited.append({"original": [o_start, o_end], "copy": [start, end], "similarity": round(score, 3)})
        else:
            added.append([start, end])
    dropped = [[start, end] for start, end, _ in unmatched_first.values()]
    order = [first_index for first_index, _ in sorted(matched, key=lambda pair: pair[1])]
    moved = len(order) - _longest_increasing(order)
    original_meta, copy_meta = original.get("meta") or {}, copy.get("meta") or {}
    credits_before = credits_in(original["text"], original_meta)
    credits_after = credits_in(copy["text"], copy_meta)
    return {
        "title_changed": _fold(original_meta.get("title")) != _fold(copy_meta.get("title")),
        "kept": len(matched),
        "moved": moved,
        "edited": edited,
        "added": added,
        "dropped": dropped,
        "credits_removed": sorted(credits_before - credits_after),
        "credits_added": sorted(credits_after - credits_before),
    }


def _fold(title: str | None) -> tuple[bytes, ...]:
    return tuple(words(title or ""))


def _longest_increasing(values: list[int]) -> int:
    import bisect

    tails: list[int] = []
    for value in values:
        position = bisect.bisect_left(tails, value)
        if position == len(tails):
            tails.append(value)
        else:
            tails[position] = value
    return len(tails)


def delay_hours(earlier: str | None, later: str | None) -> float | None:
    if not earlier or not later:
        return None
    try:
        first, second = datetime.fromisoformat(earlier), datetime.fromisoformat(later)
    except ValueError:
        return None
    if (first.tzinfo is None) != (second.tzinfo is None):
        first, second = first.replace(tzinfo=None), second.replace(tzinfo=None)
    return round((second - first).total_seconds() / 3600, 2)


def _order_key(row: dict[str, Any]) -> tuple[int, str, int]:
    # Undated articles go last: they cannot be shown to come first.
    return (row["published"] is None, row["published"] or "", row["rid"])


def _summary(row: dict[str, Any]) -> dict[str, Any]:
    return {key: row[key] for key in ("id", "outlet", "title", "published", "url")}


def _rows(store: Store, rids: list[int]) -> dict[int, dict[str, Any]]:
    if not rids:
        return {}
    placeholders = ",".join("?" * len(rids))
    cursor = store.connection.execute(
        f"SELECT rid, id, outlet, title, published, url, json FROM articles WHERE rid IN ({placeholders})",
        rids,
    )
    return {
        rid: {"rid": rid, "id": i, "outlet": o, "title": t, "published": p, "url": u, "json": j}
        for rid, i, o, t, p, u, j in cursor
    }


def _cluster_members(store: Store, rid: int) -> list[int]:
    row = store.connection.execute("SELECT cluster FROM clusters WHERE article = ?", (rid,)).fetchone()
    if row is None:
        return [rid]
    return [
        r for (r,) in store.connection.execute("SELECT article FROM clusters WHERE cluster = ?", (row[0],))
    ]


def copies(store: Store, article_id: str) -> dict[str, Any]:
    """The copy cluster of an article and the passages it shares with others, both directions.

    Returns ``{"article", "cluster": {"first", "copies": [...]}, "reuses": [...]}``; each copy
    has its similarity to the first appearance, its delay in hours and what it changed; each
    reuse the other article, which of the two came first, the passages on both sides and the
    share of each text they make. Raises E301 for an unknown id.
    """
    rid = store.rid_of(article_id)
    if rid is None:
        raise MarsadError("E301", f"no article with id {article_id!r} in the corpus")
    members = _rows(store, _cluster_members(store, rid))
    ordered = sorted(members.values(), key=_order_key)
    first = ordered[0]
    first_json = json.loads(first["json"])
    first_shingles = shingle_hashes(first_json["text"])
    cluster_copies = []
    for row in ordered[1:]:
        document = json.loads(row["json"])
        cluster_copies.append(
            {
                **_summary(row),
                "similarity": round(jaccard(first_shingles, shingle_hashes(document["text"])), 4),
                "delay_hours": delay_hours(first["published"], row["published"]),
                "changes": changes(first_json, document),
            }
        )
    reuses = []
    pairs = store.connection.execute(
        "SELECT a, b, passages, share_a, share_b FROM reuse_pairs WHERE a = ? OR b = ?", (rid, rid)
    ).fetchall()
    others = _rows(store, [b if a == rid else a for a, b, _, _, _ in pairs])
    this = members[rid]
    for a, b, passages, share_a, share_b in pairs:
        mine = a == rid
        other = others[b if mine else a]
        this_first = _order_key(this) <= _order_key(other)
        reuses.append(
            {
                **_summary(other),
                "direction": "reused_by" if this_first else "reuses",
                "passages": [
                    {
                        "start": p["a_start"] if mine else p["b_start"],
                        "end": p["a_end"] if mine else p["b_end"],
                        "other_start": p["b_start"] if mine else p["a_start"],
                        "other_end": p["b_end"] if mine else p["a_end"],
                        "words": p["words"],
                    }
                    for p in json.loads(passages)
                ],
                "share": share_a if mine else share_b,
                "other_share": share_b if mine else share_a,
            }
        )
    return {
        "article": article_id,
        "cluster": {
            "size": len(ordered),
            "first": _summary(first),
            "is_first": first["rid"] == rid,
            "copies": cluster_copies,
        },
        "reuses": reuses,
    }


def syndication(store: Store, *, since: str | None = None, until: str | None = None) -> dict[str, Any]:
    """Copy clusters whose first appearance falls in ``[since, until]``, and the outlet network.

    The network has one edge per (source outlet, copying outlet): the copies (cluster members
    after the first appearance) and the reuses (the later article of a reuse pair) it holds, and
    the median delay in hours. Dates are inclusive ISO prefixes.
    """
    connection = store.connection
    groups: dict[int, list[int]] = defaultdict(list)
    for article, cluster in connection.execute("SELECT article, cluster FROM clusters"):
        groups[cluster].append(article)
    info = _rows(store, [rid for members in groups.values() for rid in members])

    def in_range(published: str | None) -> bool:
        if since and (published is None or published < since):
            return False
        return not (until and (published is None or published[: len(until)] > until))

    edges: dict[tuple[str, str], dict[str, Any]] = defaultdict(
        lambda: {"copies": 0, "reuses": 0, "delays": []}
    )
    clusters: list[dict[str, Any]] = []
    for members in groups.values():
        ordered = sorted((info[rid] for rid in members), key=_order_key)
        first = ordered[0]
        if not in_range(first["published"]):
            continue
        clusters.append(
            {
                "first": _summary(first),
                "size": len(ordered),
                "outlets": sorted({row["outlet"] or "" for row in ordered}),
                "copies": [
                    {**_summary(row), "delay_hours": delay_hours(first["published"], row["published"])}
                    for row in ordered[1:]
                ],
            }
        )
        for row in ordered[1:]:
            edge = edges[(first["outlet"] or "", row["outlet"] or "")]
            edge["copies"] += 1
            delay = delay_hours(first["published"], row["published"])
            if delay is not None:
                edge["delays"].append(delay)
    pairs = connection.execute("SELECT a, b FROM reuse_pairs").fetchall()
    pair_rows = _rows(store, sorted({rid for pair in pairs for rid in pair}))
    for a, b in pairs:
        earlier, later = sorted((pair_rows[a], pair_rows[b]), key=_order_key)
        if not in_range(earlier["published"]):
            continue
        edge = edges[(earlier["outlet"] or "", later["outlet"] or "")]
        edge["reuses"] += 1
        delay = delay_hours(earlier["published"], later["published"])
        if delay is not None:
            edge["delays"].append(delay)
    network = [
        {
            "source": source,
            "target": target,
            "copies": edge["copies"],
            "reuses": edge["reuses"],
            "median_delay_hours": statistics.median(edge["delays"]) if edge["delays"] else None,
        }
        for (source, target), edge in sorted(
            edges.items(), key=lambda item: -item[1]["copies"] - item[1]["reuses"]
        )
    ]
    clusters.sort(key=lambda cluster: (cluster["first"]["published"] or "", cluster["first"]["id"]))
    return {"clusters": clusters, "network": network}
