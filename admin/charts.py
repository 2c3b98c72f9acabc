"""Charts drawn on the server as inline SVG: no JavaScript and no CDN (the machines may be
offline). Counts are whole numbers on the axis and written as the admin's language writes
them. Each chart has a title and a description for screen readers; the page also shows the
numbers as a table."""
from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

from .formats import number

# Colours with at least 4.5:1 contrast on white; series also differ by pattern of position.
COLOURS = ("#0b5394", "#b45309", "#166534", "#6b21a8")
# Drawn at their own size in pixels (the box scrolls on a narrow screen instead of shrinking
# the text): no text is smaller than 13 px.
FONT = 'font-family="system-ui, sans-serif" font-size="14"'
SMALL = 'font-family="system-ui, sans-serif" font-size="13"'


def _svg(width: int, height: int, title: str, desc: str, body: str) -> Markup:
    uid = abs(hash((title, desc))) % 10**8
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-labelledby="t{uid} d{uid}">'
        f'<title id="t{uid}">{escape(title)}</title><desc id="d{uid}">{escape(desc)}</desc>'
        f"{body}</svg>"
    )


def _scale(values: Sequence[int]) -> tuple[int, int]:
    """(top of the axis, step between ticks): whole numbers only, at most 5 steps, each step 1,
    2 or 5 times a power of ten (counts are never 2.5 people)."""
    top = max(values, default=0)
    step = 1
    while True:
        for factor in (1, 2, 5):
            if top <= step * factor * 5:
                step *= factor
                return max(step, -(-top // step) * step), step
        step *= 10


def _ticks(vmax: int, step: int) -> list[int]:
    return list(range(0, vmax + 1, step))


def column_chart(labels: Sequence[str], values: Sequence[int], *, title: str, desc: str,
                 height: int = 240, every: int = 1) -> Markup:
    """Vertical bars (e.g. calls per day); ``every`` thins the x labels."""
    left, bottom, top = 40, 40, 16
    bar_w = 22
    width = left + max(1, len(values)) * (bar_w + 6) + 10
    plot_h = height - bottom - top
    vmax, step = _scale(values)
    parts = []
    for tick in _ticks(vmax, step):
        y = top + plot_h - plot_h * tick / vmax
        parts.append(f'<line x1="{left}" x2="{width - 4}" y1="{y:.1f}" y2="{y:.1f}" stroke="#767676"/>')
        parts.append(f'<text x="{left - 6}" y="{y + 5:.1f}" text-anchor="end" {FONT}>{number(tick)}</text>')
    for i, (label, value) in enumerate(zip(labels, values)):
        x = left + 6 + i * (bar_w + 6)
        h = plot_h * value / vmax if vmax else 0
        y = top + plot_h - h
        parts.append(f'<rect x="{x}" y="{y:.1f}" width="{bar_w}" height="{h:.1f}" fill="{COLOURS[0]}">'
                     f"<title>{escape(label)}: {number(value)}</title></rect>")
        if value:
            parts.append(f'<text x="{x + bar_w / 2}" y="{y - 3:.1f}" text-anchor="middle" {SMALL}>{number(value)}</text>')
        if i % every == 0:
            parts.append(f'<text x="{x + bar_w / 2}" y="{height - bottom + 18}" text-anchor="middle" '
                         f'{SMALL}>{escape(label)}</text>')
    return _svg(width, height, title, desc, "".join(parts))


def bar_chart(rows: Sequence[tuple[str, Sequence[int]]], series: Sequence[str], *, title: str,
              desc: str) -> Markup:
    """Horizontal bars, one group per row and one bar per series (e.g. confirmed, waiting,
    attended per session), each group's name above its bars; a legend names the series. At
    340 px wide it fits a phone's screen at its own size."""
    bar_h, label_h, gap, line_h = 16, 20, 10, 20
    plot_w, width = 280, 340
    group_h = label_h + bar_h * len(series) + gap
    legend_h = line_h * len(series) + 6 if len(series) > 1 else 0
    height = legend_h + max(1, len(rows)) * group_h + 4
    vmax, _step = _scale([v for _, vals in rows for v in vals])
    parts = []
    for j, name in enumerate(series if len(series) > 1 else ()):
        y = j * line_h
        parts.append(f'<rect x="0" y="{y + 3}" width="14" height="14" fill="{COLOURS[j % 4]}"/>'
                     f'<text x="20" y="{y + 15}" {FONT}>{escape(name)}</text>')
    for i, (label, vals) in enumerate(rows):
        y0 = legend_h + i * group_h
        short = label if len(label) <= 42 else label[:41] + "…"
        parts.append(f'<text x="0" y="{y0 + 15}" {FONT}>{escape(short)}</text>')
        for j, value in enumerate(vals):
            w = plot_w * value / vmax if vmax else 0
            y = y0 + label_h + j * bar_h
            parts.append(f'<rect x="0" y="{y}" width="{w:.1f}" height="{bar_h - 2}" '
                         f'fill="{COLOURS[j % 4]}"><title>{escape(label)} – {escape(series[j])}: '
                         f"{number(value)}</title></rect>")
            parts.append(f'<text x="{w + 4:.1f}" y="{y + bar_h - 3}" {SMALL}>{number(value)}</text>')
    return _svg(width, height, title, desc, "".join(parts))
