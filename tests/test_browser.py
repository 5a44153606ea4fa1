"""The search in a real browser: Debian's Chromium driven by Playwright, against
``prolo-kb serve`` running on a free 127.0.0.1 port over the real build in build/.

Also the real server process itself: it binds to 127.0.0.1, prints the URL to open,
refuses traversal at the socket level and keeps queries out of its log.

Chromium missing is a failure, not a skip: CI installs it (.ci/run).
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

import httpx2 as httpx
import pytest
from conftest import BUILD
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from prolo_kb.content import URGENCIES

REPO = Path(__file__).resolve().parents[1]

SITE = BUILD / "html"
INDEX = BUILD / "index"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
QUESTION = "how often are the injections?"
SECRET_QUERY = "zebrafish-patient-jane-doe"
TIMEOUT_MS = 10_000
DESK = (1280, 800)
PHONE = (390, 844)
SIZES = [DESK, PHONE]
SIZE_IDS = ["desk", "phone"]
SCHEMES = ["light", "dark"]


def on_every_screen(test: Any) -> Any:
    """A browser test at desk and phone size, in light and dark mode."""
    sized = pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
    schemed = pytest.mark.parametrize("scheme", SCHEMES)
    return pytest.mark.browser(sized(schemed(test)))
CSP_WATCH = ("window.__csp = []; document.addEventListener('securitypolicyviolation',"
             " e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));")
PageMaker = Callable[[tuple[int, int], str], Page]


@dataclass
class Server:
    url: str
    port: int
    process: subprocess.Popen[str]
    stdout_first: str
    stderr_path: Path

    def api(self, path: str, **params: Any) -> Any:
        response = httpx.get(self.url + path.lstrip("/"), params=params, timeout=10)
        return response.json()

    def log(self) -> str:
        """What the server has written to stderr so far."""
        return self.stderr_path.read_text(encoding="utf-8")


# Module scope: Playwright's sync API keeps an event loop running in the main thread
# while it is open, which other test modules' asyncio.run() must not meet.
@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    if not (INDEX / "manifest.json").is_file() or not (SITE / "search.html").is_file():
        pytest.fail(f"no build in {REPO / 'build'}: run `make build` first (make test does)")
    script = Path(sys.executable).with_name("prolo-kb")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "prolo_kb.cli"]
    err_path = tmp_path_factory.mktemp("serve") / "stderr.txt"
    usage = err_path.with_name("usage.sqlite")  # answer events are kept: "Was this helpful?"
    with open(err_path, "w", encoding="utf-8") as err:
        process = subprocess.Popen(
            [*command, "serve", "--port", "0", "--index", str(INDEX), "--site", str(SITE),
             "--usage-db", str(usage)],
            stdout=subprocess.PIPE, stderr=err, text=True, cwd=REPO,
            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    assert process.stdout is not None
    first = process.stdout.readline()
    match = re.search(r"http://127\.0\.0\.1:(\d+)/", first)
    if not match:
        process.kill()
        pytest.fail(f"prolo-kb serve printed no URL: {first!r} {err_path.read_text()}")
    port = int(match.group(1))
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 20
    while True:
        try:
            if httpx.get(url + "api/health", timeout=2).status_code == 200:
                break
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline or process.poll() is not None:
            process.kill()
            pytest.fail(f"prolo-kb serve did not come up: {err_path.read_text()}")
        time.sleep(0.1)
    yield Server(url=url, port=port, process=process, stdout_first=first, stderr_path=err_path)
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).is_file():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium "
                    "(apt-get install chromium; .ci/run does it)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS,
                                              headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def context(browser: Browser, server: Server) -> Iterator[BrowserContext]:
    ctx = browser.new_context(viewport={"width": 1200, "height": 900})
    ctx.set_default_timeout(TIMEOUT_MS)
    ctx.add_init_script(CSP_WATCH)
    yield ctx
    ctx.close()


@pytest.fixture
def make_page(browser: Browser, server: Server) -> Iterator[PageMaker]:
    """A tab in a fresh context (a first visit) of a given size and colour scheme."""
    contexts: list[BrowserContext] = []
    errors: list[str] = []

    def make(size: tuple[int, int], scheme: str) -> Page:
        ctx = browser.new_context(viewport={"width": size[0], "height": size[1]},
                                  color_scheme=scheme)  # type: ignore[arg-type]
        ctx.set_default_timeout(TIMEOUT_MS)
        ctx.add_init_script(CSP_WATCH)
        contexts.append(ctx)
        tab = ctx.new_page()
        tab.on("pageerror", lambda exc: errors.append(str(exc)))
        return tab

    yield make
    for ctx in contexts:
        ctx.close()
    assert errors == [], errors


@pytest.fixture
def page(context: BrowserContext) -> Iterator[Page]:
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    tab.on("dialog", lambda dialog: errors.append(f"dialog opened: {dialog.message}"))
    yield tab
    assert errors == [], errors  # no uncaught script error, no alert() ever


def open_search(page: Page, server: Server, **params: str) -> None:
    query = f"?{urlencode(params)}" if params else ""
    page.goto(f"{server.url}search.html{query}")
    expect(page.locator("html")).to_have_attribute("data-kb-search", "api")


def search_box(page: Page) -> Any:
    return page.locator(".bd-search-container input[name=q]")


def wait_results(page: Page, query: str) -> None:
    expect(page.locator("#kb-results")).to_have_attribute("data-query", query)


def hit_ids(page: Page) -> list[str]:
    return list(page.locator("#kb-results > li").evaluate_all("els => els.map(e => e.dataset.id)"))


def api_requests(page: Page) -> list[str]:
    """The queries the page asks api/search for, as they are sent."""
    sent: list[str] = []

    def note(request: Any) -> None:
        if "/api/search?" in request.url:
            sent.append(dict(parse_qsl(urlsplit(request.url).query))["q"])

    page.on("request", note)
    return sent


def capture_events(page: Page) -> list[dict[str, Any]]:
    """The usage events the page posts to api/event (answered 204, as the server does)."""
    events: list[dict[str, Any]] = []

    def answer(route: Any) -> None:
        request = route.request
        assert request.method == "POST"
        assert request.headers["content-type"] == "application/json"
        events.append(json.loads(request.post_data or "{}"))
        route.fulfill(status=204)

    page.route("**/api/event", answer)
    return events


# -- the newcomer's question --------------------------------------------------------


@pytest.mark.browser
def test_a_newcomer_answers_how_often_from_the_site_search_box(page: Page,
                                                                server: Server) -> None:
    page.goto(server.url)
    page.locator(".search-button__button").first.click()
    dialog_input = page.locator("#pst-search-dialog input[name=q]")
    expect(dialog_input).to_be_focused()
    dialog_input.fill(QUESTION)
    dialog_input.press("Enter")
    page.wait_for_url(re.compile(r"/search\.html\?q="))
    expect(page.locator("html")).to_have_attribute("data-kb-search", "api")
    wait_results(page, QUESTION)
    # The answer to the newcomer's question comes first, whole, without a click.
    first = page.locator("#kb-results > li").first
    expect(first.locator(".kb-answer")).to_be_visible()
    expect(first.locator(".kb-answer")).to_contain_text("every four to six weeks",
                                                         ignore_case=True)


@pytest.mark.browser
def test_results_come_when_typing_pauses_one_request_per_pause(page: Page,
                                                              server: Server) -> None:
    open_search(page, server)
    expect(search_box(page)).to_be_focused()
    sent = api_requests(page)
    page.evaluate("""() => {
        window.__keys = [];
        window.__sent = [];
        document.querySelector('.bd-search-container input[name=q]').addEventListener(
            'keydown', (e) => window.__keys.push(performance.now()), true);
        const send = window.fetch;
        window.fetch = function (resource) {
            if (String(resource).includes('/api/search?')) window.__sent.push(performance.now());
            return send.apply(this, arguments);
        };
    }""")
    search_box(page).press_sequentially("how often are the injections", delay=30)
    wait_results(page, "how often are the injections")
    assert sent[-1] == "how often are the injections"
    # At most one request per pause: each request follows a keystroke of its own (on a
    # busy machine a key may come more than the debounce after the one before: a pause).
    keys, requests = page.evaluate("[window.__keys, window.__sent]")
    after = [max(k for k in keys if k <= at) for at in requests]
    assert len(after) == len(set(after)) and len(requests) <= 3, (keys, requests)
    api = server.api("/api/search", q="how often are the injections", limit=10)
    assert hit_ids(page) == [h["id"] for h in api["hits"]]
    expect(page.locator("#kb-search-status")).to_contain_text(f"{api['total']} results")
    assert page.locator("#kb-results mark").count() > 0
    assert "q=how+often+are+the+injections" in page.url  # the page can be reloaded/shared
    links = page.locator(".kb-hit-link").evaluate_all("els => els.map(e => e.href)")
    assert links == [server.url + h["url"] for h in api["hits"]]  # the section anchors
    # Back to an earlier query: answered from what the page already has.
    search_box(page).press("Backspace")
    wait_results(page, "how often are the injection")
    search_box(page).press_sequentially("s")
    wait_results(page, "how often are the injections")
    assert sent == ["how often are the injections", "how often are the injection"]


@pytest.mark.browser
def test_typing_is_calm_half_words_never_flash_no_results(page: Page, server: Server) -> None:
    statuses: list[str] = []
    failures: list[str] = []
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text) if m.type == "error" else None)
    page.on("response", lambda r: failures.append(f"{r.status} {r.url}")
            if r.status >= 400 else None)
    open_search(page, server)
    page.evaluate("""() => {
        window.__statuses = [];
        const status = document.getElementById('kb-search-status');
        new MutationObserver(() => window.__statuses.push(status.textContent)).observe(
            status, {childList: true, characterData: true, subtree: true});
    }""")
    for word in ("fev", "ibupro"):
        search_box(page).fill("")
        search_box(page).press_sequentially(word, delay=40)
        expect(page.locator("#kb-search-status")).to_have_text("Keep typing…")
    search_box(page).fill("")
    search_box(page).press_sequentially("fever", delay=40)
    wait_results(page, "fever")
    expect(page.locator("#kb-results > li").first).to_be_visible()
    search_box(page).press_sequentially(" ibupro", delay=40)
    page.wait_for_timeout(500)
    assert hit_ids(page)  # the results for "fever" stay on screen
    search_box(page).fill("how is it")  # only common words: an explained empty answer
    wait_results(page, "how is it")
    expect(page.locator("#kb-search-status")).to_contain_text("common words")
    statuses = page.evaluate("window.__statuses")
    assert not [s for s in statuses if "No results" in s], statuses
    assert failures == [] and console == [], (failures, console)
    # A half word no word of the site starts with is not searched at the pause; it is
    # searched as typed after a longer one (the server may still correct a typo).
    sent = api_requests(page)
    search_box(page).fill("fever")
    wait_results(page, "fever")
    search_box(page).press_sequentially(" zzq", delay=40)
    page.wait_for_timeout(400)
    assert sent == [] and hit_ids(page)  # "fever" was cached; its results stay
    expect(page.locator("#kb-search-status")).to_have_text("Keep typing…")
    wait_results(page, "fever zzq")
    assert sent == ["fever zzq"]
    settled = str(page.locator("#kb-search-status").text_content())
    search_box(page).press_sequentially("w")  # away and back: no request, same answer
    search_box(page).press("Backspace")
    page.wait_for_timeout(1200)
    expect(page.locator("#kb-search-status")).to_have_text(settled)
    assert sent == ["fever zzq"]
    search_box(page).fill("")
    search_box(page).press_sequentially("zzqv", delay=40)
    wait_results(page, "zzqv")
    expect(page.locator("#kb-search-status")).to_contain_text("No results")
    # Esc clears the box, the results and the address.
    search_box(page).fill("fever")
    wait_results(page, "fever")
    search_box(page).press("Escape")
    expect(search_box(page)).to_have_value("")
    expect(page.locator("#kb-results > li")).to_have_count(0)
    assert "q=" not in page.url


@pytest.mark.browser
def test_did_you_mean_shows_the_corrected_words(page: Page, server: Server) -> None:
    open_search(page, server, q="how oftn are the injectons")
    wait_results(page, "how oftn are the injectons")
    corrected = server.api("/api/search", q="how oftn are the injectons")["corrected"]
    assert corrected
    suggestion = page.locator(".kb-didyoumean")
    expect(suggestion).to_be_visible()
    expect(suggestion).to_contain_text(f"Did you mean {corrected}?")
    suggestion.get_by_role("button").click()
    expect(search_box(page)).to_have_value(corrected)
    wait_results(page, corrected)


@pytest.mark.browser
def test_topic_and_audience_filters_narrow_the_results(page: Page, server: Server) -> None:
    open_search(page, server, q="injection")
    wait_results(page, "injection")
    unfiltered = hit_ids(page)
    page.get_by_label("Topic").select_option("side-effects")
    expect(page.locator("#kb-results")).to_have_attribute("data-topic", "side-effects")
    api = server.api("/api/search", q="injection", limit=10, topic="side-effects")
    assert hit_ids(page) == [h["id"] for h in api["hits"]]
    assert hit_ids(page) != unfiltered
    metas = page.locator(".kb-hit-meta").all_inner_texts()
    assert metas and all(m.endswith("Side effects") for m in metas)
    page.get_by_label("For").select_option("physician")
    expect(page.locator("#kb-results")).to_have_attribute("data-audience", "physician")
    both = server.api("/api/search", q="injection", limit=10, topic="side-effects",
                      audience="physician")
    assert hit_ids(page) == [h["id"] for h in both["hits"]]
    assert "topic=side-effects" in page.url and "audience=physician" in page.url


@pytest.mark.browser
def test_show_more_results_fetches_the_next_hits(page: Page, server: Server) -> None:
    open_search(page, server, q="injection")
    wait_results(page, "injection")
    assert len(hit_ids(page)) == 10
    page.get_by_role("button", name="Show more results").click()
    expect(page.locator("#kb-results > li")).to_have_count(30)
    api = server.api("/api/search", q="injection", limit=30)
    assert hit_ids(page) == [h["id"] for h in api["hits"]]
    expect(page.locator(".kb-hit-link").nth(10)).to_be_focused()


# -- results made for reading out ---------------------------------------------------


def visible_text(locator: Any) -> str:
    return " ".join(str(locator.inner_text()).split())


@on_every_screen
def test_the_top_answer_is_whole_the_others_a_first_sentence(
        make_page: PageMaker, server: Server, size: tuple[int, int], scheme: str) -> None:
    page = make_page(size, scheme)
    open_search(page, server, q=QUESTION)
    wait_results(page, QUESTION)
    api = server.api("/api/search", q=QUESTION, limit=10)
    hits = page.locator("#kb-results > li")
    top = hits.first
    expect(top.locator(".kb-answer")).to_be_visible()
    expect(top.locator(".kb-hit-preview")).to_be_hidden()
    paragraphs = top.locator(".kb-answer > p:not([class])").all()
    shown_answer = " ".join(visible_text(p) for p in paragraphs)
    assert shown_answer == " ".join(api["hits"][0]["answer"].split())
    if api["hits"][0]["escalate"] or api["hits"][0]["status"] != "approved":
        expect(top.locator(".kb-hit-badges")).to_be_visible()
    for n, hit in enumerate(api["hits"][1:], start=1):
        item = hits.nth(n)
        full = " ".join((hit["answer"] or hit["text"] or "").split())
        expect(item.locator(".kb-answer")).to_be_hidden()
        shown = visible_text(item.locator(".kb-hit-preview"))
        shown = shown.removesuffix("Show full answer").removesuffix("Show full text")
        shown = shown.strip()
        if shown.endswith("…"):
            head = shown.removesuffix("…").strip()
            assert full.startswith(head) and len(head) < len(full), (hit["id"], shown)
            # whole sentences, or cut at a word when a sentence is very long
            assert head[-1] in ".!?\"')”’" or full[len(head)] == " ", (hit["id"], shown)
        else:
            assert shown == full, (hit["id"], shown)
    second = hits.nth(1)
    expect(second.locator(".kb-expand")).to_have_text(
        "Show full answer" if api["hits"][1]["kind"] == "faq" else "Show full text")
    second.locator(".kb-expand").click()
    expect(second.locator(".kb-answer")).to_be_visible()
    expect(second.locator(".kb-expand")).to_have_attribute("aria-expanded", "true")
    assert page.url.split("?")[0].endswith("/search.html")  # expanded in place
    second.locator(".kb-expand").click()
    expect(second.locator(".kb-answer")).to_be_hidden()
    if size == DESK:
        # At least four whole results on a desk screen, the top one open.
        bottoms = hits.evaluate_all("els => els.map(e => e.getBoundingClientRect().bottom)")
        assert sum(1 for b in bottoms if b <= DESK[1]) >= 4, bottoms
    assert page.evaluate("document.documentElement.scrollWidth") <= size[0]


@on_every_screen
def test_copy_puts_the_patient_text_on_the_clipboard_never_the_staff_note(
        make_page: PageMaker, server: Server, size: tuple[int, int], scheme: str) -> None:
    page = make_page(size, scheme)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"],
                                   origin=server.url[:-1])
    events = capture_events(page)
    query = "short of breath after the shot"
    api = server.api("/api/search", q=query, limit=10)
    noted = [h for h in api["hits"]
             if h["kind"] == "faq" and h["staff_note"] and "patient" in h["audience"]]
    assert noted, "the content has FAQ entries with a staff note"
    open_search(page, server, q=query)
    wait_results(page, query)
    for hit in (api["hits"][0], noted[0]):
        item = page.locator(f"#kb-results > li[data-id='{hit['id']}']")
        if item.locator(".kb-answer").is_hidden():
            item.get_by_role("button", name="Show full answer").click()
        if hit["staff_note"]:
            expect(item.locator(".kb-staff-note")).to_have_text("For staff: " + hit["staff_note"])
        copy = item.locator(".kb-copy")
        expect(copy).to_have_text("Copy for patient")
        copy.click()
        expect(item.locator(".kb-copied")).to_contain_text("Copied")
        expect(copy).to_have_text("Copied ✓")
        copied = page.evaluate("navigator.clipboard.readText()")
        assert copied == (f"{hit['question']}\n\n{hit['answer']}\n\n"
                          f"Source: {hit['page_title']}, {hit['last_reviewed']}")
        if hit["staff_note"]:
            assert hit["staff_note"] not in copied
        assert {"type": "copied", "id": hit["id"], "query": query} in events
    # Entries for physicians only are not copied for a patient.
    query = "SORT evidence label knee"
    doctors = [h for h in server.api("/api/search", q=query, limit=10)["hits"]
               if h["kind"] == "faq" and "patient" not in h["audience"]]
    assert doctors, "the content has FAQ entries for physicians only"
    search_box(page).fill(query)
    wait_results(page, query)
    item = page.locator(f"#kb-results > li[data-id='{doctors[0]['id']}']")
    expect(item.locator(".kb-answer")).to_be_attached()
    assert item.locator(".kb-copy").count() == 0


@pytest.mark.browser
def test_helpful_and_opened_are_reported_and_failures_stay_silent(
        make_page: PageMaker, server: Server) -> None:
    page = make_page(DESK, "light")
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text) if m.type == "error" else None)
    events = capture_events(page)
    open_search(page, server, q=QUESTION)
    wait_results(page, QUESTION)
    top = page.locator("#kb-results > li").first
    top_id = str(top.get_attribute("data-id"))
    top.locator(".kb-helpful").get_by_role("button", name="Yes").click()
    expect(top.locator(".kb-helpful-thanks")).to_have_text("Thank you.")
    second = page.locator("#kb-results > li").nth(1)
    second.locator(".kb-expand").click()
    second.locator(".kb-helpful").get_by_role("button", name="No").click()
    second_id = str(second.get_attribute("data-id"))
    expect(second.locator(".kb-helpful-thanks")).to_have_text("Thank you.")
    assert events == [{"type": "helpful", "id": top_id, "query": QUESTION},
                      {"type": "opened", "id": second_id, "query": QUESTION},
                      {"type": "unhelpful", "id": second_id, "query": QUESTION}]
    assert console == []
    # A server without the endpoint, or no network: nothing breaks, nothing is thrown.
    page.unroute("**/api/event")
    page.route("**/api/event", lambda route: route.abort())
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    top.locator(".kb-helpful").get_by_role("button", name="No").click()
    expect(top.locator(".kb-helpful-thanks")).to_have_text("Thank you.")
    page.wait_for_timeout(200)
    assert errors == []


@pytest.mark.browser
def test_without_usage_recording_there_is_no_helpful_question(page: Page,
                                                              server: Server) -> None:
    events = capture_events(page)
    health = server.api("/api/health")
    assert health["usage_recording"] is True
    health["usage_recording"] = False
    page.route("**/api/health", lambda route: route.fulfill(
        status=200, content_type="application/json", body=json.dumps(health)))
    open_search(page, server, q=QUESTION)
    wait_results(page, QUESTION)
    top = page.locator("#kb-results > li").first
    expect(top.locator(".kb-answer")).to_be_visible()
    assert page.locator(".kb-helpful").count() == 0
    top.locator(".kb-copy").click()
    page.locator("#kb-results > li").nth(1).locator(".kb-expand").click()
    page.wait_for_timeout(200)
    assert events == []


@pytest.mark.browser
def test_the_server_takes_the_pages_events(page: Page, server: Server) -> None:
    open_search(page, server, q=QUESTION)
    wait_results(page, QUESTION)
    with page.expect_response("**/api/event") as answer:
        page.locator("#kb-results > li").first.locator(".kb-helpful").get_by_role(
            "button", name="Yes").click()
    assert answer.value.status == 204


@pytest.mark.browser
def test_the_patient_leaflet_is_linked_beside_aftercare_and_safety_answers(
        page: Page, server: Server) -> None:
    open_search(page, server, q="fever after the shot")
    leaflet = page.evaluate(
        "JSON.parse(document.querySelector('meta[name=kb-search]').content).leaflet")
    assert httpx.get(server.url + leaflet["url"], timeout=10).status_code == 200
    wait_results(page, "fever after the shot")
    top = page.locator("#kb-results > li").first
    link = top.get_by_role("link", name="Patient leaflet (PDF)")
    expect(link).to_have_attribute("href", server.url + leaflet["url"])
    protocol = server.api("/api/search", q=QUESTION, topic="protocol", limit=1)["hits"][0]
    search_box(page).fill(QUESTION)
    page.get_by_label("Topic").select_option("protocol")
    expect(page.locator("#kb-results")).to_have_attribute("data-topic", "protocol")
    first = page.locator(f"#kb-results > li[data-id='{protocol['id']}']")
    expect(first.locator(".kb-answer")).to_be_visible()
    assert first.locator(".kb-leaflet").count() == 0

    # A site without a leaflet: no link at all (not a broken one).
    def without_leaflet(route: Any) -> None:
        response = route.fetch()
        body = re.sub(r",\s*&quot;leaflet&quot;:\s*\{[^}]*\}", "", response.text())
        assert "leaflet" not in body.split('name="kb-search"')[1].split("/>")[0]
        headers = {k: v for k, v in response.headers.items()
                   if k.lower() not in ("content-encoding", "content-length")}
        route.fulfill(response=response, body=body, headers=headers)

    page.route("**/search.html*", without_leaflet)
    open_search(page, server, q="fever after the shot")
    wait_results(page, "fever after the shot")
    expect(page.locator("#kb-results > li").first.locator(".kb-answer")).to_be_visible()
    assert page.locator(".kb-leaflet").count() == 0


# -- warning signs ------------------------------------------------------------------


@on_every_screen
@pytest.mark.parametrize("query", ["fever after the shot",
                                   "hives and throat swelling after the shot"])
def test_the_banner_names_the_callers_words_and_the_action(
        make_page: PageMaker, server: Server, query: str, size: tuple[int, int],
        scheme: str) -> None:
    page = make_page(size, scheme)
    api = server.api("/api/search", q=query, limit=10)
    assert api["urgency"] and api["warning_signs"]
    open_search(page, server, q=query)
    wait_results(page, query)
    warning = page.get_by_role("alert")
    expect(warning).to_be_visible()
    signs = api["warning_signs"]
    label = "Warning signs: " if len(signs) > 1 else "Warning sign: "
    expect(warning).to_have_text(f"{label}{', '.join(signs)}. {api['action']}.")
    expect(warning).to_have_attribute("data-urgency", api["urgency"])
    assert api["action"] == URGENCIES[api["urgency"]]
    # Escalation results say what to do in their own entry's words.
    for n, hit in enumerate(api["hits"]):
        if hit["escalate"]:
            item = page.locator("#kb-results > li").nth(n)
            expect(item.locator(".kb-hit-urgency")).to_have_text(URGENCIES[hit["urgency"]])


@pytest.mark.browser
def test_a_question_not_covered_says_so_above_related_hits(page: Page,
                                                           server: Server) -> None:
    query = "can I bring my dog"
    api = server.api("/api/search", q=query, limit=10)
    assert api["hits"]
    # Whatever the engine decides for this query today, the page's side of the contract:
    # a not_covered answer says so above its (related) hits.
    api["not_covered"] = True
    open_search(page, server)
    page.route("**/api/search?*", lambda route: route.fulfill(
        status=200, content_type="application/json", body=json.dumps(api)))
    search_box(page).fill(query)
    wait_results(page, query)
    notice = page.locator("#kb-not-covered")
    expect(notice).to_have_text("Not covered by the knowledge base — pass the question to "
                                "the front desk or a clinician.")
    above = notice.evaluate("n => n.compareDocumentPosition(document.getElementById("
                            "'kb-results')) & Node.DOCUMENT_POSITION_FOLLOWING")
    assert above
    expect(page.locator("#kb-search-status")).to_contain_text("Related")
    expect(page.locator("#kb-results > li").first.locator(".kb-answer")).to_be_hidden()
    assert page.get_by_role("alert").is_hidden()


@pytest.mark.browser
def test_escalation_and_policy_pending_badges_cannot_be_missed(page: Page,
                                                               server: Server) -> None:
    open_search(page, server, q="fever after the shot")
    wait_results(page, "fever after the shot")
    first = page.locator("#kb-results > li").first
    expect(first).to_have_class(re.compile(r"\bkb-hit-escalate\b"))
    badge = first.locator(".kb-badge-escalate")
    expect(badge).to_be_visible()
    expect(badge).to_have_text("Escalate: pass to a clinician")
    colours = badge.evaluate(
        "b => [getComputedStyle(b).backgroundColor, getComputedStyle(b).color]")
    assert colours == ["rgb(180, 35, 24)", "rgb(255, 255, 255)"]
    pending_query = "can I put ice on it"
    pending = [h for h in server.api("/api/search", q=pending_query, limit=10)["hits"]
               if h["status"] == "policy-pending"]
    assert pending, "the content has a policy-pending entry about ice"
    search_box(page).fill(pending_query)
    wait_results(page, pending_query)
    item = page.locator(f"#kb-results > li[data-id='{pending[0]['id']}']")
    expect(item.locator(".kb-badge-pending")).to_have_text("Clinic policy pending: ask a clinician")
    expect(item).to_have_class(re.compile(r"\bkb-hit-pending\b"))
    # The pending box's wide left edge is solid (a dashed one draws as blocks).
    assert item.evaluate("e => getComputedStyle(e).borderLeftStyle") == "solid"
    assert item.evaluate("e => getComputedStyle(e).borderTopStyle") == "dashed"


@pytest.mark.browser
def test_keyboard_slash_arrows_and_enter(page: Page, server: Server) -> None:
    page.goto(server.url + "protocol.html")
    page.evaluate("document.activeElement && document.activeElement.blur()")
    page.keyboard.press("/")
    expect(page.locator("#pst-search-dialog input[name=q]")).to_be_focused()

    open_search(page, server, q=QUESTION)
    wait_results(page, QUESTION)
    page.evaluate("document.activeElement && document.activeElement.blur()")
    page.keyboard.press("/")
    expect(search_box(page)).to_be_focused()
    links = page.locator(".kb-hit-link")
    page.keyboard.press("ArrowDown")
    expect(links.nth(0)).to_be_focused()
    page.keyboard.press("ArrowDown")
    expect(links.nth(1)).to_be_focused()
    page.keyboard.press("ArrowUp")
    expect(links.nth(0)).to_be_focused()
    page.keyboard.press("ArrowUp")
    expect(search_box(page)).to_be_focused()
    page.keyboard.press("ArrowDown")
    target = str(links.nth(0).get_attribute("href"))
    page.keyboard.press("Enter")
    page.wait_for_url(target)
    anchor = urlsplit(target).fragment
    assert anchor
    expect(page.locator(f"#{anchor}")).to_be_visible()


# -- safety -------------------------------------------------------------------------


@pytest.mark.browser
def test_a_script_in_the_query_renders_inert(page: Page, server: Server) -> None:
    attack = "<script>window.__pwned=1</script><img src=x onerror=window.__pwned=2> injection"
    open_search(page, server, q=attack)
    wait_results(page, attack)
    search_box(page).fill(attack + " shot")
    wait_results(page, attack + " shot")
    assert page.evaluate("window.__pwned") is None
    assert page.locator("img[src=x]").count() == 0
    assert page.locator("#kb-results script, .kb-search script").count() == 0
    expect(search_box(page)).to_have_value(attack + " shot")


@pytest.mark.browser
def test_markup_in_content_renders_as_text(page: Page, server: Server) -> None:
    evil = "<img src=x onerror=window.__pwned=1><script>window.__pwned=2</script>"
    payload = {
        "query": "evil", "corrected": evil, "total": 2, "warning_signs": [evil],
        "urgency": "emergency", "action": evil, "not_covered": False,
        "hits": [
            {"id": "evil", "kind": "faq", "title": evil, "question": evil, "answer": evil,
             "text": None, "snippet": f"&lt;b&gt; <mark class=\"match\">evil</mark> {evil}",
             "topic": evil, "audience": ["staff"], "url": "javascript:window.__pwned=3",
             "score": 1.0, "escalate": True, "urgency": "emergency",
             "status": "policy-pending", "staff_note": evil, "page_title": evil,
             "last_reviewed": evil},
            {"id": "elsewhere", "kind": "section", "title": "Off-site", "question": None,
             "answer": None, "text": "x", "snippet": "x", "topic": "general",
             "audience": [], "url": "https://example.invalid/phish", "score": 0.5,
             "escalate": False, "urgency": None, "status": "approved", "staff_note": None,
             "page_title": "Off-site", "last_reviewed": "2026-01-01"},
        ],
    }
    open_search(page, server)
    page.route("**/api/search?*", lambda route: route.fulfill(
        status=200, content_type="application/json", body=json.dumps(payload)))
    search_box(page).fill("evil")
    wait_results(page, "evil")
    first = page.locator("#kb-results > li").first
    expect(first.locator(".kb-hit-title")).to_have_text(evil)
    expect(first.locator(".kb-answer p").first).to_have_text(evil)
    expect(first.locator(".kb-staff-note")).to_have_text("For staff: " + evil)
    expect(page.get_by_role("alert")).to_contain_text(evil)
    # Neither javascript: nor off-site (the only link is the patient leaflet's, on this site).
    assert page.locator("#kb-results a:not(.kb-leaflet)").count() == 0
    assert page.locator("img[src=x]").count() == 0
    assert page.evaluate("window.__pwned") is None


# -- dark mode, accessibility, console, CSP, fallback -------------------------------


def run_axe(page: Page) -> list[dict[str, Any]]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG_AA},
                                       "resultTypes": ["violations"]})
    return [{"id": v["id"], "impact": v["impact"],
             "nodes": [n["target"] for n in v["nodes"]][:5]}
            for v in results.response["violations"]]


@on_every_screen
def test_axe_finds_no_wcag_aa_violations_light_and_dark(
        make_page: PageMaker, server: Server, size: tuple[int, int], scheme: str) -> None:
    page = make_page(size, scheme)
    found = {}
    for name, path in (("home", ""), ("care card", "side-effects.html"),
                       ("warning-signs FAQ", "faq/warning-signs.html")):
        page.goto(server.url + path)
        expect(page.locator("html")).to_have_attribute("data-theme", scheme)
        found[name] = run_axe(page)
    page.goto(server.url + "side-effects.html")
    assert page.locator(".kb-care-card").count() == 1
    open_search(page, server, q="fever after the shot")
    wait_results(page, "fever after the shot")
    page.locator("#kb-results > li").nth(1).locator(".kb-expand").click()
    expect(page.get_by_role("alert")).to_be_visible()
    found["search with escalation"] = run_axe(page)
    assert found == {"home": [], "care card": [], "warning-signs FAQ": [],
                     "search with escalation": []}


def without_block(css: str, opener: str) -> str:
    """``css`` without every ``opener { ... }`` block (braces matched)."""
    while (start := css.find(opener)) >= 0:
        depth, end = 0, css.index("{", start)
        for end in range(end, len(css)):  # noqa: B020 - scanning on from the brace
            depth += {"{": 1, "}": -1}.get(css[end], 0)
            if depth == 0:
                break
        css = css[:start] + css[end + 1:]
    return css


def test_our_css_colours_have_dark_values_or_come_from_the_theme() -> None:
    """Every colour literal in kb.css and kb-search.css is the value of a --kb- variable
    set for light (:root) and for dark (html[data-theme="dark"]), a fallback of a theme
    variable, or in print rules (paper is white)."""
    static = REPO / "indexer" / "static"
    colour = re.compile(r"#[0-9a-fA-F]{3,8}\b|rgba?\(")
    css = re.sub(r"/\*.*?\*/", "", (static / "kb.css").read_text(encoding="utf-8"),
                 flags=re.S)
    light = css.split(":root {", 1)[1].split("}", 1)[0]
    dark = css.split('html[data-theme="dark"] {', 1)[1].split("}", 1)[0]
    names = set(re.findall(r"(--kb-[a-z-]+):", light))
    assert names and names == set(re.findall(r"(--kb-[a-z-]+):", dark))
    for path in (static / "kb.css", static / "kb-search.css"):
        text = re.sub(r"/\*.*?\*/", "", path.read_text(encoding="utf-8"), flags=re.S)
        screen = without_block(without_block(without_block(text, ":root {"),
                                             'html[data-theme="dark"] {'), "@media print")
        screen = re.sub(r"var\(--pst-[a-z-]+,\s*[^()]*(?:\([^()]*\))?\)", "", screen)
        literal = [line for line in screen.splitlines() if colour.search(line)]
        assert literal == [], (path.name, literal)
        for used in re.findall(r"var\((--kb-[a-z-]+)", text):
            assert used in names, (path.name, used)


@pytest.mark.browser
@pytest.mark.parametrize("scheme", SCHEMES)
def test_no_console_errors_on_a_first_visit_to_any_page(make_page: PageMaker, server: Server,
                                                        scheme: str) -> None:
    page = make_page(PHONE, scheme)
    messages: list[str] = []
    page.on("console", lambda m: messages.append(f"{m.type}: {m.text}")
            if m.type in ("error", "warning") else None)
    pages = sorted(str(p.relative_to(SITE)) for p in SITE.glob("**/*.html")
                   if "_static" not in p.parts and p.name != "search.html")
    assert len(pages) > 10
    for path in ("", *pages, "search.html?q=" + quote("fever after the shot"),
                 "search.html?q=fev"):
        page.goto(server.url + path)
        page.wait_for_load_state("networkidle" if "search" in path else "load")
    assert messages == []


@pytest.mark.browser
def test_pages_pass_their_content_security_policy(page: Page, server: Server) -> None:
    for path in ("", "protocol.html", "faq/sessions.html", "glossary.html",
                 "search.html?q=" + quote("fever after the shot")):
        page.goto(server.url + path)
        page.wait_for_load_state("networkidle")
        assert page.evaluate("window.__csp") == [], path
    expect(page.locator("#kb-results > li").first).to_be_visible()


@pytest.mark.browser
def test_from_plain_files_the_page_falls_back_to_sphinx_search(
        context: BrowserContext) -> None:
    # Its own tab: Sphinx's search fetches page summaries, which file:// refuses, and
    # reports that as uncaught errors of its own.
    page = context.new_page()
    page.goto((SITE / "search.html").as_uri() + "?q=injections")
    expect(page.locator("html")).to_have_attribute("data-kb-search", "sphinx")
    expect(page.locator("#search-results ul.search li").first).to_be_visible()
    assert page.locator("#kb-results").count() == 0
    page.close()


# -- phones -------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.parametrize("scheme", SCHEMES)
def test_the_menus_open_and_close_on_a_phone(make_page: PageMaker, server: Server,
                                             scheme: str) -> None:
    page = make_page(PHONE, scheme)
    page.goto(server.url + "side-effects.html")
    menu = page.locator("#pst-primary-sidebar-modal")
    toc = page.locator("#pst-secondary-sidebar-modal")
    page.locator(".primary-toggle:visible").click()
    expect(menu).to_have_attribute("open", "")
    expect(menu.get_by_role("link", name="Aftercare")).to_be_visible()
    page.keyboard.press("Escape")
    expect(menu).not_to_have_attribute("open", "")
    page.locator(".secondary-toggle:visible").click()
    expect(toc).to_have_attribute("open", "")
    expect(toc.get_by_role("link").first).to_be_visible()
    page.mouse.click(5, PHONE[1] // 2)  # outside the panel
    expect(toc).not_to_have_attribute("open", "")
    # A link in the menu goes to its page.
    page.locator(".primary-toggle:visible").click()
    menu.get_by_role("link", name="Aftercare").click()
    page.wait_for_url(re.compile(r"/aftercare\.html"))


@pytest.mark.browser
def test_the_desk_menu_button_still_folds_the_sidebar(make_page: PageMaker,
                                                      server: Server) -> None:
    page = make_page(DESK, "light")
    page.goto(server.url + "side-effects.html")
    sidebar = page.locator("#pst-primary-sidebar")
    expect(sidebar).to_be_visible()
    page.locator(".primary-toggle:visible").click()
    expect(sidebar).to_have_class(re.compile(r"\bpst-sidebar-hidden\b"))
    page.locator(".primary-toggle:visible").click()
    expect(sidebar).not_to_have_class(re.compile(r"\bpst-sidebar-hidden\b"))


@pytest.mark.browser
@pytest.mark.parametrize("scheme", SCHEMES)
def test_wide_tables_say_they_scroll_and_references_wrap_and_link(
        make_page: PageMaker, server: Server, scheme: str) -> None:
    page = make_page(PHONE, scheme)
    page.goto(server.url + "evidence.html")
    wide = page.locator(".pst-scrollable-table-container.kb-table-scrolls")
    assert wide.count() >= 1
    for n in range(wide.count()):
        box = wide.nth(n)
        hint = box.locator("xpath=preceding-sibling::*[1]")
        expect(hint).to_have_text("Scroll sideways to see the whole table →")
        expect(hint).to_be_visible()
        assert box.get_attribute("tabindex") == "0"
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE[0]
    page.goto(server.url + "references.html")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE[0]
    links = page.locator("a.kb-reference-link")
    hrefs = links.evaluate_all("els => els.map(e => [e.textContent, e.href])")
    assert ["PMID 23690322", "https://pubmed.ncbi.nlm.nih.gov/23690322/"] in hrefs
    assert ["PMC5952445", "https://pmc.ncbi.nlm.nih.gov/articles/PMC5952445/"] in hrefs
    urls = [text for text, href in hrefs if text.startswith("https://")]
    assert urls and all(text == href for text, href in hrefs if text.startswith("https://"))
    for n in range(links.count()):  # nothing cut off at the right edge
        right = links.nth(n).evaluate("e => e.getBoundingClientRect().right")
        assert right <= PHONE[0], links.nth(n).text_content()


@pytest.mark.browser
@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
def test_boxes_keep_their_side_padding(make_page: PageMaker, server: Server,
                                       size: tuple[int, int]) -> None:
    page = make_page(size, "light")
    page.goto(server.url + "side-effects.html")
    for box in (".kb-summary", ".kb-care-card", ".kb-urgency-routine"):
        padding = page.locator(box).first.evaluate(
            "e => [getComputedStyle(e).paddingLeft, getComputedStyle(e).paddingRight]")
        assert all(float(p.removesuffix("px")) >= 12 for p in padding), (box, padding)
    page.goto(server.url + "faq/warning-signs.html")
    padding = page.locator(".kb-faq").first.evaluate("e => getComputedStyle(e).paddingLeft")
    assert float(padding.removesuffix("px")) >= 12


def test_citation_identifiers_become_links() -> None:
    from docutils import nodes

    from indexer.references import link_identifiers

    text = ("Doe J. Trial. 2020;1:2. doi:10.1370/afm.1504. PMID 23690322; PMC5952445, "
            "https://example.org/a/b?c=1.")
    body = nodes.container("", nodes.paragraph("", text))
    link_identifiers(body)
    links = [(str(r.astext()), r["refuri"]) for r in body.findall(nodes.reference)]
    assert links == [
        ("doi:10.1370/afm.1504", "https://doi.org/10.1370/afm.1504"),
        ("PMID 23690322", "https://pubmed.ncbi.nlm.nih.gov/23690322/"),
        ("PMC5952445", "https://pmc.ncbi.nlm.nih.gov/articles/PMC5952445/"),
        ("https://example.org/a/b?c=1", "https://example.org/a/b?c=1"),
    ]
    assert body.astext() == text  # the citation reads as written


# -- paper --------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
def test_printed_search_results_have_whole_answers_the_banner_and_sources(
        make_page: PageMaker, server: Server, tmp_path: Path, size: tuple[int, int]) -> None:
    page = make_page(size, "light")
    query = "fever after the shot"
    open_search(page, server, q=query)
    wait_results(page, query)
    page.emulate_media(media="print")
    hits = page.locator("#kb-results > li")
    for n in range(hits.count()):
        item = hits.nth(n)
        if item.locator(".kb-answer").count():
            expect(item.locator(".kb-answer")).to_be_visible()
            expect(item.locator(".kb-hit-preview")).to_be_hidden()
        assert item.evaluate("e => getComputedStyle(e).breakInside") == "avoid"
        after = item.locator(".kb-hit-link").evaluate(
            "a => getComputedStyle(a, '::after').content")
        assert server.url in after  # the source's address on paper
    banner = page.get_by_role("alert")
    style = banner.evaluate("b => [getComputedStyle(b).printColorAdjust,"
                            " getComputedStyle(b).backgroundColor,"
                            " getComputedStyle(b).borderTopWidth]")
    assert style[0] == "exact" and style[1] != "rgba(0, 0, 0, 0)" and style[2] == "4px"
    for hidden in (".kb-filters", ".kb-copy", ".kb-helpful", ".kb-expand"):
        assert all(not e.is_visible() for e in page.locator(hidden).all()), hidden
    pdf = tmp_path / "results.pdf"
    page.pdf(path=str(pdf), print_background=True)
    assert pdf.stat().st_size > 10_000
    # Printed from dark mode: on paper the page is light, and dark again afterwards.
    dark = make_page(size, "dark")
    open_search(dark, server, q=query)
    wait_results(dark, query)
    dark.evaluate("window.addEventListener('beforeprint', () =>"
                  " window.__printed = document.documentElement.dataset.theme)")
    dark.pdf(path=str(tmp_path / "dark.pdf"))
    assert dark.evaluate("window.__printed") == "light"
    expect(dark.locator("html")).to_have_attribute("data-theme", "dark")
    # A topic page: outside sources print their address, care cards stay whole.
    page.goto(server.url + "side-effects.html")
    page.emulate_media(media="print")
    assert page.locator(".kb-care-card").evaluate(
        "e => getComputedStyle(e).breakInside") == "avoid"
    sources = page.locator("section#sources a.reference.internal[title]")
    assert sources.count() >= 1
    printed = sources.evaluate_all("els => els.map(a => getComputedStyle(a, '::after').content)")
    assert all(p.startswith('" — ') for p in printed) and any("https://" in p for p in printed)


# -- weight -------------------------------------------------------------------------


@pytest.mark.browser
def test_a_first_visit_to_the_search_page_is_light(make_page: PageMaker,
                                                  server: Server) -> None:
    page = make_page(DESK, "light")
    session = page.context.new_cdp_session(page)
    session.send("Network.enable")
    sizes: dict[str, int] = {}
    urls: dict[str, tuple[str, int]] = {}
    session.on("Network.responseReceived", lambda e: urls.__setitem__(
        e["requestId"], (e["response"]["url"], e["response"]["status"])))
    session.on("Network.loadingFinished", lambda e: sizes.__setitem__(
        e["requestId"], int(e["encodedDataLength"])))
    open_search(page, server, q="fever after the shot")
    wait_results(page, "fever after the shot")
    page.wait_for_load_state("networkidle")
    total = sum(sizes.values())
    assert total <= 600_000, sorted(((sizes[k], urls.get(k)) for k in sizes), reverse=True)
    assert [u for u, status in urls.values() if status >= 400] == []
    fontawesome = [sizes[k] for k, (u, _) in urls.items() if "fontawesome" in u and k in sizes]
    assert fontawesome and max(fontawesome) < 10_000
    icon = page.locator("link[rel=icon]").get_attribute("href")
    assert icon and httpx.get(server.url + icon, timeout=10).status_code == 200


# -- the real server process --------------------------------------------------------


def test_serve_prints_the_url_and_binds_to_loopback_only(server: Server) -> None:
    assert server.stdout_first.startswith("prolo-kb: serving ")
    assert server.url in server.stdout_first
    port_hex = f"{server.port:04X}"
    listening = [line.split() for line in Path("/proc/net/tcp").read_text().splitlines()[1:]
                 if line.split()[1].endswith(":" + port_hex) and line.split()[3] == "0A"]
    assert [entry[1] for entry in listening] == [f"0100007F:{port_hex}"]
    tcp6 = Path("/proc/net/tcp6")
    if tcp6.exists():
        assert not [line for line in tcp6.read_text().splitlines()[1:]
                    if line.split()[1].endswith(":" + port_hex) and line.split()[3] == "0A"]


def raw_http(server: Server, request: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as conn:
        conn.sendall(request)
        chunks = []
        while True:
            chunk = conn.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
    return b"".join(chunks)


@pytest.mark.parametrize("target", [
    "/../../../../etc/passwd", "/%2e%2e/%2e%2e/%2e%2e/etc/passwd", "/..%2f..%2f..%2fetc/passwd",
    "//etc/passwd", "/_static/../../index/manifest.json", "/%2e%2e/index/manifest.json",
])
def test_the_real_server_refuses_traversal(server: Server, target: str) -> None:
    answer = raw_http(server, f"GET {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                      .encode())
    assert answer.startswith(b"HTTP/1.1 404 ")
    assert b"root:" not in answer and b"schema_version" not in answer


def test_the_real_server_limits_requests(server: Server) -> None:
    body = raw_http(server, b"GET /api/search?q=injection HTTP/1.1\r\nHost: x\r\n"
                    b"Content-Length: 5\r\nConnection: close\r\n\r\nhello")
    assert body.startswith(b"HTTP/1.1 413 ")
    long = httpx.get(server.url + "api/search", params={"q": "pain " * 1000}, timeout=10)
    assert long.status_code == 414
    assert long.json()["status"] == 414
    post = httpx.post(server.url + "api/search", timeout=10)
    assert post.status_code == 405
    head = httpx.head(server.url + "api/search", params={"q": "injection"}, timeout=10)
    assert head.status_code == 200 and head.content == b""


def test_the_real_server_keeps_queries_out_of_its_log(server: Server) -> None:
    response = httpx.get(server.url + "api/search", params={"q": SECRET_QUERY + " injection"},
                         timeout=10)
    assert response.status_code == 200
    httpx.get(server.url + "search.html", params={"q": SECRET_QUERY}, timeout=10)
    time.sleep(0.2)
    log = server.log()
    assert "GET /api/search 200" in log
    assert SECRET_QUERY not in log
