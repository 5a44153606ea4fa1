"""The patient leaflet: one US Letter page from the site's own sections (no second copy of
the text), with the timeline, the warning signs and their urgency, and whom to call; the
clinic's phone a marked placeholder until set, and `prolo-kb check` listing what is unset."""

from __future__ import annotations

import html as htmlmod
import io
import json
import re
import runpy
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from conftest import BUILD
from sphinx.builders.html import StandaloneHTMLBuilder
from sphinx.errors import ConfigError
from sphinx.testing.util import SphinxTestApp
from test_handout import assert_looks_printed, pdf_images, pdf_pages, pdf_text

from indexer import readability
from indexer.handout import LEAFLET, HandoutConfig, handout_config, handout_html
from indexer.placeholders import PHONE_PLACEHOLDER
from prolo_kb import placeholders
from prolo_kb.health import run_check

pytestmark = pytest.mark.sphinx

REPO = Path(__file__).resolve().parents[1]
LEAFLET_FILE = "test-leaflet.pdf"


def page_size(pdf: Path) -> str:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True,
                          check=True).stdout
    match = re.search(r"^Page size:\s+(.*)$", info, re.M)
    assert match, info
    return match.group(1)


def words(markup: str) -> str:
    return " ".join(htmlmod.unescape(re.sub(r"<[^>]+>", " ", markup)).split())


# --- The real leaflet -------------------------------------------------------------------

def real_config() -> HandoutConfig:
    conf = runpy.run_path(str(REPO / "docs" / "conf.py"))
    config = HandoutConfig.parse(conf.get("kb_leaflet"), LEAFLET)
    assert config is not None, "docs/conf.py sets no kb_leaflet"
    return config


def test_real_leaflet_is_one_page_with_the_timeline_the_signs_and_whom_to_call(
        tmp_path: Path) -> None:
    """The PDF `make build` put into the site (the one the pages and the search link to)."""
    config = real_config()
    pdf = BUILD / "html" / config.file
    if not pdf.is_file():
        pytest.fail(f"no leaflet at {pdf}: run `make build` first")
    assert pdf_pages(pdf) == 1
    assert "612 x 792 pts (letter)" in page_size(pdf)
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
    assert re.search(r"^Tagged:\s+yes$", info, re.M), info  # screen readers can follow it
    assert re.search(r"^Title:\s+After your prolotherapy shots$", info, re.M), info
    text = pdf_text(pdf)
    conf = runpy.run_path(str(REPO / "docs" / "conf.py"))
    phone = str(conf.get("kb_clinic_phone") or "").strip()
    for phrase in [
        config.title, "Infinity Regenerative Medicine",
        # whom to call, first
        "Clinic phone:", phone or PHONE_PLACEHOLDER, "Emergency: call 911",
        # the timeline, drawn
        "What is normal after the shots", "First 24 to 72 hours", "about 4 weeks",
        "every 4 to 6 weeks", "Weeks after the shots",
        # the signs, with their urgency
        "When to get help", "Emergency: call emergency services now", "trouble breathing",
        "allergic reaction", "Same day: call the clinic today", "fever or chills",
        "Routine: no rush", "Next review due:", "Page 1 of 1",
    ]:
        assert phrase in text, phrase
    assert text.index("Clinic phone:") < text.index("What is normal after the shots")
    assert "Literature current through" not in text  # a physician's date, not a patient's
    images = pdf_images(pdf, tmp_path / "png")
    assert len(images) == 1
    assert_looks_printed(images)


def test_real_leaflet_sections_read_plainly() -> None:
    """Reading grade of what the leaflet shows: the section written for it at 6 or lower,
    every part at the site's limit, 8."""
    config = real_config()
    index = json.loads((BUILD / "index" / "manifest.json").read_text(encoding="utf-8"))
    assert index  # a built index: the leaflet's sections are on the site
    page = (BUILD / "html" / "side-effects.html").read_text(encoding="utf-8")
    grades = {}
    for part in config.parts:
        for docname, anchor in part.sections:
            assert docname == "side-effects"
            block = re.search(rf'id="{re.escape(anchor)}".*?(?=<section|<div class="kb-review)',
                              page, re.S)
            assert block, anchor
            body = re.sub(r"<svg\b.*?</svg>|<figcaption.*?</figcaption>|<h\d.*?</h\d>", " ",
                          block.group(0), flags=re.S)
            grades[anchor] = readability.grade(words(body)) or 0.0
    assert grades["what-is-normal-after-the-shots"] <= 6, grades
    assert all(g <= 8 for g in grades.values()), grades


def test_the_search_page_offers_the_leaflet() -> None:
    search = (BUILD / "html" / "search.html").read_text(encoding="utf-8")
    meta = re.search(r'<meta name="kb-search" content="([^"]+)"', search)
    assert meta, "no kb-search meta tag on the search page"
    options = json.loads(htmlmod.unescape(meta.group(1)))
    assert options["leaflet"]["url"] == real_config().file
    assert {"aftercare", "side-effects"} <= set(options["leaflet"]["topics"])


def test_the_site_links_the_leaflet_from_the_pages_it_is_made_of() -> None:
    page = (BUILD / "html" / "side-effects.html").read_text(encoding="utf-8")
    assert re.search(r'<p class="kb-handout-link kb-leaflet-link kb-handout-link-footer">'
                     rf'<a class="[^"]*kb-leaflet-pdf[^"]*" href="{real_config().file}"',
                     page)


# --- A test root ------------------------------------------------------------------------

@pytest.mark.sphinx("leaflet", testroot="figures", freshenv=True)
def test_leaflet_builder_writes_one_page(app: SphinxTestApp, tmp_path: Path) -> None:
    app.build()
    assert app.warning.getvalue() == ""
    out = Path(app.outdir)
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) \
        == [LEAFLET_FILE]  # the leaflet builder writes the leaflet alone
    pdf = out / LEAFLET_FILE
    assert pdf_pages(pdf) == 1
    text = pdf_text(pdf)
    order = ["After your test shots", f"Clinic phone: {PHONE_PLACEHOLDER}",
             "Emergency: call 911", "What is normal", "a little sore for 48 hours",
             "First 48 hours: a test span.", "Weeks after the test shots", "When to get help",
             "Emergency: call emergency services now", "trouble breathing",
             "Same day: call the clinic today", "a fever", "Routine: no rush", "Sources",
             "Report a problem with this leaflet: content@example.org", "Page 1 of 1"]
    from test_handout import assert_in_order
    assert_in_order(text, order)
    assert "Three test groups" not in text  # only the sections named
    assert_looks_printed(pdf_images(pdf, tmp_path / "png"))


def built_leaflet_html(app: SphinxTestApp) -> str:
    """Build the test root as the leaflet builder does; the leaflet's HTML."""
    app.build()
    config = handout_config(app, LEAFLET)
    assert config is not None
    assert isinstance(app.builder, StandaloneHTMLBuilder)
    return handout_html(app, app.builder, config)


@pytest.mark.sphinx("leaflet", testroot="figures", freshenv=True,
                    confoverrides={"kb_clinic_phone": "+1 (608) 555-0100"})
def test_a_set_phone_is_printed_and_dialled(app: SphinxTestApp) -> None:
    markup = built_leaflet_html(app)
    assert '<a class="phone" href="tel:+16085550100">+1 (608) 555-0100</a>' in markup
    assert PHONE_PLACEHOLDER not in markup
    assert "Clinic phone: +1 (608) 555-0100" in pdf_text(Path(app.outdir) / LEAFLET_FILE)


@pytest.mark.sphinx("leaflet", testroot="figures", freshenv=True)
def test_no_second_copy_of_the_text(app: SphinxTestApp) -> None:
    """Every paragraph and list item of the leaflet's parts is the site page's own."""
    markup = built_leaflet_html(app)
    parts = "".join(re.findall(r'<section class="part part-\d+".*?</section>', markup, re.S))
    assert parts
    def plain(text: str) -> str:  # without citations, which the leaflet links
        return re.sub(r"\s+([.,])", r"\1", text)

    source = plain(words(re.sub(r"\{src\}`[^`]+`", "",
                                (Path(app.srcdir) / "care.md").read_text(encoding="utf-8"))))
    parts = re.sub(r'<span class="kb-src[^"]*">.*?</span>', "", parts)
    blocks = [plain(words(b))
              for b in re.findall(r"<(?:p|li)\b[^>]*>(.*?)</(?:p|li)>", parts, re.S)]
    blocks = [b for b in blocks
              if b and not b.startswith(("Emergency:", "Same day:", "Routine:"))]
    assert len(blocks) >= 4
    for block in blocks:
        assert block in source, block


@pytest.mark.sphinx("html", testroot="figures", freshenv=True)
def test_site_build_includes_the_leaflet_and_links_it_for_patients(
        app: SphinxTestApp) -> None:
    app.build()
    assert app.warning.getvalue() == ""
    out = Path(app.outdir)
    assert pdf_pages(out / LEAFLET_FILE) == 1

    def links(page: str) -> list[str]:
        return re.findall(r'<p class="kb-handout-link kb-leaflet-link (kb-handout-link-\w+)">',
                          (out / page).read_text(encoding="utf-8"))

    # A page for patients (not physicians) links at the top, and, being what the leaflet
    # is made of, in its footer; a page for physicians only and the home page do not.
    assert links("care.html") == ["kb-handout-link-top", "kb-handout-link-footer"]
    assert links("doctors.html") == []
    assert links("index.html") == []


@pytest.mark.sphinx("leaflet", testroot="figures", freshenv=True, confoverrides={
    "kb_leaflet": {"title": "Too long", "file": LEAFLET_FILE, "parts": [
        (f"Part {n}", ["care#what-is-normal", "care#warning-signs"]) for n in range(6)]}})
def test_a_leaflet_over_one_page_fails_the_build(app: SphinxTestApp) -> None:
    app.build()
    pages = pdf_pages(Path(app.outdir) / LEAFLET_FILE)
    assert pages > 1
    assert (f"the patient leaflet {LEAFLET_FILE} is {pages} pages long; it must fit on 1 "
            "(shorten its sections or drop one from kb_leaflet in conf.py) [kb.handout]"
            ) in app.warning.getvalue()


@pytest.mark.sphinx("leaflet", testroot="figures", freshenv=True, confoverrides={
    "kb_leaflet": {}})
def test_no_leaflet_configured_is_a_warning(app: SphinxTestApp) -> None:
    app.build()
    assert "no patient leaflet to build: set kb_leaflet in conf.py" in app.warning.getvalue()


def test_leaflet_configuration() -> None:
    config = HandoutConfig.parse({"title": "T", "parts": [("A", ["x#y"])]}, LEAFLET)
    assert config is not None
    assert (config.file, config.max_pages, config.kind.noun) == (
        "patient-leaflet.pdf", 1, "patient leaflet")
    with pytest.raises(ConfigError, match=re.escape("kb_leaflet 'parts' must be a list")):
        HandoutConfig.parse({"title": "T", "parts": []}, LEAFLET)
    with pytest.raises(ConfigError, match=re.escape("kb_leaflet has unknown keys: phone")):
        HandoutConfig.parse({"title": "T", "parts": [("A", ["x#y"])], "phone": "1"}, LEAFLET)


# --- Placeholders and `prolo-kb check` --------------------------------------------------

@pytest.mark.parametrize("value, unset", [
    ("", True), ("  ", True), ("content@infinityregenerative.example", True),
    ("a@example.com", True), ("a@clinic.test", True), ("a@x.invalid", True),
    ("content@clinic.org", False), ("+1 608 555 0100", False), ("a@example.community", False),
])
def test_what_is_a_placeholder(value: str, unset: bool) -> None:
    assert placeholders.is_placeholder(value) is unset


def test_check_lists_unset_placeholders(sample_index: Path) -> None:
    out = io.StringIO()
    run_check(sample_index, out=out)
    assert "Unset placeholders" in out.getvalue() and "Not recorded" in out.getvalue()
    placeholders.record(sample_index, {"kb_clinic_phone": "",
                                       "kb_feedback_email": "content@clinic.example"})
    out = io.StringIO()
    code = run_check(sample_index, out=out)
    text = out.getvalue()
    assert "Unset placeholders (2)" in text
    assert "kb_clinic_phone" in text and "content@clinic.example" in text
    out = io.StringIO()
    assert run_check(sample_index, as_json=True, out=out) == code  # listed, never blocking
    listed = json.loads(out.getvalue())["placeholders"]
    assert [p["setting"] for p in listed] == ["kb_clinic_phone", "kb_feedback_email"]
    placeholders.record(sample_index, {"kb_clinic_phone": "+1 608 555 0100",
                                       "kb_feedback_email": "content@clinic.org"})
    out = io.StringIO()
    run_check(sample_index, out=out)
    assert "None: the clinic's phone and the feedback address are set." in out.getvalue()


def test_the_real_build_records_the_settings_for_check() -> None:
    recorded = placeholders.read(BUILD / "index")
    assert recorded is not None, "the docs build recorded no settings beside the index"
    conf = runpy.run_path(str(REPO / "docs" / "conf.py"))
    assert recorded == {"kb_clinic_phone": conf["kb_clinic_phone"],
                        "kb_feedback_email": conf["kb_feedback_email"]}
    out = subprocess.run([str(REPO / ".venv" / "bin" / "prolo-kb"), "check", "--json",
                          "--index", str(BUILD / "index")], capture_output=True, text=True)
    listed = {p["setting"] for p in json.loads(out.stdout)["placeholders"]}
    expected = {name for name, value in recorded.items() if placeholders.is_placeholder(value)}
    assert listed == expected


def test_a_leaflet_kept_out_of_the_site_is_not_linked(make_app: Any, rootdir: Path,
                                                       tmp_path: Path) -> None:
    srcdir = tmp_path / "src"
    shutil.copytree(rootdir / "test-figures", srcdir)
    conf = srcdir / "conf.py"
    conf.write_text(conf.read_text(encoding="utf-8").replace(
        '"contact": True,', '"contact": True, "in_site": False,'), encoding="utf-8")
    app = make_app("html", srcdir=srcdir, freshenv=True)
    app.build()
    out = Path(app.outdir)
    assert not (out / LEAFLET_FILE).exists()
    assert "kb-leaflet-link" not in (out / "care.html").read_text(encoding="utf-8")
    app.cleanup()
