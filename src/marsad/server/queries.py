"""The SQL behind the API's listings and timelines, over the corpus tables of ``marsad.corpus.store``.

Plain SQL that SQLite and PostgreSQL both run (``substr``, ``COUNT``, ``IN (SELECT ...)``), with
``?`` placeholders as the store's connection takes them. Every filter is written so that an
index of the store can serve it: ``articles (published)``, ``articles (outlet, published)`` and
the primary keys of ``article_actors`` and ``article_techniques``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from marsad.corpus.profiles import UNDATED, bucket_of
from marsad.corpus.store import Store
from marsad.errors import MarsadError

__all__ = [
    "BUCKETS",
    "Filters",
    "actor_series",
    "bucket_of",
    "count_articles",
    "date_range",
    "list_actors",
    "list_articles",
    "list_outlets",
    "volume",
]

BUCKETS = ("day", "week", "month")
# Counting more matches than this for a page's "total" costs more than it tells.
COUNT_CAP = 10_000

_PERIOD = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")


def _next_prefix(value: str) -> str:
    """The first ISO prefix after the period ``value`` (a year, a month or a day)."""
    if len(value) == 4:
        return f"{int(value) + 1:04d}"
    if len(value) == 7:
        year, month = int(value[:4]), int(value[5:7])
        return f"{year + month // 12:04d}-{month % 12 + 1:02d}"
    return (date.fromisoformat(value) + timedelta(days=1)).isoformat()


def date_range(since: str | None, until: str | None) -> tuple[str | None, str | None, bool]:
    """Bounds for ``published``: (lower inclusive, upper, whether upper is exclusive).

    ``since`` and ``until`` are inclusive: a year, a month, a day or a full timestamp.
    Raises E301 for anything else.
    """
    for name, value in (("since", since), ("until", until)):
        if value is not None and not _is_date(value):
            raise MarsadError(
                "E301", f"{name} must be an ISO 8601 date (2026, 2026-04, 2026-04-14), got {value!r}"
            )
    if until is not None and _PERIOD.match(until):
        # Inclusive period: every timestamp of that day (month, year) sorts before the next one.
        return since, _next_prefix(until), True
    return since, until, False


def _is_date(value: str) -> bool:
    try:
        if _PERIOD.match(value):
            date.fromisoformat(value + "-01-01"[len(value) - 4 :] if len(value) < 10 else value)
        elif len(value) < 11 or value[4] + value[7] != "--":
            # Stored dates are extended ISO strings; a basic form ("20260101") would compare wrongly.
            return False
        else:
            datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


@dataclass(frozen=True, slots=True)
class Filters:
    """What a listing keeps; every field is optional."""

    outlet: str | None = None
    since: str | None = None
    until: str | None = None
    actor: str | None = None
    technique: str | None = None
    min_propaganda: float | None = None

    def where(self, *, rare: frozenset[str] = frozenset()) -> tuple[str, list[Any]]:
        """The WHERE clause (empty or starting with ' WHERE') over ``articles a``, and its parameters.

        ``rare`` names the span filters ("actor", "technique") whose value few articles hold:
        those are read as a set of articles to sort; the others are checked row by row while
        the date index is walked in order, which stops as soon as a page is full.
        """
        clauses: list[str] = []
        params: list[Any] = []
        if self.outlet is not None:
            clauses.append("a.outlet = ?")
            params.append(self.outlet)
        lower, upper, exclusive = date_range(self.since, self.until)
        if lower is not None:
            clauses.append("a.published >= ?")
            params.append(lower)
        if upper is not None:
            clauses.append("a.published < ?" if exclusive else "a.published <= ?")
            params.append(upper)
        for name, value in (("actor", self.actor), ("technique", self.technique)):
            if value is None:
                continue
            table, column = _SPAN_TABLES[name]
            if name in rare:
                clauses.append(f"a.rid IN (SELECT x.article FROM {table} x WHERE x.{column} = ?)")
            else:
                clauses.append(f"EXISTS (SELECT 1 FROM {table} x WHERE x.{column} = ? AND x.article = a.rid)")
            params.append(value)
        if self.min_propaganda is not None:
            clauses.append("a.propaganda >= ?")
            params.append(float(self.min_propaganda))
        return (" WHERE " + " AND ".join(clauses)) if clauses else "", params

    def rare(self, store: Store) -> frozenset[str]:
        """The span filters whose value at most ``RARE`` articles hold (a bounded count each)."""
        found = set()
        for name, value in (("actor", self.actor), ("technique", self.technique)):
            if value is None:
                continue
            table, column = _SPAN_TABLES[name]
            (count,) = store.connection.execute(
                f"SELECT COUNT(*) FROM (SELECT 1 FROM {table} WHERE {column} = ? LIMIT ?) held",
                (value, RARE + 1),
            ).fetchone()
            if int(count) <= RARE:
                found.add(name)
        return frozenset(found)


# filter -> (table, column) of the spans it looks in
_SPAN_TABLES = {"actor": ("article_actors", "actor"), "technique": ("article_techniques", "technique")}
# Up to this many articles, sorting a filter's articles beats walking the date index to find them.
RARE = 2_000

_SUMMARY_COLUMNS = "a.id, a.title, a.outlet, a.published, a.url, a.language, a.propaganda, a.vague_sourcing"
_SUMMARY_KEYS = ("id", "title", "outlet", "published", "url", "language", "propaganda", "vague_sourcing")


def count_articles(store: Store, filters: Filters, *, cap: int = COUNT_CAP) -> tuple[int, bool]:
    """How many articles ``filters`` keep, counting at most ``cap`` (then the flag is true)."""
    clause, params = filters.where(rare=filters.rare(store))
    if not clause:
        return len(store), False
    spans = [name for name in ("actor", "technique") if getattr(filters, name) is not None]
    if filters == Filters(**{name: getattr(filters, name) for name in spans}) and len(spans) == 1:
        # One span filter alone: its table's primary key counts it exactly, without the articles.
        table, column = _SPAN_TABLES[spans[0]]
        (total,) = store.connection.execute(
            f"SELECT COUNT(*) FROM {table} WHERE {column} = ?", (getattr(filters, spans[0]),)
        ).fetchone()
        return int(total), False
    (total,) = store.connection.execute(
        f"SELECT COUNT(*) FROM (SELECT 1 FROM articles a{clause} LIMIT ?) kept", (*params, cap + 1)
    ).fetchone()
    return (cap, True) if int(total) > cap else (int(total), False)


def list_articles(store: Store, filters: Filters, *, limit: int, offset: int) -> list[dict[str, Any]]:
    """A page of article summaries, newest first, undated articles last, in a stable order."""
    clause, params = filters.where(rare=filters.rare(store))
    connection = store.connection
    joiner = " AND " if clause else " WHERE "
    # Dated and undated articles are read apart: "published DESC, rid DESC" alone is the order
    # of the date index, so a page is an index walk, not a sort of the whole corpus.
    rids = [
        rid
        for (rid,) in connection.execute(
            f"SELECT a.rid FROM articles a{clause}{joiner}a.published IS NOT NULL "
            "ORDER BY a.published DESC, a.rid DESC LIMIT ? OFFSET ?",
            (*params, limit, offset),
        )
    ]
    if len(rids) < limit:
        (dated,) = connection.execute(
            f"SELECT COUNT(*) FROM articles a{clause}{joiner}a.published IS NOT NULL", params
        ).fetchone()
        rids += [
            rid
            for (rid,) in connection.execute(
                f"SELECT a.rid FROM articles a{clause}{joiner}a.published IS NULL "
                "ORDER BY a.rid DESC LIMIT ? OFFSET ?",
                (*params, limit - len(rids), max(0, offset - int(dated))),
            )
        ]
    if not rids:
        return []
    placeholders = ",".join("?" * len(rids))
    rows = {
        row[0]: row[1:]
        for row in connection.execute(
            f"SELECT a.rid, {_SUMMARY_COLUMNS} FROM articles a WHERE a.rid IN ({placeholders})", rids
        )
    }
    return [dict(zip(_SUMMARY_KEYS, rows[rid], strict=True)) for rid in rids]


def list_outlets(store: Store) -> list[dict[str, Any]]:
    """Every outlet with its number of articles and its first and last publication."""
    rows = store.connection.execute(
        "SELECT outlet, COUNT(*), MIN(published), MAX(published) FROM articles "
        "WHERE outlet IS NOT NULL GROUP BY outlet ORDER BY COUNT(*) DESC, outlet"
    ).fetchall()
    return [
        {"outlet": outlet, "articles": int(count), "first_published": first, "last_published": last}
        for outlet, count, first, last in rows
    ]


def list_actors(store: Store) -> list[dict[str, Any]]:
    """Every actor id with the number of articles naming it and its mentions, most named first."""
    rows = store.connection.execute(
        "SELECT actor, COUNT(*), SUM(mentions), AVG(tone) FROM article_actors "
        "GROUP BY actor ORDER BY COUNT(*) DESC, actor"
    ).fetchall()
    return [
        {
            "id": actor,
            "articles": int(count),
            "mentions": int(mentions or 0),
            "tone": None if tone is None else round(float(tone), 4),
        }
        for actor, count, mentions, tone in rows
    ]


def outlet_exists(store: Store, outlet: str) -> bool:
    row = store.connection.execute("SELECT 1 FROM articles WHERE outlet = ? LIMIT 1", (outlet,)).fetchone()
    return row is not None


def actor_exists(store: Store, actor: str) -> bool:
    row = store.connection.execute(
        "SELECT 1 FROM article_actors WHERE actor = ? LIMIT 1", (actor,)
    ).fetchone()
    return row is not None


def _period_order(key: str) -> tuple[bool, str]:
    return (key == UNDATED, key)


def volume(store: Store, *, bucket: str, filters: Filters, by_outlet: bool = False) -> list[dict[str, Any]]:
    """Articles per period (day, week or month), for all outlets together or one series per outlet.

    The database counts per day (an index scan); periods are folded here, so a week is an ISO week
    whichever database runs the query.
    """
    if bucket not in BUCKETS:
        raise MarsadError("E301", f"bucket must be one of {', '.join(BUCKETS)}, got {bucket!r}")
    clause, params = filters.where()
    group = "a.outlet, " if by_outlet else ""
    rows = store.connection.execute(
        f"SELECT {group}substr(a.published, 1, 10) AS day, COUNT(*) FROM articles a{clause} "
        f"GROUP BY {group}substr(a.published, 1, 10)",
        params,
    ).fetchall()
    series: dict[str | None, dict[str, int]] = {}
    for row in rows:
        outlet, day, count = row if by_outlet else (None, *row)
        periods = series.setdefault(outlet, {})
        key = bucket_of(day, bucket)
        periods[key] = periods.get(key, 0) + int(count)
    result = []
    for outlet, periods in series.items():
        points = [{"period": key, "articles": periods[key]} for key in sorted(periods, key=_period_order)]
        entry: dict[str, Any] = {"outlet": outlet} if by_outlet else {}
        entry.update({"articles": sum(periods.values()), "points": points})
        result.append(entry)
    if by_outlet:
        result.sort(key=lambda entry: (-entry["articles"], entry["outlet"] or ""))
    return result


def actor_series(store: Store, actor: str, *, bucket: str, outlet: str | None = None) -> list[dict[str, Any]]:
    """Articles naming ``actor``, its mentions and the mean tone toward it, per period."""
    if bucket not in BUCKETS:
        raise MarsadError("E301", f"bucket must be one of {', '.join(BUCKETS)}, got {bucket!r}")
    sql = (
        "SELECT a.published, x.mentions, x.tone FROM article_actors x JOIN articles a ON a.rid = x.article "
        "WHERE x.actor = ?"
    )
    params: list[Any] = [actor]
    if outlet is not None:
        sql += " AND a.outlet = ?"
        params.append(outlet)
    periods: dict[str, list[float]] = {}
    for published, mentions, tone in store.connection.execute(sql, params):
        entry = periods.setdefault(bucket_of(published, bucket), [0, 0, 0.0])
        entry[0] += 1
        entry[1] += int(mentions)
        entry[2] += float(tone)
    return [
        {
            "period": key,
            "articles": int(periods[key][0]),
            "mentions": int(periods[key][1]),
            "tone": round(periods[key][2] / periods[key][0], 4),
        }
        for key in sorted(periods, key=_period_order)
    ]
