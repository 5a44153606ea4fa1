"""The physician handout: rendered to PDF from a small test root and from the real docs,
turned into text (pdftotext) and page images (pdftoppm), and checked for its sections,
its page count, and the links the site pages give to it."""

from __future__ import annotations

import re
import runpy
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from conftest import BUILD
from PIL import Image
from sphinx.errors import ConfigError
from sphinx.testing.util import SphinxTestApp

from indexer.handout import HandoutConfig, handout_html

pytestmark = pytest.mark.sphinx

REPO = Path(__file__).resolve().parents[1]

LETTER = (612, 792)  # points


def pdf_pages(pdf: Path) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    match = re.search(r"^Pages:\s+(\d+)$", info.stdout, re.M)
    assert match, info.stdout
    return int(match.group(1))


def pdf_text(pdf: Path) -> str:
    """The PDF's text in reading order, with runs of white space made single spaces."""
    out = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                         check=True).stdout
    return " ".join(out.split())


def assert_in_order(text: str, phrases: list[str]) -> None:
    at = 0
    for phrase in phrases:
        found = text.find(phrase, at)
        assert found >= 0, f"{phrase!r} missing, or not after the phrase before it"
        at = found + len(phrase)


def pdf_images(pdf: Path, folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    subprocess.run(["pdftoppm", "-r", "60", "-png", str(pdf), str(folder / "page")],
                   check=True)
    return sorted(folder.glob("page-*.png"))


def assert_looks_printed(images: list[Path]) -> None:
    """Every page image is portrait Letter, mostly white paper, and carries text."""
    for image_path in images:
        with Image.open(image_path) as image:
            width, height = image.size
            assert abs(height / width - LETTER[1] / LETTER[0]) < 0.01, image.size
            gray = image.convert("L")
            histogram = gray.histogram()
            pixels = width * height
            dark = sum(histogram[:128]) / pixels
            white = sum(histogram[250:]) / pixels
            assert 0.01 < dark < 0.25, (image_path, dark)  # text, not a blank or black page
            assert white > 0.5, (image_path, white)  # margins and paper


@pytest.fixture(scope="session", autouse=True)
def poppler() -> None:
    missing = [tool for tool in ("pdftoppm", "pdftotext", "pdfinfo") if not shutil.which(tool)]
    if missing:
        pytest.fail(f"{', '.join(missing)} missing: apt-get install poppler-utils")


# --- The test root ----------------------------------------------------------------------

@pytest.mark.sphinx("handout", testroot="handout", freshenv=True)
def test_handout_builder_writes_the_pdf(app: SphinxTestApp, tmp_path: Path) -> None:
    app.build()
    assert app.warning.getvalue() == ""
    pdf = Path(app.outdir) / "physician-handout.pdf"
    assert pdf_pages(pdf) == 1
    assert sorted(p.name for p in Path(app.outdir).iterdir() if not p.name.startswith(".")) \
        == ["physician-handout.pdf"]  # the handout builder writes no site
    text = pdf_text(pdf)
    # The parts, in the configured order, with the sections' own words.
    order = ["Test handout for referring physicians", "Indications and evidence",
             "Evidence by condition", "Knee osteoarthritis", "SORT B", "Not graded",
             "How to read the labels", "Session protocol", "every four to six weeks",
             "Weeks 1, 5 and 9", "Side effects and when to send the patient back",
             "Emergency: call emergency services now", "Same day: call the clinic today",
             "Routine: no rush", "Sources"]
    assert_in_order(text, order)
    # Review facts: the earliest dates of the pages used, every reviewer.
    assert "Reviewed: 15 October 2026 by Dr Evidence; Test Reviewer" in text
    assert "Next review due: 30 June 2029" in text
    assert "Literature current through: September 2026" in text
    # Sources: every cited source in full, in order of first citation.
    assert text.index("Smith et al. 2013 Smith J et al. Test Journal. 2013;1:1-2.") < \
        text.index('Test Clinic Test Clinic, "Prolotherapy"')
    assert "Report a problem with this handout: content@example.org" in text
    assert "Page 1 of 1" in text
    # Not on paper: sections left out, the site's review footer and feedback link.
    assert "on the site only" not in text
    assert "Page last reviewed" not in text and "Report a problem with this page" not in text
    assert "This page is for doctors" not in text  # summaries are for patients and staff
    assert_looks_printed(pdf_images(pdf, tmp_path / "png"))


@pytest.mark.sphinx("handout", testroot="handout", freshenv=True)
def test_citations_link_to_the_sources_list(app: SphinxTestApp) -> None:
    app.build()
    config = HandoutConfig.parse(app.config.kb_handout)
    assert config is not None
    html = handout_html(app, app.builder, config)
    links = set(re.findall(r'href="([^"]+)"', html))
    assert {"#src-trial-2013", "#src-clinic-page"} <= links
    assert 'id="src-trial-2013"' in html and 'id="src-clinic-page"' in html
    assert "references.html" not in html  # citations point into the handout
    assert "protocol.html" not in html  # a link to another page becomes plain text
    assert "on the Session protocol page" in re.sub(r"<[^>]+>", "", html)
    assert '<a href="https://clinic.example/prolotherapy">' in html  # URLs in citations


@pytest.mark.sphinx("html", testroot="handout", freshenv=True)
def test_site_build_includes_the_handout_and_links_to_it(app: SphinxTestApp) -> None:
    app.build()
    assert app.warning.getvalue() == ""
    out = Path(app.outdir)
    assert pdf_pages(out / "physician-handout.pdf") == 1

    def links(page: str) -> list[tuple[str, str]]:
        html = (out / page).read_text(encoding="utf-8")
        return re.findall(r'<p class="kb-handout-link (kb-handout-link-\w+)">'
                          r'<a class="[^"]*kb-handout-pdf[^"]*" href="([^"]+)"', html)

    # Physician pages (not for patients) link at the top; pages the handout is made of
    # link in their review footer; pages for patients only do not link.
    assert links("evidence.html") == [("kb-handout-link-top", "physician-handout.pdf"),
                                      ("kb-handout-link-footer", "physician-handout.pdf")]
    assert links("protocol.html") == [("kb-handout-link-footer", "physician-handout.pdf")]
    assert links("side-effects.html") == [("kb-handout-link-footer", "physician-handout.pdf")]
    assert links("guides/referrals.html") == [("kb-handout-link-top",
                                               "../physician-handout.pdf")]
    assert links("patients.html") == []
    assert links("index.html") == []
    evidence = (out / "evidence.html").read_text(encoding="utf-8")
    assert evidence.index("kb-summary") < evidence.index("kb-handout-link-top") \
        < evidence.index('id="evidence-by-condition"')  # right under the summary
    assert "kb-handout.css" in evidence


NOT_IN_SITE = {"title": "T", "in_site": False, "parts": [("E", ["evidence#sources"])]}


@pytest.mark.sphinx("html", testroot="handout", srcdir="handout-not-in-site", freshenv=True,
                    confoverrides={"kb_handout": NOT_IN_SITE})
def test_a_handout_kept_out_of_the_site_is_not_linked(app: SphinxTestApp) -> None:
    app.build()
    assert app.warning.getvalue() == ""
    out = Path(app.outdir)
    assert not list(out.glob("*.pdf"))
    assert "kb-handout-link" not in (out / "evidence.html").read_text(encoding="utf-8")


@pytest.mark.sphinx("handout", testroot="handout", freshenv=True, confoverrides={
    "kb_handout": {"title": "T", "parts": [("Evidence", ["evidence#no-such-section",
                                                         "nowhere#anything"])]}})
def test_a_missing_section_is_a_located_warning(app: SphinxTestApp) -> None:
    app.build()
    warnings = app.warning.getvalue()
    assert re.search(r"evidence\.md: WARNING: kb_handout names section 'no-such-section', "
                     r"which evidence does not have \(its sections: evidence-for-physicians, "
                     r"evidence-by-condition, .*\) \[kb\.handout\]", warnings), warnings
    assert "kb_handout names nowhere#anything, but there is no page 'nowhere'" in warnings


@pytest.mark.sphinx("handout", testroot="handout", freshenv=True, confoverrides={
    "kb_handout": {"title": "Too long", "max_pages": 1, "paper": "A4", "parts": [
        ("Evidence " + str(n), ["evidence#evidence-by-condition"]) for n in range(12)]}})
def test_a_handout_over_its_page_limit_is_a_warning(app: SphinxTestApp) -> None:
    app.build()
    pdf = Path(app.outdir) / "physician-handout.pdf"
    pages = pdf_pages(pdf)
    assert pages > 1
    assert (f"the physician handout physician-handout.pdf is {pages} pages long; it must "
            "fit on 1") in app.warning.getvalue()
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
    assert "(A4)" in info


def test_an_unchanged_handout_is_not_rendered_again(make_app: Any,
                                                     built_copy: Any) -> None:
    app, srcdir = built_copy("test-handout")
    pdf = Path(app.outdir) / "physician-handout.pdf"
    first = pdf.stat().st_mtime_ns
    app.cleanup()
    app = make_app("html", srcdir=srcdir)
    app.build()
    assert pdf.stat().st_mtime_ns == first
    app.cleanup()
    protocol = srcdir / "protocol.md"
    protocol.write_text(protocol.read_text(encoding="utf-8").replace(
        "every four to six weeks {src}", "every five weeks {src}"), encoding="utf-8")
    app = make_app("html", srcdir=srcdir, parallel=2)
    app.build()
    assert app.warning.getvalue() == ""
    assert "every five weeks" in pdf_text(pdf)
    app.cleanup()


@pytest.mark.parametrize("value, message", [
    ("a string", "must be a dict"),
    ({"parts": [("A", ["x#y"])]}, "needs a 'title'"),
    ({"title": "T", "parts": []}, "'parts' must be a list"),
    ({"title": "T", "parts": [("A", ["no-anchor"])]}, "must be 'docname#section-id'"),
    ({"title": "T", "parts": [("A", "x#y")]}, "must be (heading"),
    ({"title": "T", "parts": [("A", ["x#y"])], "paper": "A5"}, "'paper' must be one of"),
    ({"title": "T", "parts": [("A", ["x#y"])], "file": "../x.pdf"}, "file name ending"),
    ({"title": "T", "parts": [("A", ["x#y"])], "max_pages": 0}, "at least 1"),
    ({"title": "T", "parts": [("A", ["x#y"])], "colour": "red"}, "unknown keys: colour"),
])
def test_malformed_configuration_is_refused(value: object, message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        HandoutConfig.parse(value)


def test_no_configuration_means_no_handout() -> None:
    assert HandoutConfig.parse({}) is None
    config = HandoutConfig.parse({"title": " T ", "parts": [
        ("A", ["x#one", "y#two"]), ("B", ["x#three"])]})
    assert config is not None and config.title == "T"
    assert config.docnames == ["x", "y"] and config.paper == "letter"


# --- The real content -------------------------------------------------------------------

def test_real_handout_fits_two_pages_with_every_section(tmp_path: Path) -> None:
    """The PDF `make build` put into the site (the one the physician pages link to)."""
    conf = runpy.run_path(str(REPO / "docs" / "conf.py"))
    config = HandoutConfig.parse(conf.get("kb_handout"))
    assert config is not None, "docs/conf.py sets no kb_handout"
    pdf = BUILD / "html" / config.file
    if not pdf.is_file():
        pytest.fail(f"no handout at {pdf}: run `make build` first")
    pages = pdf_pages(pdf)
    assert 1 <= pages <= 2
    text = pdf_text(pdf)
    for phrase in [
        "Prolotherapy", "Infinity Regenerative Medicine",
        "Indications and evidence", "Knee osteoarthritis", "SORT B", "Not graded",
        "Session protocol", "every four to six weeks",
        "The four recovery groups", "75–100%", "6–12 months", "No improvement",
        "Side effects and when to send the patient back",
        "Emergency: call emergency services now", "Same day: call the clinic today",
        "Routine: no rush", "Next review due:", "Literature current through:",
        "Sources", "Rabago", "Report a problem with this handout", f"Page {pages} of {pages}",
    ]:
        assert phrase in text, phrase
    images = pdf_images(pdf, tmp_path / "png")
    assert len(images) == pages
    assert_looks_printed(images)
    evidence = (BUILD / "html" / "evidence.html").read_text(encoding="utf-8")
    assert f'href="{config.file}"' in evidence
