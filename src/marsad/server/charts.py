"""Charts drawn on the server as inline SVG: no script, no style attribute, every label escaped.

Colours and sizes are SVG presentation attributes (``fill=``, ``stroke=``), which a
Content-Security-Policy without ``'unsafe-inline'`` styles still allows. Time runs left to right
in both languages, as on a printed chart; labels are isolated so Arabic names keep their order.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from markupsafe import Markup, escape

__all__ = [
    "TimelineEvent",
    "column_chart",
    "meter",
    "network_chart",
    "timeline_chart",
    "tone_bar",
    "tone_chart",
]

INK = "#1f2933"
MUTED = "#7b8794"
GRID = "#e4e7eb"
ACCENT = "#0b6e69"
NEGATIVE = "#b83227"
POSITIVE = "#1e7b46"
FONT = "'Noto Naskh Arabic','Noto Sans Arabic','DejaVu Sans',sans-serif"


def _number(value: float) -> str:
    if value == int(value):
        return f"{int(value):,}"
    return f"{value:.2f}"


def _open(width: int, height: int, label: str, *, kind: str = "wide") -> str:
    return (
        f'<svg class="chart chart-{kind}" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="{escape(label)}" direction="ltr" '
        f'font-family="{FONT}" font-size="11">'
        f"<title>{escape(label)}</title>"
    )


def _tick_indexes(count: int, most: int) -> list[int]:
    if count <= most:
        return list(range(count))
    step = math.ceil(count / most)
    return list(range(0, count, step))


def column_chart(
    points: Sequence[tuple[str, float]],
    *,
    label: str,
    width: int = 720,
    height: int = 200,
    colour: str = ACCENT,
) -> Markup:
    """Vertical bars, one per ``(period, value)``, with a value axis and thinned period labels."""
    if not points:
        return Markup("")
    left, right, top, bottom = 44, 8, 10, 34
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = max(value for _, value in points) or 1.0
    slot = plot_w / len(points)
    bar = max(1.0, slot * 0.78)
    parts = [_open(width, height, label)]
    for fraction in (0.0, 0.5, 1.0):
        y = top + plot_h * (1 - fraction)
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" stroke="{GRID}"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" fill="{MUTED}">'
            f"{escape(_number(peak * fraction))}</text>"
        )
    for index, (period, value) in enumerate(points):
        h = plot_h * value / peak
        x = left + index * slot + (slot - bar) / 2
        parts.append(
            f'<rect x="{x:.1f}" y="{top + plot_h - h:.1f}" width="{bar:.1f}" height="{max(h, 0.5):.1f}" '
            f'fill="{colour}"><title>{escape(period)}: {escape(_number(value))}</title></rect>'
        )
    parts.extend(
        _period_labels([period for period, _ in points], left=left, slot=slot, y=height - bottom + 16)
    )
    parts.append("</svg>")
    return Markup("".join(parts))


def _period_labels(periods: Sequence[str], *, left: float, slot: float, y: float) -> list[str]:
    """At most eight evenly spread period labels under a chart's slots."""
    return [
        f'<text x="{left + index * slot + slot / 2:.1f}" y="{y}" text-anchor="middle" fill="{MUTED}">'
        f"{escape(periods[index])}</text>"
        for index in _tick_indexes(len(periods), 8)
    ]


def tone_chart(
    points: Sequence[tuple[str, float | None]], *, label: str, width: int = 720, height: int = 180
) -> Markup:
    """A line of mean tone in [-1, 1] per period, with the zero line; gaps where tone is unknown."""
    known = [(index, value) for index, (_, value) in enumerate(points) if value is not None]
    if not known:
        return Markup("")
    left, right, top, bottom = 44, 8, 10, 34
    plot_w, plot_h = width - left - right, height - top - bottom
    slot = plot_w / len(points)

    def y_of(value: float) -> float:
        return top + plot_h * (1 - (max(-1.0, min(1.0, value)) + 1) / 2)

    parts = [_open(width, height, label)]
    for value in (1.0, 0.0, -1.0):
        y = y_of(value)
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="{MUTED if value == 0 else GRID}"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" fill="{MUTED}">{"0" if value == 0 else f"{value:+.0f}"}</text>'
        )
    coordinates = [(left + index * slot + slot / 2, y_of(value)) for index, value in known]
    if len(coordinates) > 1:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coordinates)
        parts.append(f'<polyline points="{path}" fill="none" stroke="{ACCENT}" stroke-width="2"/>')
    for (index, value), (x, y) in zip(known, coordinates, strict=True):
        colour = POSITIVE if value > 0.1 else NEGATIVE if value < -0.1 else MUTED
        parts.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{colour}">'
            f"<title>{escape(points[index][0])}: {value:+.2f}</title></circle>"
        )
    parts.extend(
        _period_labels([period for period, _ in points], left=left, slot=slot, y=height - bottom + 16)
    )
    parts.append("</svg>")
    return Markup("".join(parts))


def meter(value: float, *, maximum: float = 1.0, width: int = 120, colour: str = ACCENT) -> Markup:
    """A small horizontal bar for ``value`` out of ``maximum``, for table cells."""
    share = 0.0 if maximum <= 0 else max(0.0, min(1.0, value / maximum))
    return Markup(
        f'<svg class="meter" xmlns="http://www.w3.org/2000/svg" width="{width}" height="10" '
        f'viewBox="0 0 {width} 10" aria-hidden="true">'
        f'<rect x="0" y="1" width="{width}" height="8" rx="2" fill="{GRID}"/>'
        f'<rect x="0" y="1" width="{width * share:.1f}" height="8" rx="2" fill="{colour}"/></svg>'
    )


def tone_bar(value: float | None, *, width: int = 120) -> Markup:
    """A bar from the middle: left and red for negative tone, right and green for positive."""
    middle = width / 2
    parts = [
        f'<svg class="meter" xmlns="http://www.w3.org/2000/svg" width="{width}" height="10" '
        f'viewBox="0 0 {width} 10" aria-hidden="true">'
        f'<rect x="0" y="1" width="{width}" height="8" rx="2" fill="{GRID}"/>'
    ]
    if value is not None:
        reach = middle * max(-1.0, min(1.0, value))
        x = middle + min(reach, 0.0)
        colour = POSITIVE if value > 0 else NEGATIVE
        parts.append(f'<rect x="{x:.1f}" y="1" width="{abs(reach):.1f}" height="8" fill="{colour}"/>')
    parts.append(f'<line x1="{middle}" x2="{middle}" y1="0" y2="10" stroke="{INK}"/></svg>')
    return Markup("".join(parts))


@dataclass(frozen=True, slots=True)
class TimelineEvent:
    """One appearance of a story: who published it, when, and where its page is."""

    label: str
    when: datetime | None
    href: str
    first: bool = False
    current: bool = False
    note: str = ""


def timeline_chart(events: Sequence[TimelineEvent], *, label: str, width: int = 720) -> Markup:
    """Appearances of a story on a time axis; the first is drawn larger, the current one ringed.

    Undated appearances sit at the right end, after the dated ones.
    """
    if not events:
        return Markup("")
    dated = [event.when for event in events if event.when is not None]
    start = min(dated) if dated else None
    end = max(dated) if dated else None
    span = (end - start).total_seconds() if start and end else 0.0
    # Room on both sides for a delay written beside a dot at either end of the axis.
    left, right = 80, 80
    row_h = 22
    top = 26
    height = top + row_h * len(events) + 12
    plot_w = width - left - right
    parts = [_open(width, height, label)]
    axis_y = top - 10
    parts.append(f'<line x1="{left}" x2="{width - right}" y1="{axis_y}" y2="{axis_y}" stroke="{MUTED}"/>')
    if start is not None and end is not None:
        parts.append(
            f'<text x="{left}" y="{axis_y - 4}" fill="{MUTED}">{escape(start.strftime("%Y-%m-%d %H:%M"))}</text>'
        )
        if span > 0:
            parts.append(
                f'<text x="{width - right}" y="{axis_y - 4}" text-anchor="end" fill="{MUTED}">'
                f"{escape(end.strftime('%Y-%m-%d %H:%M'))}</text>"
            )
    for row, event in enumerate(events):
        if event.when is None or start is None:
            x = float(width - right)
        elif span == 0:
            x = left + plot_w / 2
        else:
            x = left + plot_w * (event.when - start).total_seconds() / span
        y = top + row * row_h + row_h / 2
        colour = ACCENT if event.first else INK
        radius = 6 if event.first else 4.5
        # The outlet's name on one side of the dot and the delay on the other: mixing an Arabic
        # name and a number in one SVG text run lets the bidi algorithm reorder them.
        toward_end = x > left + plot_w * 0.6
        name_anchor, name_x = ("end", x - 10) if toward_end else ("start", x + 10)
        note_anchor, note_x = ("start", x + 10) if toward_end else ("end", x - 10)
        parts.append(
            f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{axis_y}" y2="{y:.1f}" stroke="{GRID}"/>'
            f'<a href="{escape(event.href)}">'
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{radius}" fill="{colour}"'
            + (f' stroke="{NEGATIVE}" stroke-width="2.5"' if event.current else "")
            + f"><title>{escape(event.label)} {escape(event.note)}</title></circle>"
            f'<text x="{name_x:.1f}" y="{y + 4:.1f}" text-anchor="{name_anchor}" fill="{INK}">'
            f"{escape(event.label)}</text></a>"
        )
        if event.note:
            parts.append(
                f'<text x="{note_x:.1f}" y="{y + 4:.1f}" text-anchor="{note_anchor}" fill="{MUTED}">'
                f"{escape(event.note)}</text>"
            )
    parts.append("</svg>")
    return Markup("".join(parts))


def network_chart(
    edges: Sequence[tuple[str, str, int]],
    *,
    label: str,
    href: Callable[[str], str],
    center: str | None = None,
    size: int = 520,
    most_nodes: int = 16,
    most_edges: int = 30,
) -> Markup:
    """Outlets on a circle, an arrow from the outlet first published to the one that copied it.

    Edge width grows with the number of copies; only the ``most_edges`` heaviest edges and the
    ``most_nodes`` busiest outlets among them are drawn.
    ``center`` (an outlet page's own outlet) is drawn in the middle.
    """
    if not edges:
        return Markup("")
    # The heaviest edges only: on a large corpus every outlet copies every other now and then,
    # and a complete graph shows nothing.
    edges = sorted((edge for edge in edges if edge[0] != edge[1]), key=lambda edge: -edge[2])[:most_edges]
    if not edges:
        return Markup("")
    degree: dict[str, int] = {}
    for source, target, weight in edges:
        degree[source] = degree.get(source, 0) + weight
        degree[target] = degree.get(target, 0) + weight
    kept = sorted(degree, key=lambda name: (-degree[name], name))[:most_nodes]
    if center is not None and center not in kept:
        kept.append(center)
    ring = [name for name in kept if name != center]
    middle = size / 2
    radius = size / 2 - 90
    position: dict[str, tuple[float, float]] = {}
    for index, name in enumerate(sorted(ring)):
        angle = -math.pi / 2 + 2 * math.pi * index / max(1, len(ring))
        position[name] = (middle + radius * math.cos(angle), middle + radius * math.sin(angle))
    if center is not None:
        position[center] = (middle, middle)
    heaviest = max(weight for _, _, weight in edges) or 1
    parts = [_open(size, size, label, kind="square")]
    parts.append(
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="9" markerHeight="9" '
        f'markerUnits="userSpaceOnUse" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="{MUTED}"/></marker></defs>'
    )
    for source, target, weight in edges:
        if source not in position or target not in position or source == target:
            continue
        (x1, y1), (x2, y2) = position[source], position[target]
        # Stop short of the target's dot so the arrow head stays visible.
        length = math.hypot(x2 - x1, y2 - y1) or 1.0
        x2s, y2s = x2 - (x2 - x1) * 9 / length, y2 - (y2 - y1) * 9 / length
        stroke = 1 + 5 * weight / heaviest
        parts.append(
            f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2s:.1f}" y2="{y2s:.1f}" stroke="{MUTED}" '
            f'stroke-opacity="0.55" stroke-width="{stroke:.1f}" marker-end="url(#arrow)">'
            f"<title>{escape(source)} → {escape(target)}: {weight}</title></line>"
        )
    for name, (x, y) in position.items():
        colour = NEGATIVE if name == center else ACCENT
        anchor = "middle"
        dy = -12 if y <= middle else 20
        parts.append(
            f'<a href="{escape(href(name))}"><circle cx="{x:.1f}" cy="{y:.1f}" r="7" fill="{colour}">'
            f"<title>{escape(name)}: {degree.get(name, 0)}</title></circle>"
            f'<text x="{x:.1f}" y="{y + dy:.1f}" text-anchor="{anchor}" fill="{INK}" font-size="12">'
            f"{escape(name)}</text></a>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))
