"""The JSON API under ``/api``: analyse, articles, search, copies, syndication, profiles, timelines.

Handlers are plain functions (FastAPI runs them in its thread pool, each thread with its own
store). Listings are indexed SQL from ``marsad.server.queries``; counts, search pages and the
heavy corpus views (profiles, the copy network, timelines) are cached per corpus state.
"""

from __future__ import annotations

import json
import logging
import threading
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Path, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from marsad import __version__
from marsad.corpus import profiles
from marsad.corpus import search as corpus_search
from marsad.corpus import syndication as corpus_syndication
from marsad.corpus.store import Store
from marsad.document import Article, Meta
from marsad.errors import Failure, MarsadError
from marsad.server import queries
from marsad.server.app import ApiError, StorePool, cached, require_token, store_of

__all__ = ["MAX_PAGE", "router", "warm"]

log = logging.getLogger("marsad.server")

# The largest page any listing returns; larger asks are refused, not silently cut.
MAX_PAGE = 100

router = APIRouter(prefix="/api")

Limit = Annotated[int, Query(ge=1, le=MAX_PAGE, description=f"Page size, 1 to {MAX_PAGE}.")]
Offset = Annotated[int, Query(ge=0, le=1_000_000, description="How many items to skip.")]
# Ranking cost grows with the offset: deep search pages are refused (narrow the query instead).
MAX_SEARCH_OFFSET = 1_000
SearchOffset = Annotated[
    int, Query(ge=0, le=MAX_SEARCH_OFFSET, description=f"How many hits to skip, at most {MAX_SEARCH_OFFSET}.")
]
OutletFilter = Annotated[str | None, Query(description="Only this outlet (as stored in meta.outlet).")]
Since = Annotated[
    str | None, Query(description="Published on or after: 2026, 2026-04, 2026-04-14 or a timestamp.")
]
Until = Annotated[str | None, Query(description="Published on or before (inclusive), same forms as since.")]
ActorFilter = Annotated[str | None, Query(description="Only articles naming this actor id (RUS, nato, ...).")]
TechniqueFilter = Annotated[
    str | None, Query(description="Only articles with this technique (Loaded_Language, ...).")
]
MinPropaganda = Annotated[
    float | None, Query(alias="min-propaganda", ge=0.0, le=1.0, description="Propaganda score at least this.")
]
Bucket = Annotated[str, Query(pattern="^(day|week|month)$", description="Period: day, week or month.")]

# The models of the default pipeline are not known to be safe to call from two threads at once.
_ANALYSIS_LOCK = threading.Lock()


def _encode(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, allow_nan=False, separators=(",", ":"))


def _json(data: Any) -> Response:
    """``data`` as a JSON response, encoded by ``json`` alone: FastAPI's generic encoder walks every
    value in Python first, which costs more than the query behind a large page."""
    return Response(_encode(data), media_type="application/json")


def _page(items: list[Any], *, total: int, limit: int, offset: int, capped: bool = False) -> dict[str, Any]:
    return {"total": total, "total_capped": capped, "limit": limit, "offset": offset, "items": items}


def _slice(items: list[Any], *, limit: int, offset: int) -> dict[str, Any]:
    return _page(items[offset : offset + limit], total=len(items), limit=limit, offset=offset)


# -- health ---------------------------------------------------------------------------------------


@router.get("/health", summary="Whether the server is up, and the size of its corpus")
def health(request: Request) -> Response:
    store = store_of(request)
    articles = cached(request.app, ("size",), lambda: len(store))
    return _json(
        {
            "status": "ok",
            "version": __version__,
            "articles": articles,
            "schema": store.schema_version,
            # True while the start-up warm-up still computes the heavy views (they answer slower).
            "warming": bool(getattr(request.app.state, "warming", False)),
        }
    )


# -- analyse ----------------------------------------------------------------------------------------


class AnalyzeRequest(BaseModel):
    """One document to analyse: ``text`` or ``html``, and what is known about it."""

    model_config = ConfigDict(extra="forbid")

    text: str | None = Field(default=None, description="The article body as plain text.")
    html: str | None = Field(default=None, description="A whole HTML page; its article body is extracted.")
    url: str | None = Field(
        default=None, description="Where the document came from; recorded, never fetched."
    )
    title: str | None = None
    outlet: str | None = None
    published: str | None = Field(default=None, description="ISO 8601 date or timestamp.")
    author: str | None = None
    store: bool = Field(default=False, description="Also store the analysed article in the corpus.")


def _article_of(body: AnalyzeRequest) -> Article:
    if body.text is not None and body.html is not None:
        raise ApiError("E603", "send either 'text' or 'html', not both", status=422)
    if body.text is None and body.html is None:
        if body.url:
            raise ApiError(
                "E603",
                "the server never fetches URLs: post the document itself as 'text' or 'html'",
                status=422,
            )
        raise ApiError("E603", "the body needs a 'text' or an 'html' field", status=422)
    given = {
        "title": body.title,
        "outlet": body.outlet,
        "url": body.url,
        "published": body.published,
        "author": body.author,
    }
    if body.html is not None:
        from marsad.ingest.html import extract_article

        extracted = extract_article(
            body.html.encode("utf-8"), source="request", url=body.url, charset="utf-8"
        )
        if isinstance(extracted, Failure):
            raise extracted.error
        # What the client says about the document wins over what the page says about itself.
        meta = extracted.meta.to_json()
        meta.update({key: value for key, value in given.items() if value is not None})
        return Article(text=extracted.text, meta=Meta.from_json(meta))
    text = body.text or ""
    if not text.strip():
        raise MarsadError("E102", "the text is empty")
    return Article(
        text=text,
        meta=Meta(
            title=body.title, outlet=body.outlet, url=body.url, published=body.published, author=body.author
        ),
    )


@router.post(
    "/analyze",
    summary="Analyse a posted text or HTML document",
    description="Returns the article JSON (marsad.article/1). Needs the bearer token when the server has one.",
    dependencies=[Depends(require_token)],
)
def analyze(request: Request, body: AnalyzeRequest) -> Response:
    from marsad.pipeline.runner import default_pipeline

    article = _article_of(body)
    with _ANALYSIS_LOCK:
        analysed = default_pipeline()(article)
    if body.store:
        store_of(request).upsert(analysed)
    return _json(analysed.to_json())


# -- articles ---------------------------------------------------------------------------------------


@router.get("/articles", summary="List articles, newest first, with filters")
def list_articles(
    request: Request,
    outlet: OutletFilter = None,
    since: Since = None,
    until: Until = None,
    actor: ActorFilter = None,
    technique: TechniqueFilter = None,
    min_propaganda: MinPropaganda = None,
    limit: Limit = 20,
    offset: Offset = 0,
) -> Response:
    store = store_of(request)
    filters = queries.Filters(
        outlet=outlet,
        since=since,
        until=until,
        actor=actor,
        technique=technique,
        min_propaganda=min_propaganda,
    )
    items = queries.list_articles(store, filters, limit=limit, offset=offset)
    # A count can scan the whole table (a score filter has no index): count once per corpus state.
    total, capped = cached(request.app, ("count", filters), lambda: queries.count_articles(store, filters))
    return _json(_page(items, total=total, limit=limit, offset=offset, capped=capped))


ArticleId = Annotated[str, Path(description="The article's id.")]


def _stored_json(request: Request, article_id: str) -> str:
    row = (
        store_of(request)
        .connection.execute("SELECT json FROM articles WHERE id = ?", (article_id,))
        .fetchone()
    )
    if row is None:
        raise ApiError("E601", f"no article with id {article_id!r} in the corpus")
    return str(row[0])


@router.get(
    "/articles/{article_id}",
    summary="One article in the article JSON contract (marsad.article/1)",
    response_class=Response,
    responses={200: {"content": {"application/json": {}}}},
)
def get_article(request: Request, article_id: ArticleId) -> Response:
    # The store keeps each article as its serialised contract: send it as stored, unparsed.
    return Response(_stored_json(request, article_id), media_type="application/json")


@router.get("/articles/{article_id}/copies", summary="The article's copy cluster and the passages it shares")
def article_copies(request: Request, article_id: ArticleId) -> Response:
    store = store_of(request)
    if store.rid_of(article_id) is None:
        raise ApiError("E601", f"no article with id {article_id!r} in the corpus")
    body: str = cached(
        request.app, ("copies", article_id), lambda: _encode(corpus_syndication.copies(store, article_id))
    )
    return Response(body, media_type="application/json")


# -- search -----------------------------------------------------------------------------------------


@router.get("/search", summary="Arabic-aware search, ranked, with highlighted snippets")
def search(
    request: Request,
    q: Annotated[str, Query(max_length=1000, description='The query: words, "phrases", AND, OR, NOT.')] = "",
    outlet: OutletFilter = None,
    since: Since = None,
    until: Until = None,
    actor: ActorFilter = None,
    technique: TechniqueFilter = None,
    min_propaganda: MinPropaganda = None,
    limit: Limit = 20,
    offset: SearchOffset = 0,
) -> Response:
    """Snippets hold the matched words between ``[[`` and ``]]``; ``highlights`` are their offsets
    in the article's text."""
    store = store_of(request)
    options: dict[str, Any] = {
        "outlet": outlet,
        "since": since,
        "until": until,
        "actor": actor,
        "technique": technique,
        "min_propaganda": min_propaganda,
        "limit": limit,
        "offset": offset,
    }
    # Ranking and snippets cost tens of milliseconds; the same page asked again is served from memory.
    body: str = cached(
        request.app,
        ("search", q, *sorted(options.items())),
        lambda: _encode(
            {**corpus_search.search(store, q, **options).to_json(), "markers": list(corpus_search.MARKERS)}
        ),
    )
    return Response(body, media_type="application/json")


# -- copies across the corpus -----------------------------------------------------------------------


@router.get("/syndication", summary="Copy clusters and the network of who republishes whom")
def syndication(
    request: Request, since: Since = None, until: Until = None, limit: Limit = 20, offset: Offset = 0
) -> Response:
    """``network`` is complete (one edge per source and copying outlet); ``clusters`` is a page."""
    queries.date_range(since, until)  # refuse a malformed date before the heavy work
    result = syndication_view(request.app, since=since, until=until)
    clusters = result["clusters"]
    return _json({"network": result["network"], "clusters": _slice(clusters, limit=limit, offset=offset)})


# -- outlets and actors -----------------------------------------------------------------------------


@router.get("/outlets", summary="Outlets with their number of articles")
def list_outlets(request: Request, limit: Limit = 20, offset: Offset = 0) -> Response:
    return _json(_slice(outlets_view(request.app), limit=limit, offset=offset))


OutletName = Annotated[str, Path(description="The outlet's name as stored in meta.outlet.")]


@router.get("/outlets/{outlet}", summary="An outlet's profile: techniques, sourcing, actors, copies")
def outlet_profile(
    request: Request, outlet: OutletName, top: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 10
) -> Response:
    store = store_of(request)
    if not queries.outlet_exists(store, outlet):
        raise _not_found(lambda: profiles.outlet_profile(store, outlet, top=top))
    return _json(outlet_view(request.app, outlet, top=top))


@router.get("/actors", summary="Actors named in the corpus, most named first")
def list_actors(request: Request, limit: Limit = 20, offset: Offset = 0) -> Response:
    return _json(_slice(actors_view(request.app), limit=limit, offset=offset))


ActorId = Annotated[str, Path(description="The actor id: RUS, nato, vladimir-putin, ...")]


@router.get(
    "/actors/{actor}", summary="An actor's profile: mentions and tone over time, outlets, co-mentions"
)
def actor_profile(
    request: Request,
    actor: ActorId,
    bucket: Annotated[str, Query(pattern="^(day|week|month|year)$")] = "month",
    top: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 10,
) -> Response:
    store = store_of(request)
    if not queries.actor_exists(store, actor):
        raise _not_found(lambda: profiles.actor_profile(store, actor, bucket=bucket, top=top))
    return _json(actor_view(request.app, actor, bucket=bucket, top=top))


def _not_found(explain: Any) -> ApiError:
    """A 404 carrying the corpus function's own message (it suggests close names)."""
    try:
        explain()
    except MarsadError as err:
        return ApiError("E601", err.message)
    return ApiError("E601", "not found in the corpus")


# -- timelines --------------------------------------------------------------------------------------


@router.get("/timeline", summary="Article volume per day, week or month")
def timeline(
    request: Request,
    bucket: Bucket = "day",
    outlet: OutletFilter = None,
    actor: ActorFilter = None,
    since: Since = None,
    until: Until = None,
    by: Annotated[
        str | None, Query(pattern="^outlet$", description="'outlet': one series per outlet.")
    ] = None,
) -> Response:
    """Without ``by``, one series; with ``by=outlet``, one per outlet, largest first."""
    filters = queries.Filters(outlet=outlet, actor=actor, since=since, until=until)
    filters.where()  # refuse a malformed date before looking in the cache
    series = volume_view(request.app, bucket=bucket, filters=filters, by_outlet=by == "outlet")
    if by == "outlet":
        return _json({"bucket": bucket, "series": series})
    points = series[0]["points"] if series else []
    return _json({"bucket": bucket, "articles": sum(point["articles"] for point in points), "points": points})


@router.get("/actors/{actor}/timeline", summary="Mentions of an actor and the tone toward it over time")
def actor_timeline(
    request: Request, actor: ActorId, bucket: Bucket = "week", outlet: OutletFilter = None
) -> Response:
    store = store_of(request)
    if not queries.actor_exists(store, actor):
        raise _not_found(lambda: profiles.actor_profile(store, actor))
    points = actor_series_view(request.app, actor, bucket=bucket, outlet=outlet)
    return _json({"actor": actor, "bucket": bucket, "outlet": outlet, "points": points})


# -- the heavy views, cached, shared by the handlers and the warm-up --------------------------------


def _store(app: FastAPI) -> Store:
    pool: StorePool = app.state.stores
    return pool.get()


def syndication_view(app: FastAPI, *, since: str | None = None, until: str | None = None) -> dict[str, Any]:
    store = _store(app)
    result: dict[str, Any] = cached(
        app,
        ("syndication", since, until),
        lambda: corpus_syndication.syndication(store, since=since, until=until),
        heavy=True,
    )
    return result


def outlets_view(app: FastAPI) -> list[dict[str, Any]]:
    store = _store(app)
    result: list[dict[str, Any]] = cached(app, ("outlets",), lambda: queries.list_outlets(store))
    return result


def actors_view(app: FastAPI) -> list[dict[str, Any]]:
    store = _store(app)
    result: list[dict[str, Any]] = cached(app, ("actors",), lambda: queries.list_actors(store))
    return result


def outlet_view(app: FastAPI, outlet: str, *, top: int = 10) -> dict[str, Any]:
    store = _store(app)
    result: dict[str, Any] = cached(
        app, ("outlet", outlet, top), lambda: profiles.outlet_profile(store, outlet, top=top), heavy=True
    )
    return result


def actor_view(app: FastAPI, actor: str, *, bucket: str = "month", top: int = 10) -> dict[str, Any]:
    store = _store(app)
    result: dict[str, Any] = cached(
        app,
        ("actor", actor, bucket, top),
        lambda: profiles.actor_profile(store, actor, bucket=bucket, top=top),
        heavy=True,
    )
    return result


def volume_view(
    app: FastAPI, *, bucket: str, filters: queries.Filters, by_outlet: bool
) -> list[dict[str, Any]]:
    store = _store(app)
    result: list[dict[str, Any]] = cached(
        app,
        ("timeline", bucket, filters, by_outlet),
        lambda: queries.volume(store, bucket=bucket, filters=filters, by_outlet=by_outlet),
        heavy=True,
    )
    return result


def actor_series_view(app: FastAPI, actor: str, *, bucket: str, outlet: str | None) -> list[dict[str, Any]]:
    store = _store(app)
    result: list[dict[str, Any]] = cached(
        app,
        ("actor-timeline", actor, bucket, outlet),
        lambda: queries.actor_series(store, actor, bucket=bucket, outlet=outlet),
        heavy=True,
    )
    return result


# Profiles of this many of the most named actors are computed by the warm-up.
WARM_ACTORS = 20


def warm(app: FastAPI) -> None:
    """Compute the heavy views of the default pages once, so that no visitor waits for them.

    Runs at start-up in a background thread when the server asks for it (``marsad serve``); a
    failure here is logged and left for the request that meets it again.
    """
    try:
        cached(app, ("size",), lambda: len(_store(app)))
        volume_view(app, bucket="day", filters=queries.Filters(), by_outlet=False)
        syndication_view(app)
        for entry in outlets_view(app):
            outlet_view(app, entry["outlet"])
        for entry in actors_view(app)[:WARM_ACTORS]:
            actor_view(app, entry["id"])
            actor_series_view(app, entry["id"], bucket="week", outlet=None)
    except Exception:
        log.exception("warming the caches failed; the views will be computed on request")
    finally:
        app.state.warming = False
