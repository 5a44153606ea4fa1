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
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

import httpx2 as httpx
import pytest
from conftest import BUILD
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

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
    with open(err_path, "w", encoding="utf-8") as err:
        process = subprocess.Popen(
            [*command, "serve", "--port", "0", "--index", str(INDEX), "--site", str(SITE)],
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
    ctx.add_init_script(
        "window.__csp = []; document.addEventListener('securitypolicyviolation',"
        " e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));")
    yield ctx
    ctx.close()


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
    # The answer to the newcomer's question comes first (the "done when").
    first = page.locator("#kb-results > li").first
    first.locator(".kb-expand").click()
    expect(first.locator(".kb-answer")).to_be_visible()
    expect(first.locator(".kb-answer")).to_contain_text("every four to six weeks",
                                                         ignore_case=True)


@pytest.mark.browser
def test_results_come_as_you_type_and_match_the_api(page: Page, server: Server) -> None:
    open_search(page, server)
    expect(search_box(page)).to_be_focused()
    search_box(page).press_sequentially("how often are the injections", delay=30)
    wait_results(page, "how often are the injections")
    api = server.api("/api/search", q="how often are the injections", limit=10)
    assert hit_ids(page) == [h["id"] for h in api["hits"]]
    expect(page.locator("#kb-search-status")).to_contain_text(f"{api['total']} results")
    marks = page.locator("#kb-results mark")
    assert marks.count() > 0
    assert "q=how+often+are+the+injections" in page.url  # the page can be reloaded/shared
    links = page.locator(".kb-hit-link").evaluate_all("els => els.map(e => e.href)")
    assert links == [server.url + h["url"] for h in api["hits"]]  # the section anchors


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


@pytest.mark.browser
def test_a_full_answer_expands_in_place_and_copies(context: BrowserContext, page: Page,
                                                   server: Server) -> None:
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.url[:-1])
    open_search(page, server, q=QUESTION)
    wait_results(page, QUESTION)
    api = server.api("/api/search", q=QUESTION, limit=10)
    answer = api["hits"][0]["answer"]
    first = page.locator("#kb-results > li").first
    toggle = first.locator(".kb-expand")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(first.locator(".kb-answer")).to_be_hidden()
    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(first.locator(".kb-answer")).to_be_visible()
    first.get_by_role("button", name="Copy answer").click()
    expect(first.locator(".kb-copied")).to_have_text("Answer copied.")
    assert page.evaluate("navigator.clipboard.readText()") == answer
    assert page.url.split("?")[0].endswith("/search.html")  # expanded in place


@pytest.mark.browser
def test_escalation_and_policy_pending_badges_cannot_be_missed(page: Page,
                                                               server: Server) -> None:
    open_search(page, server, q="fever after the shot")
    wait_results(page, "fever after the shot")
    warning = page.get_by_role("alert")
    expect(warning).to_be_visible()
    expect(warning).to_contain_text("Warning sign")
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
        "hits": [
            {"id": "evil", "kind": "faq", "title": evil, "question": evil, "answer": evil,
             "text": None, "snippet": f"&lt;b&gt; <mark class=\"match\">evil</mark> {evil}",
             "topic": evil, "audience": ["staff"], "url": "javascript:window.__pwned=3",
             "score": 1.0, "escalate": True, "status": "policy-pending"},
            {"id": "elsewhere", "kind": "section", "title": "Off-site", "question": None,
             "answer": None, "text": "x", "snippet": "x", "topic": "general",
             "audience": [], "url": "https://example.invalid/phish", "score": 0.5,
             "escalate": False, "status": "approved"},
        ],
    }
    open_search(page, server)
    page.route("**/api/search?*", lambda route: route.fulfill(
        status=200, content_type="application/json", body=json.dumps(payload)))
    search_box(page).fill("evil")
    wait_results(page, "evil")
    first = page.locator("#kb-results > li").first
    expect(first.locator(".kb-hit-title")).to_have_text(evil)
    expect(first.locator(".kb-hit-snippet mark")).to_have_text("evil")
    expect(first.locator(".kb-hit-snippet")).to_contain_text("<b>")
    first.locator(".kb-expand").click()
    expect(first.locator(".kb-answer p").first).to_have_text(evil)
    assert page.locator("#kb-results a").count() == 0  # neither javascript: nor off-site
    assert page.locator("img[src=x]").count() == 0
    assert page.evaluate("window.__pwned") is None


# -- accessibility, CSP, fallback ---------------------------------------------------


def run_axe(page: Page) -> list[dict[str, Any]]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG_AA},
                                       "resultTypes": ["violations"]})
    return [{"id": v["id"], "impact": v["impact"],
             "nodes": [n["target"] for n in v["nodes"]][:5]}
            for v in results.response["violations"]]


@pytest.mark.browser
def test_axe_finds_no_wcag_aa_violations(page: Page, server: Server) -> None:
    found = {}
    page.goto(server.url)
    found["home"] = run_axe(page)
    page.goto(server.url + "protocol.html")
    found["topic page"] = run_axe(page)
    open_search(page, server, q="fever after the shot")
    wait_results(page, "fever after the shot")
    page.locator(".kb-expand").first.click()
    found["search page with results"] = run_axe(page)
    assert found == {"home": [], "topic page": [], "search page with results": []}


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
