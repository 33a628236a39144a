"""The numbers behind the dashboard pages, in portable SQL, cached per corpus version.

Corpus-wide aggregates (volume, top actors, most-copied stories, outlet scores) cost tens of
milliseconds to seconds on a large corpus, so they are computed once per *corpus version* (the
article count and the largest row id) and kept in a small in-process cache. The version itself
is read at most every few seconds, so a page served from the cache costs no aggregate query.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict, defaultdict
from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING, Any, TypeVar

from marsad.corpus.profiles import UNDATED, bucket_of
from marsad.server.queries import list_outlets

if TYPE_CHECKING:
    from marsad.corpus.store import Store

__all__ = [
    "PageCache",
    "bucket_counts",
    "copy_edges",
    "most_copied",
    "outlet_counts",
    "outlet_propaganda",
    "outlet_volume",
    "overview",
    "story",
    "technique_counts",
    "top_actors",
]

T = TypeVar("T")

# How long a corpus version read stays trusted: new articles show up on pages at most this late.
_VERSION_TTL_S = 5.0
_MAX_ENTRIES = 512


class PageCache:
    """A bounded, thread-safe cache of page data per corpus (keyed by its path and a key).

    A value computed for an older corpus version is still served while one background thread
    recomputes it for the current version (stale while revalidating): during an ingestion the
    version changes every few seconds, and a page must not wait seconds for each new figure.
    """

    def __init__(
        self,
        *,
        max_entries: int = _MAX_ENTRIES,
        version_ttl_s: float = _VERSION_TTL_S,
        refresh_in_background: bool = True,
    ) -> None:
        self.max_entries = max_entries
        self.version_ttl_s = version_ttl_s
        self.refresh_in_background = refresh_in_background
        self._entries: OrderedDict[tuple[Any, ...], tuple[tuple[int, int], Any]] = OrderedDict()
        self._versions: dict[str, tuple[float, tuple[int, int]]] = {}
        self._refreshing: set[tuple[Any, ...]] = set()
        self._lock = threading.Lock()
        self.computed = 0  # how many values were computed rather than served: for tests and profiling

    def version(self, store: Store) -> tuple[int, int]:
        """The corpus version: (article count, largest row id), re-read at most every few seconds."""
        key = str(store.path)
        now = time.monotonic()
        with self._lock:
            seen = self._versions.get(key)
        if seen is not None and now - seen[0] < self.version_ttl_s:
            return seen[1]
        count, largest = store.connection.execute("SELECT COUNT(*), MAX(rid) FROM articles").fetchone()
        version = (int(count), int(largest or 0))
        with self._lock:
            self._versions[key] = (now, version)
        return version

    def get(self, store: Store, key: tuple[Any, ...], compute: Callable[[Store], T]) -> T:
        """The value of ``compute(store)`` for ``key``: cached, stale while being refreshed, or new."""
        full = (str(store.path), *key)
        version = self.version(store)
        with self._lock:
            found = self._entries.get(full)
            if found is not None:
                self._entries.move_to_end(full)
                stale = found[0] != version
                if stale and self.refresh_in_background and full not in self._refreshing:
                    self._refreshing.add(full)
                    threading.Thread(
                        target=self._refresh, args=(store.path, full, version, compute), daemon=True
                    ).start()
                if not stale or self.refresh_in_background:
                    value: T = found[1]
                    return value
        # Computed outside the lock: two threads may both compute a cold value, which is harmless.
        value = compute(store)
        self._put(full, version, value)
        return value

    def _put(self, full: tuple[Any, ...], version: tuple[int, int], value: Any) -> None:
        with self._lock:
            self.computed += 1
            self._entries[full] = (version, value)
            self._entries.move_to_end(full)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def _refresh(
        self, path: Any, full: tuple[Any, ...], version: tuple[int, int], compute: Callable[[Store], T]
    ) -> None:
        from marsad.corpus.store import Store

        try:
            # A connection belongs to the thread that opened it: the refresh opens its own.
            with Store.open(path) as store:
                self._put(full, version, compute(store))
        finally:
            with self._lock:
                self._refreshing.discard(full)


# -- time buckets ------------------------------------------------------------------------------


def _bucket_for(first: str | None, last: str | None) -> str:
    """Days for a corpus spanning three months or less, weeks up to three years, else months."""
    try:
        start, end = date.fromisoformat((first or "")[:10]), date.fromisoformat((last or "")[:10])
    except ValueError:
        return "month"
    days = (end - start).days
    return "day" if days <= 92 else "week" if days <= 3 * 366 else "month"


def _bucket(day: str | None, bucket: str) -> str | None:
    key = bucket_of(day, bucket)
    return None if key == UNDATED else key


def bucket_counts(rows: list[tuple[str | None, int]], *, bucket: str | None = None) -> list[tuple[str, int]]:
    """Per-day ``(YYYY-MM-DD, count)`` rows regrouped into day, week or month buckets, in order.

    Undated rows are left out; the bucket is chosen from the span of the dates when not given.
    """
    days = sorted(day for day, _ in rows if day)
    if not days:
        return []
    bucket = bucket or _bucket_for(days[0], days[-1])
    totals: dict[str, int] = defaultdict(int)
    for day, count in rows:
        key = _bucket(day, bucket)
        if key is not None:
            totals[key] += int(count)
    return sorted(totals.items())


# -- corpus-wide ------------------------------------------------------------------------------


def overview(store: Store) -> dict[str, Any]:
    """Article count, outlet count and the span of publication dates."""
    row = store.connection.execute(
        "SELECT COUNT(*), COUNT(DISTINCT outlet), MIN(published), MAX(published) FROM articles"
    ).fetchone()
    return {"articles": int(row[0]), "outlets": int(row[1]), "first": row[2], "last": row[3]}


def volume(store: Store) -> list[tuple[str, int]]:
    """Articles per period over the whole corpus."""
    rows = store.connection.execute(
        "SELECT substr(published, 1, 10), COUNT(*) FROM articles GROUP BY substr(published, 1, 10)"
    ).fetchall()
    return bucket_counts(rows)


def top_actors(store: Store, *, limit: int = 15) -> list[dict[str, Any]]:
    """The actors named in the most articles, with their mentions and mean tone."""
    rows = store.connection.execute(
        "SELECT actor, COUNT(*), SUM(mentions), AVG(tone) FROM article_actors "
        "GROUP BY actor ORDER BY COUNT(*) DESC, actor LIMIT ?",
        (limit,),
    ).fetchall()
    return [
        {"id": actor, "articles": int(articles), "mentions": int(mentions or 0), "tone": float(tone or 0.0)}
        for actor, articles, mentions, tone in rows
    ]


def outlet_counts(store: Store) -> list[dict[str, Any]]:
    """Every outlet with its article count and publication span, largest first (index only)."""
    return [
        {
            "outlet": row["outlet"],
            "articles": row["articles"],
            "first": row["first_published"],
            "last": row["last_published"],
        }
        for row in list_outlets(store)
    ]


def outlet_propaganda(store: Store) -> list[dict[str, Any]]:
    """Every outlet with its article count and mean article propaganda score, largest first.

    Reads every article row (the score is not indexed): keep the result cached.
    """
    rows = store.connection.execute(
        "SELECT outlet, COUNT(*), AVG(propaganda) FROM articles "
        "WHERE outlet IS NOT NULL GROUP BY outlet ORDER BY COUNT(*) DESC, outlet"
    ).fetchall()
    return [
        {"outlet": outlet, "articles": int(count), "propaganda": float(mean or 0.0)}
        for outlet, count, mean in rows
    ]


def technique_counts(store: Store) -> list[tuple[str, int]]:
    """Each technique found in the corpus and the number of articles carrying it, commonest first."""
    rows = store.connection.execute(
        "SELECT technique, COUNT(*) FROM article_techniques GROUP BY technique ORDER BY COUNT(*) DESC, technique"
    ).fetchall()
    return [(technique, int(count)) for technique, count in rows]


def _first_of(members: list[dict[str, Any]]) -> dict[str, Any]:
    # As the syndication module orders a cluster: by publication time, undated last, then storage order.
    return min(members, key=lambda row: (row["published"] is None, row["published"] or "", row["rid"]))


def most_copied(store: Store, *, limit: int = 10) -> list[dict[str, Any]]:
    """The largest copy clusters: their first appearance, size and number of outlets."""
    connection = store.connection
    clusters = connection.execute(
        "SELECT cluster, COUNT(*) FROM clusters GROUP BY cluster ORDER BY COUNT(*) DESC, cluster LIMIT ?",
        (limit,),
    ).fetchall()
    stories = []
    for cluster, size in clusters:
        members = [
            {"rid": rid, "id": article_id, "outlet": outlet, "title": title, "published": published}
            for rid, article_id, outlet, title, published in connection.execute(
                "SELECT a.rid, a.id, a.outlet, a.title, a.published FROM clusters c "
                "JOIN articles a ON a.rid = c.article WHERE c.cluster = ?",
                (cluster,),
            )
        ]
        if not members:
            continue
        stories.append(
            {
                "first": _first_of(members),
                "size": int(size),
                "outlets": len({member["outlet"] for member in members}),
            }
        )
    return stories


def copy_edges(store: Store) -> list[tuple[str, str, int]]:
    """The copy network: (outlet first published, outlet that copied, copies), heaviest first."""
    groups: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for cluster, rid, outlet, published in store.connection.execute(
        "SELECT c.cluster, a.rid, a.outlet, a.published FROM clusters c JOIN articles a ON a.rid = c.article"
    ):
        groups[cluster].append({"rid": rid, "outlet": outlet or "", "published": published})
    weights: dict[tuple[str, str], int] = defaultdict(int)
    for members in groups.values():
        first = _first_of(members)
        for member in members:
            if member is not first:
                weights[(first["outlet"], member["outlet"])] += 1
    return sorted(
        ((source, target, count) for (source, target), count in weights.items()),
        key=lambda edge: (-edge[2], edge[0], edge[1]),
    )


# -- one outlet, one article -------------------------------------------------------------------


def outlet_volume(store: Store, outlet: str) -> list[tuple[str, int, float]]:
    """Per day: the outlet's articles and their mean propaganda score."""
    rows = store.connection.execute(
        "SELECT substr(published, 1, 10), COUNT(*), AVG(propaganda) FROM articles "
        "WHERE outlet = ? AND published IS NOT NULL GROUP BY substr(published, 1, 10) "
        "ORDER BY substr(published, 1, 10)",
        (outlet,),
    ).fetchall()
    return [(day, int(count), float(mean or 0.0)) for day, count, mean in rows]


def latest_articles(store: Store, *, outlet: str | None = None, limit: int = 10) -> list[dict[str, Any]]:
    """The newest dated articles, of one outlet or of the whole corpus."""
    # Undated articles cannot be placed among the newest; leaving them out also keeps NULL
    # ordering (last in SQLite, first in PostgreSQL) out of it, and the date index in use.
    where, params = ("AND outlet = ? ", [outlet]) if outlet is not None else ("", [])
    rows = store.connection.execute(
        f"SELECT id, title, outlet, published, propaganda FROM articles WHERE published IS NOT NULL {where}"
        "ORDER BY published DESC, rid DESC LIMIT ?",
        (*params, limit),
    ).fetchall()
    return [
        {"id": i, "title": t, "outlet": o, "published": p, "propaganda": float(s or 0.0)}
        for i, t, o, p, s in rows
    ]


def story(store: Store, article_id: str) -> dict[str, Any]:
    """The article's copy cluster in publication order, and the articles it shares passages with.

    Returns ``{"members": [...], "reuses": [...]}``; members hold ``id, outlet, title,
    published, rid`` and ``current`` (the asked article); reuses add ``share`` (of this article's
    text) and ``other_share``. Both are empty for an unknown id.
    """
    connection = store.connection
    row = connection.execute("SELECT rid FROM articles WHERE id = ?", (article_id,)).fetchone()
    if row is None:
        return {"members": [], "reuses": []}
    rid = int(row[0])
    columns = "a.rid, a.id, a.outlet, a.title, a.published"

    def as_dict(values: tuple[Any, ...]) -> dict[str, Any]:
        member_rid, member_id, outlet, title, published = values
        return {
            "rid": member_rid,
            "id": member_id,
            "outlet": outlet,
            "title": title,
            "published": published,
            "current": member_rid == rid,
        }

    members = [
        as_dict(values)
        for values in connection.execute(
            f"SELECT {columns} FROM clusters c JOIN clusters m ON m.cluster = c.cluster "
            "JOIN articles a ON a.rid = m.article WHERE c.article = ?",
            (rid,),
        )
    ]
    members.sort(key=lambda item: (item["published"] is None, item["published"] or "", item["rid"]))
    reuses = []
    for a, b, share_a, share_b in connection.execute(
        "SELECT a, b, share_a, share_b FROM reuse_pairs WHERE a = ? OR b = ?", (rid, rid)
    ).fetchall():
        other = b if a == rid else a
        found = connection.execute(f"SELECT {columns} FROM articles a WHERE a.rid = ?", (other,)).fetchone()
        if found is None:
            continue
        entry = as_dict(found)
        entry["share"] = float(share_a if a == rid else share_b)
        entry["other_share"] = float(share_b if a == rid else share_a)
        reuses.append(entry)
    reuses.sort(key=lambda item: (item["published"] is None, item["published"] or "", item["rid"]))
    return {"members": members, "reuses": reuses}
