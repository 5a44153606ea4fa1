"""Figures drawn from data at build time, as inline SVG: ``:::{data-figure} name``.

The numbers and words of each figure are kept once, in the YAML file named by
``kb_figures`` (``docs/_data/figures.yaml``); this module only knows how to draw two kinds
of figure from them:

- ``timeline``: rows of labelled bars on one time axis (``"48 hours"``, ``"2 weeks"``);
- ``groups``: one labelled bar per group on a percentage scale, a range (``{from, to}``), an
  approximate value (``{about}``) or words alone (``{words}``: no bar, no invented number).

Each figure is an ``<svg role="img">`` with a ``<title>`` and a ``<desc>`` that says the
same thing in words (the figure's own words; a caption is shown under it), drawn with
``currentColor`` and classes that ``kb-figures.css`` colours from the pydata theme's
variables (light and dark mode), with a ``viewBox`` so it scales to the width of a phone,
and presentation attributes that print (WeasyPrint: the handout, the leaflet). No script, no
network; the same data gives the same bytes. The SVG text is left out of the search index
and of the reading-grade checks (the page's prose says the same).
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar
from xml.sax.saxutils import escape, quoteattr

import yaml
from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective, SphinxTranslator

from .report import warn

DEFAULT_FILE = "_data/figures.yaml"

# Drawing constants (user units of the viewBox). The width suits a phone held upright; on
# a wide screen kb-figures.css caps the figure's width so the text stays a reading size.
WIDTH = 360
WIDE = 720  # the timeline's second layout (labels beside the bars): wide screens, paper
LABELS = 330  # the wide layout's label column
PAD = 8
FONT = 14
SMALL = 12
LINE = 18
BAR = 16
GAP = 14
# Fallback colours (presentation attributes: print, WeasyPrint); the site's CSS replaces
# them with the theme's colours for light and dark mode.
TONES = {"shots": "#1e4e8c", "caution": "#b54708", "better": "#1d6b2f", "next": "#1e4e8c",
         "range": "#1e4e8c"}
_UNITS = {"hour": 1 / 24, "day": 1.0, "week": 7.0}
_TIME = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(hour|day|week)s?\s*$")


class FigureError(ValueError):
    """The figures file or one figure in it is malformed (the message says which)."""


# --- The data ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Row:
    """One row of a timeline: a label over a bar (``start``-``end``) or a mark (``end``
    None), in days after the shots."""

    label: str
    start: float
    end: float | None
    tone: str
    taper: bool


@dataclass(frozen=True)
class Timeline:
    name: str
    title: str
    caption: str
    axis_end: float  # days
    axis_label: str
    rows: tuple[Row, ...]

    def words(self) -> list[str]:
        return [row.label for row in self.rows]


@dataclass(frozen=True)
class Group:
    name: str
    relief: tuple[float, float] | None  # (low, high) percent; None: words only
    relief_words: str
    lasts: str
    next: bool


@dataclass(frozen=True)
class Groups:
    name: str
    title: str
    caption: str
    scale_label: str
    groups: tuple[Group, ...]
    next_step: str

    def words(self) -> list[str]:
        out = [f"{g.name}: {g.relief_words}" + (f", {_lower_first(g.lasts)}." if g.lasts
                                                 else ".") for g in self.groups]
        return [*out, self.next_step] if self.next_step else out


Figure = Timeline | Groups


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def parse_time(value: object, where: str) -> float:
    """``"48 hours"`` -> 2.0 (days)."""
    match = _TIME.match(str(value))
    if match is None:
        raise FigureError(f"{where}: {value!r} is not a time such as '48 hours', '3 days' "
                          "or '2 weeks'")
    return float(match.group(1)) * _UNITS[match.group(2)]


def _text(data: dict[str, Any], key: str, where: str, *, required: bool = True) -> str:
    value = data.get(key, "")
    if not isinstance(value, str) or (required and not value.strip()):
        raise FigureError(f"{where}: '{key}' must be some text")
    return " ".join(value.split())


def _percent(value: object, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 100:
        raise FigureError(f"{where}: {value!r} is not a percentage from 0 to 100")
    return float(value)


def _number(value: float) -> str:
    return f"{value:g}"


def _timeline(name: str, data: dict[str, Any]) -> Timeline:
    rows = []
    raw_rows = data.get("rows")
    if not isinstance(raw_rows, list) or not raw_rows:
        raise FigureError(f"figure {name!r}: 'rows' must be a list")
    axis_end = parse_time(data.get("axis_end"), f"figure {name!r} axis_end")
    for n, row in enumerate(raw_rows, start=1):
        where = f"figure {name!r} row {n}"
        if not isinstance(row, dict):
            raise FigureError(f"{where}: must be a mapping")
        tone = row.get("tone", "shots")
        if tone not in TONES:
            raise FigureError(f"{where}: tone must be one of {', '.join(TONES)}")
        if "mark" in row:
            start, end = parse_time(row["mark"], where), None
        else:
            start, end = parse_time(row.get("from"), where), parse_time(row.get("to"), where)
            if end <= start:
                raise FigureError(f"{where}: 'to' must come after 'from'")
        if max(start, end or 0) > axis_end:
            raise FigureError(f"{where}: ends after the axis ({data.get('axis_end')})")
        rows.append(Row(label=_text(row, "label", where), start=start, end=end, tone=tone,
                        taper=row.get("shape") == "taper"))
    return Timeline(name=name, title=_text(data, "title", f"figure {name!r}"),
                    caption=_text(data, "caption", f"figure {name!r}", required=False),
                    axis_end=axis_end, axis_label=_text(data, "axis_label", f"figure {name!r}"),
                    rows=tuple(rows))


def _groups(name: str, data: dict[str, Any]) -> Groups:
    groups = []
    raw = data.get("groups")
    if not isinstance(raw, list) or not raw:
        raise FigureError(f"figure {name!r}: 'groups' must be a list")
    for n, item in enumerate(raw, start=1):
        where = f"figure {name!r} group {n}"
        if not isinstance(item, dict) or not isinstance(item.get("relief"), dict):
            raise FigureError(f"{where}: needs 'name' and 'relief'")
        relief = item["relief"]
        if "words" in relief:
            span, words = None, _text(relief, "words", where)
        elif "about" in relief:
            value = _percent(relief["about"], where)
            span, words = (value, value), f"About {_number(value)}% relief"
        else:
            low, high = _percent(relief.get("from"), where), _percent(relief.get("to"), where)
            if high <= low:
                raise FigureError(f"{where}: relief 'to' must be above 'from'")
            span, words = (low, high), f"{_number(low)} to {_number(high)}% relief"
        groups.append(Group(name=_text(item, "name", where), relief=span, relief_words=words,
                            lasts=_text(item, "lasts", where, required=False),
                            next=bool(item.get("next", False))))
    return Groups(name=name, title=_text(data, "title", f"figure {name!r}"),
                  caption=_text(data, "caption", f"figure {name!r}", required=False),
                  scale_label=_text(data, "scale_label", f"figure {name!r}"),
                  groups=tuple(groups),
                  next_step=_text(data, "next_step", f"figure {name!r}", required=False))


def load_figures(path: Path) -> dict[str, Figure]:
    """Read and validate every figure in ``path``."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise FigureError(f"{path}: cannot read the figures file ({exc.strerror})") from None
    except yaml.YAMLError:
        raise FigureError(f"{path}: the figures file is not valid YAML") from None
    if not isinstance(raw, dict):
        raise FigureError(f"{path}: must map figure names to figures")
    figures: dict[str, Figure] = {}
    for name, data in raw.items():
        if not isinstance(data, dict):
            raise FigureError(f"figure {name!r} must be a mapping")
        kind = data.get("kind")
        if kind == "timeline":
            figures[str(name)] = _timeline(str(name), data)
        elif kind == "groups":
            figures[str(name)] = _groups(str(name), data)
        else:
            raise FigureError(f"figure {name!r}: 'kind' must be 'timeline' or 'groups'")
    return figures


# --- A small SVG writer -----------------------------------------------------------------

def _fmt(value: float) -> str:
    """A coordinate with at most one decimal: short, and the same bytes every time."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


class Svg:
    """Elements appended in drawing order; :meth:`markup` wraps them in the ``<svg>``."""

    def __init__(self) -> None:
        self.parts: list[str] = []

    def add(self, tag: str, text: str | None = None, /, **attrs: object) -> None:
        rendered = "".join(
            f" {key.rstrip('_').replace('_', '-')}="
            f"{quoteattr(_fmt(value) if isinstance(value, float) else str(value))}"
            for key, value in attrs.items() if value is not None)
        if text is None:
            self.parts.append(f"<{tag}{rendered}/>")
        else:
            self.parts.append(f"<{tag}{rendered}>{escape(text)}</{tag}>")

    def lines(self, lines: list[str], x: float, y: float, *, size: int = FONT,
              bold_first: str = "", **attrs: object) -> float:
        """Write ``lines`` from baseline ``y`` down; return the y under the last one.
        ``bold_first`` is a prefix of the first line drawn in bold."""
        for n, line in enumerate(lines):
            y += LINE if size == FONT else size + 3
            if n == 0 and bold_first and line.startswith(bold_first):
                rest = line[len(bold_first):]
                self.parts.append(
                    f'<text x="{_fmt(x)}" y="{_fmt(y - 4)}" font-size="{size}"'
                    f' fill="currentColor"><tspan font-weight="bold">{escape(bold_first)}'
                    f"</tspan>{escape(rest)}</text>")
            else:
                self.add("text", line, x=float(x), y=float(y - 4), font_size=size,
                         fill="currentColor", **attrs)
        return y

    def track(self, left: float, right: float, y: float, ticks: list[float]) -> None:
        """The faint band a bar sits on (the whole time or scale), with a dotted mark at
        each tick of the axis (in the band only: never across a label)."""
        self.add("rect", x=float(left), y=float(y), width=float(right - left), height=BAR,
                 class_="kb-fig-track", fill="currentColor", fill_opacity="0.07")
        for x in ticks:
            self.add("line", x1=float(x), x2=float(x), y1=float(y - 3), y2=float(y + BAR + 3),
                     stroke="currentColor", stroke_opacity="0.3", stroke_dasharray="2 2",
                     class_="kb-fig-grid")

    def markup(self, uid: str, title: str, desc: str, height: float, classes: str,
               width: int = WIDTH) -> str:
        return (
            f'<svg xmlns="http://www.w3.org/2000/svg" class={quoteattr(classes)}'
            f' viewBox="0 0 {width} {_fmt(height)}" width="{width}" height="{_fmt(height)}"'
            f' role="img" aria-labelledby="{uid}-title" aria-describedby="{uid}-desc"'
            f' font-family="inherit" focusable="false">'
            f'<title id="{uid}-title">{escape(title)}</title>'
            f'<desc id="{uid}-desc">{escape(desc)}</desc>'
            + "".join(self.parts) + "</svg>")


def _wrap(text: str, size: int = FONT, width: float = WIDTH - 2 * PAD) -> list[str]:
    # A character of a sans-serif font is about 0.55 em wide on average.
    return textwrap.wrap(text, max(20, int(width / (size * 0.55)))) or [""]


def _tone(tone: str, **attrs: object) -> dict[str, object]:
    return {"class_": f"kb-fig-{tone}", "fill": TONES[tone], **attrs}


def draw_timeline(fig: Timeline, uid: str, wide: bool = False) -> str:
    """Narrow: each label over its bar (a phone). Wide: labels in a column beside the
    bars (a wide screen, paper)."""
    svg = Svg()
    width = WIDE if wide else WIDTH
    left, right = (PAD + LABELS if wide else PAD), width - PAD

    def x(days: float) -> float:
        return left + (right - left) * days / fig.axis_end

    ticks = [(7.0 * w, str(w)) for w in range(int(fig.axis_end // 7) + 1)]  # weeks
    y = PAD / 2
    for row in fig.rows:
        if wide:  # the bar level with the middle of its label
            label_bottom = svg.lines(_wrap(row.label, width=LABELS - PAD), PAD, y)
            y += max(0.0, (label_bottom - y - BAR) / 2)
        else:
            y = label_bottom = svg.lines(_wrap(row.label), left, y) + 2
        svg.track(left, right, y, [x(days) for days, _label in ticks])
        if row.end is None:  # a mark: a short upright bar at the moment it happens
            start = min(x(row.start), right - 6)
            svg.add("rect", **_tone(row.tone, x=start, y=float(y - 3), width=6.0,
                                    height=BAR + 6))
        elif row.taper:  # high at the start, down to nothing at the end
            svg.add("polygon", **_tone(row.tone, points=" ".join(
                f"{_fmt(px)},{_fmt(py)}" for px, py in (
                    (x(row.start), y), (x(row.end), y + BAR - 1), (x(row.end), y + BAR),
                    (x(row.start), y + BAR)))))
        else:
            svg.add("rect", **_tone(row.tone, x=x(row.start), y=float(y),
                                    width=x(row.end) - x(row.start), height=BAR))
        y = max(y + BAR, label_bottom) + GAP
    # The time axis: weeks after the shots.
    svg.add("line", x1=float(left), x2=float(right), y1=float(y), y2=float(y),
            stroke="currentColor", stroke_width="1.5")
    for days, label in ticks:
        svg.add("line", x1=x(days), x2=x(days), y1=float(y), y2=float(y + 5),
                stroke="currentColor", stroke_width="1.5")
        svg.add("text", label, x=min(max(x(days), left + 4), right - 4),
                y=float(y + 5 + SMALL + 2), font_size=SMALL, fill="currentColor",
                text_anchor="middle")
    y += 5 + SMALL + 2
    svg.add("text", fig.axis_label, x=(left + right) / 2, y=float(y + SMALL + 4),
            font_size=SMALL, fill="currentColor", text_anchor="middle")
    height = y + SMALL + 4 + PAD
    return svg.markup(uid, fig.title, " ".join(fig.words()), height,
                      f"kb-fig kb-fig-timeline kb-fig-{'wide' if wide else 'narrow'}", width)


def draw_groups(fig: Groups, uid: str) -> str:
    svg = Svg()
    left, right = PAD, WIDTH - PAD

    def x(percent: float) -> float:
        return left + (right - left) * percent / 100

    y = PAD / 2
    y = svg.lines([fig.scale_label], left, y, size=SMALL, font_weight="bold")
    ticks = [25 * n for n in range(5)]  # the scale, not data
    for n, tick in enumerate(ticks):
        anchor = "start" if n == 0 else "end" if n == len(ticks) - 1 else "middle"
        svg.add("text", f"{tick}%", x=x(tick), y=float(y + SMALL - 2), font_size=SMALL,
                fill="currentColor", text_anchor=anchor)
    y += SMALL + 4
    for group in fig.groups:
        y += 6
        first = f"{group.name}: {group.relief_words}"
        line = first + (f". {group.lasts}" if group.lasts else "")
        y = svg.lines(_wrap(line), left, y, bold_first=f"{group.name}:") + 2
        svg.track(left, right, y, [x(tick) for tick in ticks])
        if group.relief is None:  # words only: an outline, no bar, no invented number
            svg.add("rect", x=float(left + 0.5), y=float(y + 0.5),
                    width=float(right - left - 1), height=BAR - 1, fill="none",
                    stroke="currentColor", stroke_opacity="0.45", stroke_dasharray="4 3",
                    class_="kb-fig-none")
        else:
            low, high = group.relief
            svg.add("rect", **_tone("range", x=float(left), y=float(y),
                                    width=x(low) - left, height=BAR))
            if high > low:  # the range: lighter, with a firm end
                svg.add("rect", **_tone("range", x=x(low), y=float(y),
                                        width=x(high) - x(low), height=BAR,
                                        fill_opacity="0.45"))
            if low == high:  # "about": a short upright mark at the value
                svg.add("rect", **_tone("range", x=x(high) - 3, y=float(y - 3),
                                        width=6.0, height=BAR + 6))
        y += BAR + 4
    if fig.next_step:
        y += 4
        svg.add("rect", **_tone("next", x=float(left), y=float(y + 4), width=4.0,
                                height=float(LINE * len(_wrap(fig.next_step, width=WIDTH
                                                              - 2 * PAD - 10)) + 2)))
        y = svg.lines(_wrap(fig.next_step, width=WIDTH - 2 * PAD - 10), left + 10, y + 2)
    height = y + PAD
    return svg.markup(uid, fig.title, " ".join(fig.words()), height, "kb-fig kb-fig-groups")


def draw(fig: Figure, uid: str) -> str:
    """The figure as ``<svg>`` markup; ``uid`` makes its ids unique on the page. A
    timeline comes in both layouts; kb-figures.css shows one (the other is
    ``display: none``, so assistive technology meets one picture)."""
    if isinstance(fig, Timeline):
        return draw_timeline(fig, uid) + draw_timeline(fig, f"{uid}-wide", wide=True)
    return draw_groups(fig, uid)


# --- The directive and its node ---------------------------------------------------------

class data_figure(nodes.General, nodes.Element):  # type: ignore[misc]
    """A drawn figure: ``svg`` (markup), ``caption``, ``name``. Its text for the index
    and the reading-grade check is empty: the page's prose says the same."""

    def astext(self) -> str:
        return ""


def figures_path(app_or_env: Any) -> Path:
    return Path(app_or_env.srcdir) / (app_or_env.config.kb_figures or DEFAULT_FILE)


class DataFigureDirective(SphinxDirective):
    """``:::{data-figure} treatment-timeline``: draw a figure of the figures file."""

    required_arguments = 1
    has_content = False
    option_spec: ClassVar[dict[str, object]] = {}

    def run(self) -> list[nodes.Node]:
        name = self.arguments[0].strip()
        path = figures_path(self.env)
        self.env.note_dependency(str(path))
        try:
            figure = load_figures(path).get(name)
        except FigureError as exc:
            warn(self.env.docname, self.lineno, "figure", str(exc))
            return []
        if figure is None:
            warn(self.env.docname, self.lineno, "figure",
                 f"no figure {name!r} in {self.config.kb_figures or DEFAULT_FILE}")
            return []
        serial = self.env.new_serialno(f"kb-figure-{name}")
        uid = f"kb-fig-{name}-{serial}"
        # An anchor for the figure alone (kb_handout / kb_leaflet can name "page#figure-x").
        anchor = nodes.make_id(f"figure-{name}" + (f"-{serial}" if serial else ""))
        node = data_figure(name=name, caption=figure.caption, uid=uid, ids=[anchor],
                           svg=draw(figure, uid))
        self.set_source_info(node)
        return [node]


def visit_html(self: SphinxTranslator, node: data_figure) -> None:
    caption = (f'<figcaption id="{node["uid"]}-caption">{escape(node["caption"])}'
               "</figcaption>" if node["caption"] else "")
    ids = "".join(f' id="{escape(i)}"' for i in node["ids"][:1])
    self.body.append(f'<figure{ids} class="kb-figure kb-figure-{escape(node["name"])}">'
                     f'{node["svg"]}{caption}</figure>\n')
    raise nodes.SkipNode


def skip(self: SphinxTranslator, node: data_figure) -> None:
    raise nodes.SkipNode  # text, man, LaTeX...: the page's prose says the same


def setup(app: Sphinx) -> dict[str, Any]:
    # "handout" is the format of the printed documents' builders (indexer.handout).
    app.add_node(data_figure, html=(visit_html, None), handout=(visit_html, None),
                 latex=(skip, None),
                 text=(skip, None), man=(skip, None), texinfo=(skip, None))
    app.add_directive("data-figure", DataFigureDirective)
    app.add_css_file("kb-figures.css")
    return {"version": "0.1.0", "parallel_read_safe": True, "parallel_write_safe": True}
