"""Figures drawn from docs/_data/figures.yaml: accessible SVG (role, title, text
alternative), the same bytes for the same data, numbers that come from the data and agree
with the pages' own text, and how they look in Chromium in light and dark mode and on a
phone."""

from __future__ import annotations

import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any, Literal

import pytest
import yaml
from conftest import BUILD
from sphinx.testing.util import SphinxTestApp

from indexer import figures, readability
from indexer.figures import FigureError, Groups, Timeline, draw, load_figures, parse_time

pytestmark = pytest.mark.sphinx

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "docs" / "_data" / "figures.yaml"
SVG_NS = "{http://www.w3.org/2000/svg}"
# The pages that show each figure (docs/*.md), and so must state its numbers themselves.
SHOWN_ON = {"treatment-timeline": ["protocol", "expectations", "side-effects"],
            "recovery-groups": ["recovery"]}
CHROMIUM = "/usr/bin/chromium"


def svgs(html: str) -> list[ET.Element]:
    """Every inline <svg> of a page, parsed as XML (which it must be)."""
    return [ET.fromstring(m) for m in re.findall(r"<svg\b.*?</svg>", html, re.S)]


def figures_of(page: Path) -> list[str]:
    return re.findall(r"<figure\b[^>]*kb-figure.*?</figure>", page.read_text(encoding="utf-8"),
                      re.S)


def check_accessible(svg: ET.Element, html: str) -> str:
    """The checks every figure passes; returns its text alternative."""
    assert svg.get("role") == "img"
    assert svg.get("viewBox", "").startswith("0 0 ")
    title_id, desc_id = svg.get("aria-labelledby"), svg.get("aria-describedby")
    title = svg.find(f"{SVG_NS}title")
    desc = svg.find(f"{SVG_NS}desc")
    assert title is not None and desc is not None
    assert title.get("id") == title_id and desc.get("id") == desc_id
    assert list(svg)[:2] == [title, desc]  # first children, as the spec asks
    assert (title.text or "").strip() and len((desc.text or "").split()) >= 10
    assert html.count(f'id="{title_id}"') == 1 and html.count(f'id="{desc_id}"') == 1
    # Nothing to run or fetch: no script, no event handler, no link, no external image.
    for element in svg.iter():
        assert element.tag.replace(SVG_NS, "") not in {"script", "a", "image", "foreignObject"}
        assert not any(name.startswith("on") or "href" in name for name in element.attrib)
    # Text takes the page's colour, so it reads in light and dark mode.
    assert all(t.get("fill") == "currentColor" for t in svg.iter(f"{SVG_NS}text"))
    return desc.text or ""


# --- The real pages ---------------------------------------------------------------------

def built(page: str) -> Path:
    path = BUILD / "html" / f"{page}.html"
    if not path.is_file():
        pytest.fail(f"no built site at {path.parent}: run `make build` first")
    return path


@pytest.mark.parametrize("name, pages", sorted(SHOWN_ON.items()))
def test_the_pages_show_accessible_figures(name: str, pages: list[str]) -> None:
    for page in pages:
        path = built(page)
        html = path.read_text(encoding="utf-8")
        shown = [f for f in figures_of(path) if f"kb-figure-{name}" in f]
        assert len(shown) == 1, (page, name)
        found = svgs(shown[0])
        assert found, page
        for svg in found:
            words = check_accessible(svg, html)
            grade = readability.grade(words)
            assert grade is not None and grade <= 8, (page, words, grade)
        assert "<figcaption" in shown[0]
        assert "<script" not in shown[0] and "http" not in shown[0].replace(
            'xmlns="http://www.w3.org/2000/svg"', "")


def test_the_pages_figures_are_the_data_drawn(tmp_path: Path) -> None:
    """What the build put into the pages is exactly draw() of the data: same data, same
    bytes, whichever page and build."""
    data = load_figures(DATA)
    html = built("side-effects").read_text(encoding="utf-8")
    uid = re.search(r'aria-labelledby="(kb-fig-treatment-timeline-\d+)-title"', html)
    assert uid is not None
    assert draw(data["treatment-timeline"], uid.group(1)) in html
    recovery = built("recovery").read_text(encoding="utf-8")
    assert draw(data["recovery-groups"], "kb-fig-recovery-groups-0") in recovery
    assert draw(data["recovery-groups"], "x") == draw(load_figures(DATA)["recovery-groups"], "x")


def _numbers(text: str) -> set[str]:
    return set(re.findall(r"\d+(?:\.\d+)?", text))


_NUMBER_WORDS = {"one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6",
                 "seven": "7", "eight": "8", "nine": "9", "ten": "10", "twelve": "12"}


def _page_numbers(pages: list[str]) -> set[str]:
    found: set[str] = set()
    for page in pages:
        text = (REPO / "docs" / f"{page}.md").read_text(encoding="utf-8").lower()
        text = re.sub(r"\b(" + "|".join(_NUMBER_WORDS) + r")\b",
                      lambda m: _NUMBER_WORDS[m.group(1)], text)
        found |= _numbers(text)
    return found


def test_every_number_in_the_data_is_in_the_pages_that_show_it() -> None:
    """The figures say nothing the pages do not: each number in a figure's data (times,
    percentages, and the numbers in its words) is in the text of the pages showing it."""
    raw = yaml.safe_load(DATA.read_text(encoding="utf-8"))
    assert set(raw) == set(SHOWN_ON)
    for name, spec in raw.items():
        stated = _numbers(yaml.safe_dump(spec)) - {"0"}  # the start of an axis
        assert stated, name
        missing = stated - _page_numbers(SHOWN_ON[name])
        assert not missing, f"{name}: {sorted(missing)} not in {SHOWN_ON[name]}"


def test_the_drawing_code_holds_no_clinical_number_or_word() -> None:
    source = Path(figures.__file__).read_text(encoding="utf-8")
    for fact in ("72", "75", "100%", "PRP", "numb", "extracellular", "6 to 12", "4 to 6",
                 "24 to", "four"):
        assert not re.search(rf"(?<![\w#]){re.escape(fact)}(?!\w)", source), fact


def test_the_drawing_follows_the_data(tmp_path: Path) -> None:
    """Change a number in the data and the picture changes where it should."""
    data = DATA.read_text(encoding="utf-8")
    assert "to: 72 hours" in data and "relief: {about: 50}" in data
    changed = tmp_path / "figures.yaml"
    changed.write_text(data.replace("to: 72 hours", "to: 144 hours").replace(
        "from: 72 hours", "from: 144 hours").replace("{about: 50}", "{about: 25}"),
        encoding="utf-8")
    before, after = load_figures(DATA), load_figures(changed)
    timeline_before, timeline_after = before["treatment-timeline"], after["treatment-timeline"]
    assert isinstance(timeline_before, Timeline) and isinstance(timeline_after, Timeline)
    assert timeline_before.rows[1].end == 3 and timeline_after.rows[1].end == 6

    def caution_width(fig: Timeline) -> float:
        svg = ET.fromstring(figures.draw_timeline(fig, "t"))
        rect = next(r for r in svg.iter(f"{SVG_NS}rect") if r.get("class") == "kb-fig-caution")
        return float(rect.get("width", "0"))

    assert caution_width(timeline_after) == pytest.approx(2 * caution_width(timeline_before),
                                                          abs=0.2)  # one decimal each
    groups = after["recovery-groups"]
    assert isinstance(groups, Groups)
    assert "About 25% relief" in draw(groups, "g")
    assert "About 50% relief" in draw(before["recovery-groups"], "g")


def test_text_is_escaped(tmp_path: Path) -> None:
    path = tmp_path / "figures.yaml"
    path.write_text(yaml.safe_dump({"g": {
        "kind": "groups", "title": 'A <b>"title"</b> & more', "scale_label": "x < y",
        "groups": [{"name": "G&1", "relief": {"words": "<script>alert(1)</script>"}}]}}),
        encoding="utf-8")
    markup = draw(load_figures(path)["g"], "u")
    ET.fromstring(markup)  # well-formed
    assert "<script>" not in markup and "&lt;script&gt;" in markup
    assert "A &lt;b&gt;\"title\"&lt;/b&gt; &amp; more" in markup


@pytest.mark.parametrize("text, days", [("72 hours", 3.0), ("4 weeks", 28.0), ("0 days", 0.0),
                                        ("1 week", 7.0), (" 1.5 days ", 1.5)])
def test_times(text: str, days: float) -> None:
    assert parse_time(text, "here") == days


@pytest.mark.parametrize("figure, message", [
    ({"kind": "pie"}, "'kind' must be 'timeline' or 'groups'"),
    ({"kind": "timeline", "title": "T", "axis_end": "a month", "rows": [{}]},
     "'a month' is not a time"),
    ({"kind": "timeline", "title": "T", "axis_end": "1 week", "axis_label": "W",
      "rows": [{"from": "3 days", "to": "1 day", "label": "L"}]}, "'to' must come after"),
    ({"kind": "timeline", "title": "T", "axis_end": "1 week", "axis_label": "W",
      "rows": [{"from": "3 days", "to": "2 weeks", "label": "L"}]}, "ends after the axis"),
    ({"kind": "timeline", "title": "T", "axis_end": "1 week", "axis_label": "W",
      "rows": [{"mark": "1 day", "label": "L", "tone": "pink"}]}, "tone must be one of"),
    ({"kind": "groups", "title": "T", "scale_label": "S",
      "groups": [{"name": "G", "relief": {"about": 120}}]}, "not a percentage"),
    ({"kind": "groups", "title": "T", "scale_label": "S",
      "groups": [{"name": "G", "relief": {"from": 50, "to": 40}}]}, "must be above"),
    ({"kind": "groups", "title": "", "scale_label": "S", "groups": [
        {"name": "G", "relief": {"words": "W"}}]}, "'title' must be some text"),
])
def test_malformed_data_is_refused(tmp_path: Path, figure: dict[str, object],
                                   message: str) -> None:
    path = tmp_path / "figures.yaml"
    path.write_text(yaml.safe_dump({"f": figure}), encoding="utf-8")
    with pytest.raises(FigureError, match=re.escape(message)):
        load_figures(path)


# --- A test root: the directive, anchors, warnings, determinism -------------------------

@pytest.mark.sphinx("html", testroot="figures", freshenv=True)
def test_directive_on_a_test_root(app: SphinxTestApp) -> None:
    app.build()
    assert app.warning.getvalue() == ""
    out = Path(app.outdir)
    care = (out / "care.html").read_text(encoding="utf-8")
    doctors = (out / "doctors.html").read_text(encoding="utf-8")
    # The numbers are the root's own (48 hours, 5-week axis), not the clinic's.
    assert "First 48 hours: a test span." in care and "72 hours" not in care
    # Each figure has an anchor of its own (a printed document can name it), unique ids.
    assert 'id="figure-course"' in care and 'id="figure-groups"' in care
    assert 'id="figure-course"' in doctors and 'id="figure-course-1"' in doctors
    for html in (care, doctors):
        for svg in svgs(html):
            check_accessible(svg, html)
    # A caption with markup characters stays text.
    assert 'Test groups &lt;with&gt; "markup" &amp; symbols.' in care
    # Not in the search index's text nor the reading-grade check: the SVG's words.
    from indexer.domain import get_domain
    sections = get_domain(app.env).sections["care"]
    assert all("test taper" not in s["text"] for s in sections)


def test_same_input_same_bytes(make_app: Any, rootdir: Path, tmp_path: Path) -> None:
    """Two clean builds of the same sources write the same figures, byte for byte."""
    pages = []
    for n in range(2):
        srcdir = tmp_path / f"src{n}"
        shutil.copytree(rootdir / "test-figures", srcdir)
        app = make_app("html", srcdir=srcdir, freshenv=True)
        app.build()
        pages.append([figures_of(Path(app.outdir) / f"{p}.html") for p in ("care", "doctors")])
        app.cleanup()
    assert pages[0] == pages[1] and all(pages[0])


@pytest.mark.sphinx("html", testroot="figures", freshenv=True, confoverrides={
    "kb_figures": "_data/missing.yaml"})
def test_a_missing_data_file_is_a_located_warning(app: SphinxTestApp) -> None:
    app.build()
    warnings = app.warning.getvalue()
    assert re.search(r"care\.md:\d+: WARNING: .*missing\.yaml: cannot read the figures file "
                     r".*\[kb\.figure\]", warnings), warnings


def test_an_unknown_figure_is_a_located_warning(make_app: Any, rootdir: Path,
                                                tmp_path: Path) -> None:
    srcdir = tmp_path / "src"
    shutil.copytree(rootdir / "test-figures", srcdir)
    care = srcdir / "care.md"
    care.write_text(care.read_text(encoding="utf-8").replace("{data-figure} groups",
                                                             "{data-figure} nothing"),
                    encoding="utf-8")
    app = make_app("html", srcdir=srcdir, freshenv=True)
    app.build()
    assert re.search(r"care\.md:\d+: WARNING: no figure 'nothing' in _data/figures\.yaml "
                     r"\[kb\.figure\]", app.warning.getvalue())
    app.cleanup()


# --- In Chromium: light and dark mode, phone and desktop ---------------------------------

def _luminance(rgb: str) -> float:
    values = [int(v) / 255 for v in re.findall(r"\d+", rgb)[:3]]
    lin = [v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4 for v in values]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def _contrast(a: str, b: str) -> float:
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def test_figures_in_chromium_light_dark_and_phone(tmp_path: Path) -> None:
    if not Path(CHROMIUM).is_file():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium")
    from playwright.sync_api import sync_playwright

    page_file = built("side-effects").as_uri()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            seen = {}
            modes: list[tuple[int, Literal["light", "dark"]]] = [
                (1200, "light"), (1200, "dark"), (375, "light"), (375, "dark")]
            for width, scheme in modes:
                context = browser.new_context(viewport={"width": width, "height": 900},
                                              color_scheme=scheme)
                page = context.new_page()
                page.goto(page_file)
                page.evaluate(f"document.documentElement.dataset.theme = '{scheme}'")
                figure = page.locator("figure.kb-figure").first
                shown = page.locator("figure.kb-figure svg:visible")
                assert shown.count() == 1  # one layout at a time: one picture to hear
                layout = shown.first.get_attribute("class") or ""
                assert ("kb-fig-wide" in layout) == (width > 700), (width, layout)
                box = shown.first.bounding_box()
                assert box is not None and box["x"] >= 0
                assert box["x"] + box["width"] <= width  # fits the screen: no sideways scroll
                text_colour = shown.first.evaluate("e => getComputedStyle(e).color")
                background = page.evaluate(
                    "() => getComputedStyle(document.body).backgroundColor")
                assert _contrast(text_colour, background) >= 4.5, (scheme, text_colour)
                # Text on a phone stays a reading size (rendered, not user units).
                label = shown.first.locator("text").first.bounding_box()
                assert label is not None and label["height"] >= 10, (width, label)
                caution = shown.first.locator(".kb-fig-caution").first.evaluate(
                    "e => getComputedStyle(e).fill")
                assert _contrast(caution, background) >= 3, (scheme, caution)  # WCAG 1.4.11
                seen[(width, scheme)] = (text_colour, caution)
                figure.screenshot(path=str(tmp_path / f"figure-{width}-{scheme}.png"))
                context.close()
        finally:
            browser.close()
    assert seen[(1200, "light")] != seen[(1200, "dark")]  # the theme's colours, per mode


def test_an_edit_to_the_data_redraws_the_pages(make_app: Any, rootdir: Path,
                                               tmp_path: Path) -> None:
    """An incremental build after the data file changes redraws every page that shows a
    figure of it (the pages depend on the file)."""
    srcdir = tmp_path / "src"
    shutil.copytree(rootdir / "test-figures", srcdir)
    app = make_app("html", srcdir=srcdir, freshenv=True)
    app.build()
    app.cleanup()
    data = srcdir / "_data" / "figures.yaml"
    data.write_text(data.read_text(encoding="utf-8").replace("First 48 hours: a test span.",
                                                             "First 36 hours: edited."),
                    encoding="utf-8")
    app = make_app("html", srcdir=srcdir)
    app.build()
    out = Path(app.outdir)
    for page in ("care", "doctors"):
        html = (out / f"{page}.html").read_text(encoding="utf-8")
        assert "First 36 hours: edited." in html and "48 hours: a test span" not in html
    app.cleanup()
