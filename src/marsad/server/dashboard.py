"""The dashboard pages, rendered on the server: overview, search, article, outlet and actor.

Every page is plain HTML with one stylesheet and no script, in right-to-left Arabic by default
and in English with ``?lang=en`` (kept in every link). Templates autoescape everything; the few
fragments built here in Python (highlighted text, charts) escape each piece of article data.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from html import escape as _e
from importlib import resources
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup, escape

from marsad.corpus.profiles import actor_profile, outlet_profile
from marsad.corpus.search import MARKERS, SearchResults, search
from marsad.corpus.syndication import delay_hours
from marsad.document import Article, Span
from marsad.errors import MarsadError
from marsad.report.common import excerpt
from marsad.server import charts, pages_data
from marsad.server.app import store_of
from marsad.server.i18n import COARSE_CLASSES, Words, actor_name, coarse_of, gazetteer_names, words_for

__all__ = ["Page", "highlight_text", "install"]

# Ten hits a page: each hit's snippet costs milliseconds of tokenising.
PAGE_SIZE = 10
# Deeper result pages are not offered: ranking cost grows with the offset.
MAX_PAGE = 50
_ENVIRONMENT = Environment(
    loader=PackageLoader("marsad.server", "templates"),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
CACHE = pages_data.PageCache()


# -- what every page needs ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Page:
    """The language of one request and the helpers its template uses to write links and values."""

    words: Words

    @property
    def lang(self) -> str:
        return self.words.lang

    def url(self, path: str, **params: Any) -> str:
        """A dashboard link that keeps the language; empty parameters are left out."""
        kept = {key: value for key, value in params.items() if value not in (None, "")}
        if self.lang == "en":
            kept["lang"] = "en"
        return path + ("?" + urlencode(kept) if kept else "")

    def switch_url(self, request: Request) -> str:
        """The same page in the other language."""
        params = [(key, value) for key, value in request.query_params.multi_items() if key != "lang"]
        if self.lang == "ar":
            params.append(("lang", "en"))
        query = urlencode(params)
        # Percent-encoded, and never "//host": a crafted path must not turn the link into another site.
        path = "/" + quote(request.url.path, safe="/").lstrip("/")
        return path + ("?" + query if query else "")

    def actor_url(self, actor_id: str) -> str:
        return self.url("/actor/" + quote(actor_id, safe=""))

    def outlet_url(self, outlet: str) -> str:
        return self.url("/outlet/" + quote(outlet, safe=""))

    def article_url(self, article_id: str) -> str:
        return self.url("/article/" + quote(article_id, safe=""))

    def actor_name(self, actor_id: str, name_ar: str | None = None, name_en: str | None = None) -> str:
        return actor_name(actor_id, self.lang, name_ar=name_ar, name_en=name_en)


def num(value: float | int | None, digits: int | None = None) -> Markup:
    """A number that reads left to right inside right-to-left text."""
    if value is None:
        return Markup('<bdi dir="ltr" class="num">–</bdi>')
    if digits is None:
        shown = f"{value:,}" if isinstance(value, int) else f"{value:,.2f}"
    else:
        shown = f"{value:,.{digits}f}"
    return Markup('<bdi dir="ltr" class="num">{}</bdi>').format(shown)


def signed(value: float | None) -> Markup:
    if value is None:
        return num(None)
    # Adding 0.0 turns a rounded -0.0 into 0.0, so a tone of -0.001 reads +0.00, not -0.00.
    return Markup('<bdi dir="ltr" class="num">{}</bdi>').format(f"{round(value, 2) + 0.0:+.2f}")


def quantity(value: Any) -> Markup:
    """A claim's value: numbers with thousands separators, anything else as written; left to right."""
    if isinstance(value, bool) or value is None:
        shown = "–" if value is None else str(value)
    elif isinstance(value, int):
        shown = f"{value:,}"
    elif isinstance(value, float):
        shown = f"{value:,.0f}" if value.is_integer() else f"{value:,}"
    else:
        shown = str(value)
    return Markup('<bdi dir="ltr" class="num">{}</bdi>').format(shown)


def percent(value: float) -> Markup:
    return Markup('<bdi dir="ltr" class="num">{}</bdi>').format(f"{100 * value:.1f}%")


def when(value: str | None, *, time_of_day: bool = True) -> Markup:
    """A publication date as a ``<time>`` element that reads left to right."""
    if not value:
        return Markup("")
    shown = value[:16].replace("T", " ") if time_of_day else value[:10]
    return Markup('<time dir="ltr" datetime="{}">{}</time>').format(value, shown)


def external_url(url: str | None) -> str | None:
    """``url`` when it is a plain web address; None for ``javascript:``, ``data:`` and the like."""
    if not url:
        return None
    try:
        scheme = urlsplit(url.strip()).scheme.lower()
    except ValueError:
        return None
    return url.strip() if scheme in ("http", "https") else None


def snippet_html(snippet: str) -> Markup:
    """A search snippet with its match markers turned into ``<mark>``, every piece escaped."""
    opening, closing = MARKERS
    parts: list[Markup] = []
    for index, piece in enumerate(snippet.split(opening)):
        if index == 0:
            parts.append(escape(piece))
            continue
        matched, _, rest = piece.partition(closing)
        parts.append(Markup("<mark>{}</mark>{}").format(matched, rest))
    return Markup("").join(parts)


_ENVIRONMENT.globals.update(
    num=num,
    signed=signed,
    percent=percent,
    quantity=quantity,
    when=when,
    external_url=external_url,
    snippet_html=snippet_html,
    meter=charts.meter,
    tone_bar=charts.tone_bar,
    COARSE_CLASSES=COARSE_CLASSES,
)


def _page(request: Request) -> Page:
    return Page(words_for(request.query_params.get("lang")))


def _render(
    request: Request, page: Page, template: str, *, status_code: int = 200, **context: Any
) -> HTMLResponse:
    html = _ENVIRONMENT.get_template(template).render(
        page=page, t=page.words, switch_url=page.switch_url(request), path=request.url.path, **context
    )
    return HTMLResponse(html, status_code=status_code)


def _not_found(request: Request, page: Page, message_key: str) -> HTMLResponse:
    return _render(
        request,
        page,
        "not_found.html",
        status_code=404,
        heading=page.words("not_found"),
        message=page.words(message_key),
        detail=None,
    )


# -- the article text ---------------------------------------------------------------------------


@dataclass(slots=True)
class _Group:
    """Overlapping persuasion spans drawn as one highlight."""

    start: int
    end: int
    spans: list[Span]


def _groups(spans: list[Span]) -> list[_Group]:
    groups: list[_Group] = []
    for span in sorted(spans, key=lambda item: (item.start, item.end)):
        if groups and span.start < groups[-1].end:
            groups[-1].end = max(groups[-1].end, span.end)
            groups[-1].spans.append(span)
        else:
            groups.append(_Group(span.start, span.end, [span]))
    return groups


def _strength(score: float) -> str:
    return "s3" if score >= 0.6 else "s2" if score >= 0.3 else "s1"


@lru_cache(maxsize=256)
def _technique_note(technique: str, lang: str) -> tuple[str, str]:
    """The escaped opening and closing of one technique's tooltip entry (its score goes between)."""
    words = words_for(lang)
    opening = (
        f'<span class="tip-item"><span class="tip-name">{_e(words.technique(technique))}</span> '
        f'<span class="tip-class">{_e(words.coarse(coarse_of(technique)))}</span> '
        f'<span class="tip-score">{_e(words("score"))} <bdi dir="ltr" class="num">'
    )
    closing = f'</bdi></span><span class="tip-def">{_e(words.definition(technique))}</span></span>'
    return opening, closing


def _tooltip(group: _Group, lang: str, tip_id: str) -> str:
    best: dict[str, float] = {}
    for span in group.spans:
        best[span.label] = max(best.get(span.label, 0.0), span.score or 0.0)
    items = []
    for technique, score in sorted(best.items(), key=lambda item: (-item[1], item[0])):
        opening, closing = _technique_note(technique, lang)
        items.append(f"{opening}{score:.2f}{closing}")
    return f'<span class="tip" role="tooltip" id="{tip_id}">{"".join(items)}</span>'


def _covering(items: list[_Group] | list[Span], start: int, end: int) -> Any:
    """The first item covering ``[start, end)`` (items are few per paragraph)."""
    for item in items:
        if item.start <= start and item.end >= end:
            return item
    return None


def highlight_text(article: Article, page: Page) -> Markup:
    """The article body as paragraphs, persuasion spans highlighted by coarse class with a tooltip
    each (hover or keyboard focus), entities linked to their actor pages.

    Built as plain strings for speed (this is the costliest part of the article page): every piece
    of article data goes through ``_e`` (``html.escape`` with quotes) before it is joined.
    """
    text = article.text
    if not text:
        return Markup("")
    paragraphs = article.layer("paragraphs") or [Span(0, len(text), "paragraph")]
    groups = _groups(article.layer("persuasion"))
    entities = list(article.layer("entities"))
    counter = itertools.count(1)
    lang = page.lang
    flag_title = _e(page.words("paragraph_flagged"))
    html: list[str] = []
    for paragraph in paragraphs:
        p_start, p_end = paragraph.start, paragraph.end
        inside_groups = [g for g in groups if g.start < p_end and g.end > p_start]
        inside_entities = [e for e in entities if e.start < p_end and e.end > p_start]
        cuts = {p_start, p_end}
        for item in inside_groups:
            cuts.update(offset for offset in (item.start, item.end) if p_start < offset < p_end)
        for span in inside_entities:
            cuts.update(offset for offset in (span.start, span.end) if p_start < offset < p_end)
        pieces: list[tuple[int, int, _Group | None, Span | None]] = [
            (start, end, _covering(inside_groups, start, end), _covering(inside_entities, start, end))
            for start, end in itertools.pairwise(sorted(cuts))
        ]
        body: list[str] = []
        for _, run in itertools.groupby(pieces, key=lambda piece: id(piece[2]) if piece[2] else 0):
            run_pieces = list(run)
            inner = _entity_pieces(text, run_pieces, page)
            found = run_pieces[0][2]
            if found is None:
                body.append(inner)
                continue
            top = max(found.spans, key=lambda span: span.score or 0.0)
            coarse = coarse_of(top.label) or "Other"
            tip_id = f"tip{next(counter)}"
            body.append(
                f'<mark class="pz c-{coarse} {_strength(top.score or 0.0)}" tabindex="0" '
                f'aria-describedby="{tip_id}">{inner}{_tooltip(found, lang, tip_id)}</mark>'
            )
        classes = "para"
        flag = ""
        if paragraph.get("propagandistic"):
            classes += " flagged"
            flag = (
                f'<span class="para-flag" title="{flag_title}">'
                f'<bdi dir="ltr" class="num">{(paragraph.score or 0.0):.2f}</bdi></span>'
            )
        html.append(f'<p class="{classes}">{flag}{"".join(body).replace(chr(10), "<br>")}</p>')
    return Markup("\n".join(html))


def _entity_pieces(text: str, pieces: list[tuple[int, int, _Group | None, Span | None]], page: Page) -> str:
    out: list[str] = []
    for _, run in itertools.groupby(pieces, key=lambda piece: id(piece[3]) if piece[3] else 0):
        run_pieces = list(run)
        start, end = run_pieces[0][0], run_pieces[-1][1]
        surface = _e(text[start:end])
        span = run_pieces[0][3]
        if span is None:
            out.append(surface)
            continue
        label = _e(span.label)
        actor_id = span.get("actor")
        if actor_id:
            out.append(
                f'<a class="ent ent-{label}" href="{_e(page.actor_url(str(actor_id)))}" '
                f'title="{_e(page.actor_name(str(actor_id)))}">{surface}</a>'
            )
        else:
            out.append(f'<span class="ent ent-{label}">{surface}</span>')
    return "".join(out)


# -- the routes ----------------------------------------------------------------------------------


def _int_param(request: Request, name: str, default: int, *, low: int, high: int) -> int:
    try:
        value = int(request.query_params.get(name, default))
    except ValueError:
        return default
    return max(low, min(high, value))


# The overview's corpus-wide figures: cache key -> how to compute it.
OVERVIEW_PARTS: dict[str, Callable[[Any], Any]] = {
    "overview": pages_data.overview,
    "volume": pages_data.volume,
    "top_actors": lambda store: pages_data.top_actors(store, limit=15),
    "most_copied": lambda store: pages_data.most_copied(store, limit=10),
    "outlet_propaganda": pages_data.outlet_propaganda,
    "copy_edges": pages_data.copy_edges,
}


def overview_page(request: Request) -> HTMLResponse:
    page = _page(request)
    store = store_of(request)
    parts = {key: CACHE.get(store, (key,), compute) for key, compute in OVERVIEW_PARTS.items()}
    summary, volume, actors = parts["overview"], parts["volume"], parts["top_actors"]
    stories, outlets, edges = parts["most_copied"], parts["outlet_propaganda"], parts["copy_edges"]
    # Outlets with too few articles would top the ranking by chance.
    floor = max(1, min(20, summary["articles"] // 100))
    propagandistic = sorted(
        (item for item in outlets if item["articles"] >= floor), key=lambda item: -item["propaganda"]
    )[:10]
    words = page.words
    return _render(
        request,
        page,
        "overview.html",
        summary=summary,
        volume_chart=charts.column_chart(volume, label=words("volume"), width=1100, height=220),
        actors=actors,
        stories=stories,
        outlets=outlets,
        propagandistic=propagandistic,
        floor=floor,
        network=charts.network_chart(edges, label=words("copy_network"), href=page.outlet_url),
        latest=CACHE.get(store, ("latest",), lambda s: pages_data.latest_articles(s, limit=8)),
    )


def search_page(request: Request) -> HTMLResponse:
    page = _page(request)
    store = store_of(request)
    params = request.query_params
    form = {
        name: (params.get(name) or "").strip()
        for name in ("q", "outlet", "actor", "technique", "since", "until")
    }
    number = _int_param(request, "page", 1, low=1, high=MAX_PAGE)
    error = None
    results = None
    counts: dict[str, int] | None = None

    def run(*, limit: int, offset: int = 0) -> SearchResults:
        return search(
            store,
            form["q"],
            outlet=form["outlet"] or None,
            actor=form["actor"] or None,
            technique=form["technique"] or None,
            since=form["since"] or None,
            until=form["until"] or None,
            limit=limit,
            offset=offset,
        )

    try:
        results = run(limit=PAGE_SIZE, offset=(number - 1) * PAGE_SIZE)
        # Counts per outlet in the results come free when one page holds them all; a larger
        # result set would need a second search, so the facets then show corpus-wide counts.
        if not results.total_capped and results.total <= PAGE_SIZE and number == 1:
            counts = _outlet_counts([hit.outlet for hit in results.hits])
    except MarsadError as err:
        error = err.message
    outlets = CACHE.get(store, ("outlets",), lambda s: pages_data.outlet_counts(s))
    actors = CACHE.get(store, ("top_actors", 40), lambda s: pages_data.top_actors(s, limit=40))
    if form["actor"] and all(item["id"] != form["actor"] for item in actors):
        actors = [*actors, {"id": form["actor"], "articles": None}]
    techniques = CACHE.get(store, ("techniques",), lambda s: pages_data.technique_counts(s))
    pages = 0
    if results is not None:
        pages = min(MAX_PAGE, (results.total + PAGE_SIZE - 1) // PAGE_SIZE)
    return _render(
        request,
        page,
        "search.html",
        status_code=400 if error else 200,
        form=form,
        results=results,
        error=error,
        counts=counts,
        outlets=outlets,
        actors=actors,
        techniques=techniques,
        number=number,
        pages=pages,
        page_url=lambda target: page.url("/search", **form, page=target if target > 1 else None),
    )


def _outlet_counts(outlets: list[str | None]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for outlet in outlets:
        if outlet:
            counts[outlet] = counts.get(outlet, 0) + 1
    return counts


def _parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    # Mixed aware and naive stamps cannot be compared: drop the zone, as the delay computation does.
    return parsed.replace(tzinfo=None)


def article_page(request: Request) -> HTMLResponse:
    page = _page(request)
    store = store_of(request)
    article_id = request.path_params["article_id"]
    article = store.get(article_id)
    if article is None:
        return _not_found(request, page, "not_found_article")
    words = page.words
    text = article.text
    actors = sorted(article.actors, key=lambda actor: (-actor.mentions, actor.id))
    attributions = []
    for span in article.layer("attributions"):
        source = span.get("source")
        cue = span.get("cue") or {}
        attributions.append(
            {
                "kind": span.label,
                "source": excerpt(text, source, limit=60) if source else None,
                "vague": bool(source and source.get("vague")),
                "actor": source.get("actor") if source else None,
                "cue": excerpt(text, cue, limit=30) if cue else "",
                "cue_class": cue.get("class", ""),
                "content": excerpt(text, span.get("content") or span, limit=180),
            }
        )
    sentences = article.layer("sentences")
    claims = [
        {
            "kind": span.label,
            "surface": excerpt(text, span, limit=60),
            "value": span.get("value"),
            "unit": span.get("unit") or "",
            "checkworthiness": span.get("checkworthiness"),
        }
        for span in article.layer("claims")
    ]
    claims.sort(key=lambda item: -(item["checkworthiness"] or 0.0))
    worth = [
        {"score": item["score"], "sentence": excerpt(text, sentences[item["sentence"]], limit=240)}
        for item in (article.meta.extra.get("checkworthy") or [])[:5]
        if 0 <= item.get("sentence", -1) < len(sentences)
    ]
    technique_rows: dict[str, dict[str, Any]] = {}
    for span in article.layer("persuasion"):
        row = technique_rows.setdefault(span.label, {"technique": span.label, "spans": 0, "score": 0.0})
        row["spans"] += 1
        row["score"] = max(row["score"], span.score or 0.0)
    techniques = sorted(technique_rows.values(), key=lambda row: (-row["spans"], row["technique"]))
    found = story_of(store, article.id)
    return _render(
        request,
        page,
        "article.html",
        article=article,
        meta=article.meta,
        body=highlight_text(article, page),
        coarse_present=sorted({coarse_of(span.label) for span in article.layer("persuasion")} - {""}),
        actors=actors,
        attributions=attributions,
        claims=claims,
        worth=worth,
        techniques=techniques,
        story=found,
        timeline=_timeline(found, page, words),
    )


def story_of(store: Any, article_id: str) -> dict[str, Any]:
    return pages_data.story(store, article_id)


def _timeline(found: dict[str, Any], page: Page, words: Words) -> Markup:
    members = found["members"]
    if len(members) < 2:
        return Markup("")
    first = members[0]
    events = []
    for member in members:
        delay = delay_hours(first["published"], member["published"])
        # "h" in both languages: an Arabic unit beside a number in one SVG text run gets reordered.
        note = "" if member is first or delay is None else f"+{delay:.1f} h"
        events.append(
            charts.TimelineEvent(
                label=member["outlet"] or "?",
                when=_parse_time(member["published"]),
                href=page.article_url(member["id"]),
                first=member is first,
                current=bool(member["current"]),
                note=note,
            )
        )
    return charts.timeline_chart(events, label=words("story_copies"), width=1100)


def outlet_page(request: Request) -> HTMLResponse:
    page = _page(request)
    store = store_of(request)
    name = request.path_params["name"]
    try:
        profile = CACHE.get(store, ("outlet", name), lambda s: outlet_profile(s, name, top=12))
    except MarsadError:
        return _not_found(request, page, "not_found_outlet")
    words = page.words
    daily = CACHE.get(store, ("outlet_volume", name), lambda s: pages_data.outlet_volume(s, name))
    volume = pages_data.bucket_counts([(day, count) for day, count, _ in daily])
    edges = [(item["from"], name, item["copies"]) for item in profile["copies"]["made"] if item["copies"]] + [
        (name, item["by"], item["copies"]) for item in profile["copies"]["received"] if item["copies"]
    ]
    peak = max((item["article_share"] for item in profile["techniques"]), default=0.0)
    return _render(
        request,
        page,
        "outlet.html",
        profile=profile,
        name=name,
        volume_chart=charts.column_chart(volume, label=words("volume"), width=1100, height=220),
        network=charts.network_chart(
            edges, label=words("copy_network"), href=page.outlet_url, center=name, size=480
        ),
        technique_peak=peak or 1.0,
        latest=CACHE.get(
            store, ("latest", name), lambda s: pages_data.latest_articles(s, outlet=name, limit=8)
        ),
    )


def actor_page(request: Request) -> HTMLResponse:
    page = _page(request)
    store = store_of(request)
    actor_id = request.path_params["actor_id"]
    overview = CACHE.get(store, ("overview",), lambda s: pages_data.overview(s))
    bucket = pages_data._bucket_for(overview["first"], overview["last"])
    try:
        profile = CACHE.get(store, ("actor", actor_id), lambda s: actor_profile(s, actor_id, bucket=bucket))
    except MarsadError:
        return _not_found(request, page, "not_found_actor")
    words = page.words
    dated = [item for item in profile["timeline"] if item["period"] != "undated"]
    return _render(
        request,
        page,
        "actor.html",
        profile=profile,
        display_name=page.actor_name(actor_id, profile.get("name_ar"), profile.get("name_en")),
        mentions_chart=charts.column_chart(
            [(item["period"], item["articles"]) for item in dated],
            label=words("mentions_over_time"),
            width=560,
        ),
        tone_chart=charts.tone_chart(
            [(item["period"], item["tone"]) for item in dated], label=words("tone_over_time"), width=560
        ),
        outlet_peak=max((item["articles"] for item in profile["outlets"]), default=1),
    )


def page_error(request: Request, status: int, message: str) -> HTMLResponse:
    """An error outside the API (an unknown path, a wrong method) as a page in the reader's language."""
    page = _page(request)
    heading = page.words("not_found") if status == 404 else f"{status}"
    return _render(
        request, page, "not_found.html", status_code=status, heading=heading, message=message, detail=None
    )


def _warm_up(path: Any) -> None:
    """Build what the first requests would otherwise wait seconds for, beside the server's start:
    the gazetteer (actor names) and, on a large corpus, the overview's figures."""
    from marsad.corpus.store import Store

    gazetteer_names()
    with Store.open(path) as store:
        for key, compute in OVERVIEW_PARTS.items():
            CACHE.get(store, (key,), compute)


def install(app: FastAPI) -> None:
    """Add the dashboard's routes, static files and HTML error page to ``app``."""
    threading.Thread(
        target=_warm_up, args=(app.state.stores.path,), name="marsad-warm-up", daemon=True
    ).start()
    # The server's error handler renders errors outside /api/ with this instead of JSON.
    app.state.page_error = page_error
    static = resources.files("marsad.server").joinpath("static")
    app.mount("/static", StaticFiles(directory=str(static)), name="static")
    routes: list[tuple[str, Callable[[Request], HTMLResponse], str]] = [
        ("/", overview_page, "dashboard_overview"),
        ("/search", search_page, "dashboard_search"),
        ("/article/{article_id}", article_page, "dashboard_article"),
        ("/outlet/{name:path}", outlet_page, "dashboard_outlet"),
        ("/actor/{actor_id}", actor_page, "dashboard_actor"),
    ]
    for path, endpoint, name in routes:
        app.add_api_route(
            path, endpoint, methods=["GET"], response_class=HTMLResponse, include_in_schema=False, name=name
        )
