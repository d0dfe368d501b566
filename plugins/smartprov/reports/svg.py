"""Small inline-SVG charts, no dependencies: grouped vertical bars and horizontal bars.

Every chart is one `<svg>` element with `data-chart="<id>"`, a `<title>` and a `<desc>`,
a `<title>` tooltip on each bar, and no external reference (no xmlns URL either: inline
SVG in HTML5 needs none). All text is escaped here.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

PALETTE = ("#1f4e79", "#2e7d32", "#ef6c00", "#6a1b9a", "#00838f", "#c62828", "#5d4037", "#546e7a")
GOOD = "#2e7d32"
BAD = "#e0a030"
MUTED = "#b0b7bf"
THRESHOLD = "#c62828"
FONT = "font-family:system-ui,-apple-system,'Segoe UI',Roboto,Arial,sans-serif"


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def _nice_max(value: float) -> float:
    """A round axis maximum at or above value."""
    if value <= 0 or math.isnan(value):
        return 1.0
    exp = math.floor(math.log10(value))
    base = 10**exp
    for step in (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10):
        if step * base >= value:
            return step * base
    return 10 * base


def _quarter_max(value: float) -> float:
    """An axis maximum whose quarters are round numbers (the horizontal charts tick at k/4)."""
    if value <= 0 or math.isnan(value):
        return 1.0
    quarter = value / 4
    base = 10 ** math.floor(math.log10(quarter))
    for step in (1, 1.5, 2, 2.5, 3, 4, 5, 6, 7.5, 8, 10):
        if step * base >= quarter:
            return 4 * step * base
    return 40 * base


def _open(chart_id: str, width: int, height: int, title: str, desc: str) -> list[str]:
    # The chart box: on a phone the chart keeps at least 90 % of its drawn width (so its
    # smallest, 10-unit text stays >= 9 px) and the box scrolls sideways, not the page.
    return [
        f'<div class="chart" style="--chart-w:{width}px">',
        f'<svg data-chart="{_e(chart_id)}" viewBox="0 0 {width} {height}" width="100%" '
        f'role="img" aria-labelledby="{_e(chart_id)}-t {_e(chart_id)}-d" '
        f'preserveAspectRatio="xMinYMin meet" style="max-width:{width}px;{FONT}">',
        f'<title id="{_e(chart_id)}-t">{_e(title)}</title>',
        f'<desc id="{_e(chart_id)}-d">{_e(desc)}</desc>',
    ]


def _truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass
class Series:
    name: str
    values: Sequence[float | None]
    color: str | None = None


def grouped_bars(
    chart_id: str,
    *,
    title: str,
    desc: str,
    categories: Sequence[str],
    series: Sequence[Series],
    value_fmt: Callable[[float], str],
    tick_fmt: Callable[[float], str] | None = None,
    y_max: float | None = None,
    y_label: str = "",
    threshold: float | None = None,
    threshold_label: str = "",
    width: int = 760,
    height: int = 320,
) -> str:
    """Vertical bars, one group per category, one bar per series in each group."""
    left, right, top, bottom = 56, 12, 34, 56
    plot_w = width - left - right
    plot_h = height - top - bottom
    values = [v for s in series for v in s.values if v is not None]
    vmax = y_max if y_max is not None else _nice_max(max(values, default=0.0) * 1.05)
    if threshold is not None:
        vmax = max(vmax, threshold)
    out = _open(chart_id, width, height, title, desc)

    # legend
    x = left
    for i, s in enumerate(series):
        color = s.color or PALETTE[i % len(PALETTE)]
        out.append(f'<rect x="{x}" y="8" width="12" height="12" fill="{color}"/>')
        label = _truncate(s.name, 28)
        out.append(f'<text x="{x + 16}" y="18" font-size="12" fill="#333">{_e(label)}</text>')
        x += 16 + 7 * len(label) + 18

    # grid and y axis
    for k in range(6):
        v = vmax * k / 5
        y = top + plot_h - plot_h * k / 5
        out.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" stroke="#e3e6ea" stroke-width="1"/>'
        )
        out.append(
            f'<text x="{left - 6}" y="{y + 4:.1f}" font-size="11" text-anchor="end" fill="#555">'
            f"{_e((tick_fmt or value_fmt)(v))}</text>"
        )
    if y_label:
        out.append(
            f'<text x="12" y="{top + plot_h / 2:.1f}" font-size="11" fill="#555" text-anchor="middle" '
            f'transform="rotate(-90 12 {top + plot_h / 2:.1f})">{_e(y_label)}</text>'
        )
    out.append(
        f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" stroke="#777"/>'
    )

    n_cat = max(len(categories), 1)
    n_ser = max(len(series), 1)
    group_w = plot_w / n_cat
    bar_w = max(min((group_w * 0.8) / n_ser, 60), 2)
    for ci, cat in enumerate(categories):
        gx = left + ci * group_w + (group_w - bar_w * n_ser) / 2
        for si, s in enumerate(series):
            v = s.values[ci] if ci < len(s.values) else None
            color = s.color or PALETTE[si % len(PALETTE)]
            bx = gx + si * bar_w
            if v is None:
                continue
            h = 0 if vmax <= 0 else plot_h * min(max(v, 0), vmax) / vmax
            by = top + plot_h - h
            out.append(
                f'<rect class="bar" x="{bx:.1f}" y="{by:.1f}" width="{bar_w - 1:.1f}" height="{h:.1f}" '
                f'fill="{color}" data-value="{v}"><title>{_e(f"{cat} · {s.name}: {value_fmt(v)}")}</title></rect>'
            )
            if bar_w >= 22:
                out.append(
                    f'<text x="{bx + bar_w / 2:.1f}" y="{by - 3:.1f}" font-size="10" text-anchor="middle" '
                    f'fill="#333">{_e(value_fmt(v))}</text>'
                )
        label = _truncate(cat, max(int(group_w / 6.5), 4))
        out.append(
            f'<text x="{left + ci * group_w + group_w / 2:.1f}" y="{top + plot_h + 16}" font-size="11" '
            f'text-anchor="middle" fill="#333">{_e(label)}</text>'
        )

    if threshold is not None and vmax > 0:
        ty = top + plot_h - plot_h * threshold / vmax
        out.append(
            f'<line class="threshold" x1="{left}" y1="{ty:.1f}" x2="{left + plot_w}" y2="{ty:.1f}" '
            f'stroke="{THRESHOLD}" stroke-width="1.5" stroke-dasharray="6 4"/>'
        )
        out.append(
            f'<text x="{left + plot_w}" y="{ty - 4:.1f}" font-size="11" text-anchor="end" '
            f'fill="{THRESHOLD}">{_e(threshold_label)}</text>'
        )
    out.append("</svg>")
    out.append("</div>")
    return "\n".join(out)


@dataclass
class HBar:
    label: str
    value: float | None
    color: str | None = None
    note: str = ""  # text after the value (e.g. "tanpa masterplan")
    tooltip: str = ""
    prefix: str = ""  # before the label (e.g. a rank "1.")


def horizontal_bars(
    chart_id: str,
    *,
    title: str,
    desc: str,
    rows: Sequence[HBar],
    value_fmt: Callable[[float], str],
    tick_fmt: Callable[[float], str] | None = None,
    x_max: float | None = None,
    threshold: float | None = None,
    threshold_label: str = "",
    legend: Sequence[tuple[str, str]] = (),
    width: int = 760,
    row_h: int = 20,
    label_w: int = 250,
) -> str:
    """One bar per row, labels on the left: rankings and per-regency/per-province lists."""
    top = 10 + (22 if legend else 0) + (16 if threshold is not None else 0)
    bottom = 24
    height = top + bottom + row_h * max(len(rows), 1)
    plot_l = label_w + 8
    plot_w = width - plot_l - 120
    values = [r.value for r in rows if r.value is not None]
    vmax = x_max if x_max is not None else _quarter_max(max(values, default=0.0))
    out = _open(chart_id, width, height, title, desc)

    x = plot_l
    for text, color in legend:
        out.append(f'<rect x="{x}" y="8" width="12" height="12" fill="{color}"/>')
        out.append(f'<text x="{x + 16}" y="18" font-size="12" fill="#333">{_e(text)}</text>')
        x += 16 + 7 * len(text) + 18

    for k in range(5):
        gx = plot_l + plot_w * k / 4
        out.append(f'<line x1="{gx:.1f}" y1="{top}" x2="{gx:.1f}" y2="{height - bottom}" stroke="#e3e6ea"/>')
        out.append(
            f'<text x="{gx:.1f}" y="{height - bottom + 14}" font-size="10" text-anchor="middle" fill="#555">'
            f"{_e((tick_fmt or value_fmt)(vmax * k / 4))}</text>"
        )

    max_chars = max(int(label_w / 6.6), 8)
    for i, r in enumerate(rows):
        y = top + i * row_h
        label = _truncate((r.prefix + " " if r.prefix else "") + r.label, max_chars)
        out.append(
            f'<text x="{label_w}" y="{y + row_h * 0.7:.1f}" font-size="12" text-anchor="end" fill="#222">'
            f"{_e(label)}</text>"
        )
        v = r.value
        w = 0.0 if (v is None or vmax <= 0) else plot_w * min(max(v, 0), vmax) / vmax
        color = r.color or PALETTE[0]
        tip = r.tooltip or f"{r.label}: {'-' if v is None else value_fmt(v)}"
        out.append(
            f'<rect class="bar" x="{plot_l}" y="{y + 3}" width="{max(w, 1.5 if v is not None else 0):.1f}" '
            f'height="{row_h - 6}" fill="{color}" data-value="{"" if v is None else v}">'
            f"<title>{_e(tip)}</title></rect>"
        )
        text = ("-" if v is None else value_fmt(v)) + (f" {r.note}" if r.note else "")
        out.append(
            f'<text x="{plot_l + w + 5:.1f}" y="{y + row_h * 0.7:.1f}" font-size="11" fill="#333">'
            f"{_e(text)}</text>"
        )

    if threshold is not None and vmax > 0:
        tx = plot_l + plot_w * threshold / vmax
        out.append(
            f'<line class="threshold" x1="{tx:.1f}" y1="{top - 4}" x2="{tx:.1f}" y2="{height - bottom}" '
            f'stroke="{THRESHOLD}" stroke-width="1.5" stroke-dasharray="6 4"/>'
        )
        out.append(
            f'<text x="{tx:.1f}" y="{top - 8}" font-size="11" text-anchor="middle" fill="{THRESHOLD}">'
            f"{_e(threshold_label)}</text>"
        )
    out.append("</svg>")
    out.append("</div>")
    return "\n".join(out)
