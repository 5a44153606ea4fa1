/* prolo-kb: the FAQ search in the site's own search page (progressive enhancement).
 *
 * Every page: "/" focuses the search box (elsewhere it opens the theme's search dialog,
 * whose form leads to search.html).
 *
 * search.html: when `prolo-kb serve` answers api/health, the Whoosh results replace
 * Sphinx's search: results as you type (debounced), did-you-mean, topic and audience
 * filters, highlighted snippets, FAQ answers expandable in place with "Copy answer",
 * escalation and policy-pending badges, links to the section anchors; arrow keys move
 * through the results and Enter opens one. Opened from plain files or from any other
 * server, the page keeps Sphinx's own search untouched.
 *
 * Safety: every piece of query or content text goes into the page as text
 * (textContent, never innerHTML). The one piece of server HTML, the snippet, is parsed
 * in an inert <template> and rebuilt from its text and <mark> elements only. Links must
 * stay on this site.
 */
(() => {
  "use strict";

  const DEBOUNCE_MS = 60; // a pause this long ends a burst of keystrokes
  const LIMIT = 10; // hits per search; "Show more results" asks for more
  const MAX_LIMIT = 100;
  const HEALTH_TIMEOUT_MS = 3000;

  const root = new URL(document.documentElement.dataset.content_root || "./", document.baseURI);
  const isSearchPage = () =>
    (typeof DOCUMENTATION_OPTIONS !== "undefined" && DOCUMENTATION_OPTIONS.pagename === "search") ||
    document.querySelector(".bd-search-container #search-results") !== null;

  const el = (tag, props = {}, ...children) => {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(props)) {
      if (key === "class") node.className = value;
      else if (key === "text") node.textContent = value;
      else if (key in node && !key.startsWith("aria") && !key.startsWith("data")) node[key] = value;
      else node.setAttribute(key, value);
    }
    node.append(...children);
    return node;
  };

  const isEditable = (target) =>
    target instanceof HTMLElement &&
    (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));

  /* ---- "/" focuses search, on every page ------------------------------------------ */

  const pageInput = () => document.querySelector(".bd-search-container form.bd-search input[name=q]");

  document.addEventListener("keydown", (event) => {
    if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) return;
    if (isEditable(event.target) || event.defaultPrevented) return;
    const input = pageInput();
    if (input) {
      event.preventDefault();
      input.focus();
      input.select();
      return;
    }
    const dialog = document.getElementById("pst-search-dialog");
    const button = document.querySelector(".search-button__button");
    if (dialog && button) {
      event.preventDefault();
      if (!dialog.open) button.click();
      const dialogInput = dialog.querySelector("input[name=q]");
      if (dialogInput) dialogInput.focus();
    }
  });

  if (!isSearchPage()) return;

  /* ---- the search page: API or Sphinx? --------------------------------------------- */

  const detectApi = async () => {
    if (location.protocol !== "http:" && location.protocol !== "https:") return null;
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), HEALTH_TIMEOUT_MS);
    try {
      const response = await fetch(new URL("api/health", root), {
        headers: { Accept: "application/json" },
        cache: "no-store",
        signal: controller.signal,
      });
      if (!response.ok) return null;
      const data = await response.json();
      return data && data.service === "prolo-kb" ? data : null;
    } catch {
      return null;
    } finally {
      clearTimeout(timer);
    }
  };

  const health = detectApi();

  // Sphinx's searchtools starts its search on DOMContentLoaded, after this deferred
  // script: hold it until we know whether the API is there, and drop it if it is.
  if (typeof Search !== "undefined" && Search && typeof Search.performSearch === "function") {
    const sphinxSearch = Search.performSearch;
    Search.performSearch = (query) => {
      health.then((api) => {
        if (!api) sphinxSearch(query);
      });
    };
  }

  const options = (() => {
    const meta = document.querySelector('meta[name="kb-search"]');
    try {
      return meta ? JSON.parse(meta.content) : {};
    } catch {
      return {};
    }
  })();
  const topicNames = options.topics || {};
  const badges = Object.assign(
    { escalate: "Escalate: pass to a clinician", pending: "Clinic policy pending: ask a clinician" },
    options.badges || {},
  );

  const start = (api) => {
    document.documentElement.dataset.kbSearch = api ? "api" : "sphinx";
    if (api) enhance(api);
    document.dispatchEvent(new CustomEvent("kb-search:ready", { detail: { api: Boolean(api) } }));
  };

  const whenReady = (fn) =>
    document.readyState === "loading" ? document.addEventListener("DOMContentLoaded", fn) : fn();
  whenReady(() => health.then(start));

  /* ---- the enhanced page ----------------------------------------------------------- */

  function enhance(api) {
    const container = document.querySelector(".bd-search-container");
    const form = container && container.querySelector("form.bd-search");
    const input = form && form.querySelector("input[name=q]");
    if (!input) return;
    const sphinxResults = document.getElementById("search-results");
    if (sphinxResults) sphinxResults.hidden = true;

    container.classList.add("kb-search");
    input.setAttribute("aria-label", "Search the knowledge base");
    input.placeholder = "Type a question, e.g. how often are the injections?";

    const select = (id, label, all, values) => {
      const field = el("select", { id, name: id.replace("kb-filter-", "") },
        el("option", { value: "", text: all }),
        ...values.map(([value, text]) => el("option", { value, text })));
      return [el("div", { class: "kb-filter" }, el("label", { for: id, text: label }), field), field];
    };
    const known = new Set(api.topics || []);
    const topicList = Object.keys(topicNames).filter((t) => known.size === 0 || known.has(t));
    for (const t of known) if (!topicList.includes(t)) topicList.push(t);
    const [topicBox, topicSelect] = select("kb-filter-topic", "Topic", "All topics",
      topicList.map((t) => [t, topicNames[t] || t]));
    const audienceList = options.audiences || api.audiences || [];
    const [audienceBox, audienceSelect] = select("kb-filter-audience", "For", "Everyone",
      audienceList.map((a) => [a, a.charAt(0).toUpperCase() + a.slice(1)]));

    const help = el("p", { class: "kb-search-help", id: "kb-search-help",
      text: "Results appear as you type. Press / to come back to the search box, " +
        "the arrow keys to move through the results and Enter to open one." });
    const status = el("p", { class: "kb-search-status", id: "kb-search-status", role: "status" });
    const warning = el("div", { class: "kb-warning", id: "kb-warning", role: "alert" });
    warning.hidden = true;
    const didYouMean = el("p", { class: "kb-didyoumean" });
    didYouMean.hidden = true;
    const list = el("ol", { class: "kb-results", id: "kb-results", "aria-label": "Search results" });
    const filters = el("div", { class: "kb-filters", role: "group", "aria-label": "Filters" },
      topicBox, audienceBox);
    form.after(filters, help, warning, didYouMean, status, list);
    input.setAttribute("aria-describedby", "kb-search-help");
    input.setAttribute("aria-controls", "kb-results");

    const params = new URLSearchParams(location.search);
    input.value = params.get("q") || "";
    topicSelect.value = known.has(params.get("topic")) ? params.get("topic") : "";
    audienceSelect.value = audienceList.includes(params.get("audience")) ? params.get("audience") : "";

    let timer = 0;
    let lastInputAt = -Infinity;
    let requested = null; // the key of the last request sent
    let limit = LIMIT;
    let controller = null;
    let sequence = 0;

    const current = () => ({
      q: input.value.trim(),
      topic: topicSelect.value,
      audience: audienceSelect.value,
    });
    const keyOf = (s) => JSON.stringify([s.q, s.topic, s.audience, limit]);

    const syncUrl = (s) => {
      const url = new URL(location.href);
      url.search = "";
      if (s.q) url.searchParams.set("q", s.q);
      if (s.topic) url.searchParams.set("topic", s.topic);
      if (s.audience) url.searchParams.set("audience", s.audience);
      history.replaceState(history.state, "", url);
    };

    const run = async () => {
      clearTimeout(timer);
      timer = 0;
      const state = current();
      const key = keyOf(state);
      if (key === requested) return;
      requested = key;
      syncUrl(state);
      if (controller) controller.abort();
      controller = null;
      const mine = ++sequence;
      if (!state.q) {
        showMessage("", "idle", state);
        return;
      }
      const started = performance.now();
      const url = new URL("api/search", root);
      url.searchParams.set("q", state.q);
      url.searchParams.set("limit", String(limit));
      if (state.topic) url.searchParams.set("topic", state.topic);
      if (state.audience) url.searchParams.set("audience", state.audience);
      controller = new AbortController();
      container.setAttribute("aria-busy", "true");
      let response;
      let data;
      try {
        response = await fetch(url, { headers: { Accept: "application/json" }, signal: controller.signal });
        data = await response.json();
      } catch (error) {
        if (mine !== sequence) return;
        container.removeAttribute("aria-busy");
        requested = null;
        if (error && error.name === "AbortError") return;
        showMessage("The search is not answering. Check that prolo-kb serve is running, then try again.",
          "error", state);
        return;
      }
      if (mine !== sequence) return; // a newer query is on its way
      container.removeAttribute("aria-busy");
      if (!response.ok) {
        if (response.status >= 500) requested = null;
        const message = data && typeof data.error === "string" ? data.error : `error ${response.status}`;
        showMessage(sentence(message), response.status >= 500 ? "error" : "hint", state);
        return;
      }
      render(data, state, performance.now() - started);
    };

    const schedule = () => {
      const now = performance.now();
      const quiet = now - lastInputAt >= DEBOUNCE_MS;
      lastInputAt = now;
      clearTimeout(timer);
      // The first keystroke after a pause is searched at once; the rest of a burst waits
      // for the pause that ends it, so a fast typist sends one request, not ten.
      if (quiet) run();
      else timer = setTimeout(run, DEBOUNCE_MS);
    };

    const fresh = (then) => () => {
      limit = LIMIT;
      then();
    };
    input.addEventListener("input", fresh(schedule));
    topicSelect.addEventListener("change", fresh(run));
    audienceSelect.addEventListener("change", fresh(run));
    const more = el("button", { type: "button", class: "kb-more", text: "Show more results" });
    more.hidden = true;
    let focusFrom = -1; // after "Show more results", focus the first new hit
    more.addEventListener("click", () => {
      focusFrom = list.children.length;
      limit = Math.min(MAX_LIMIT, limit + 20);
      run();
    });
    list.after(more);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      requested = null;
      run();
    });

    const sentence = (text) => {
      const t = String(text).trim();
      return t ? t.charAt(0).toUpperCase() + t.slice(1) + (/[.!?]$/.test(t) ? "" : ".") : t;
    };

    function clearResults() {
      list.replaceChildren();
      more.hidden = true;
      warning.hidden = true;
      warning.replaceChildren();
      didYouMean.hidden = true;
      didYouMean.replaceChildren();
    }

    function showMessage(text, kind, state) {
      clearResults();
      status.textContent = text;
      status.dataset.kind = kind;
      finish(state, 0);
    }

    function finish(state, ms) {
      list.dataset.query = state.q;
      list.dataset.topic = state.topic;
      list.dataset.audience = state.audience;
      document.dispatchEvent(new CustomEvent("kb-search:results",
        { detail: { query: state.q, topic: state.topic, audience: state.audience, ms } }));
    }

    function render(data, state, ms) {
      clearResults();
      const hits = Array.isArray(data.hits) ? data.hits : [];
      const signs = Array.isArray(data.warning_signs) ? data.warning_signs : [];
      if (signs.length) {
        warning.append(
          el("strong", { text: "Warning sign: " }),
          document.createTextNode(signs.join(", ")),
          document.createTextNode(". Pass this to a clinician now; the escalation answers are first."),
        );
        warning.hidden = false;
      }
      if (data.corrected) {
        const fix = el("button", { type: "button", class: "kb-linklike", text: data.corrected });
        fix.addEventListener("click", () => {
          input.value = data.corrected;
          input.focus();
          run();
        });
        didYouMean.append("Did you mean ", fix, "? Showing results for it.");
        didYouMean.hidden = false;
      }
      if (!hits.length) {
        status.textContent = "No results. Try other words, or ask a clinician.";
      } else {
        const total = Number(data.total) || hits.length;
        status.textContent = `${total} result${total === 1 ? "" : "s"}` +
          (total > hits.length ? `, showing the first ${hits.length}` : "") + ".";
      }
      status.dataset.kind = "results";
      hits.forEach((hit, n) => list.append(renderHit(hit, n)));
      more.hidden = !(Number(data.total) > hits.length && limit < MAX_LIMIT);
      const next = focusFrom >= 0 ? list.querySelectorAll(".kb-hit-link")[focusFrom] : null;
      focusFrom = -1;
      if (next) next.focus();
      finish(state, ms);
    }

    function renderHit(hit, n) {
      const faq = hit.kind === "faq";
      const item = el("li", { class: "kb-hit" });
      if (hit.escalate) item.classList.add("kb-hit-escalate");
      if (hit.status === "policy-pending") item.classList.add("kb-hit-pending");
      item.dataset.id = String(hit.id);

      if (hit.escalate || hit.status === "policy-pending") {
        const row = el("p", { class: "kb-badges kb-hit-badges" });
        if (hit.escalate) row.append(el("span", { class: "kb-badge kb-badge-escalate", text: badges.escalate }));
        if (hit.status === "policy-pending") {
          row.append(el("span", { class: "kb-badge kb-badge-pending", text: badges.pending }));
        }
        item.append(row);
      }

      const title = el("h2", { class: "kb-hit-title" });
      const href = safeHref(hit.url);
      title.append(href ? el("a", { href, class: "kb-hit-link", text: hit.title }) : String(hit.title));
      item.append(title);

      const topic = topicNames[hit.topic] || hit.topic;
      item.append(el("p", { class: "kb-hit-meta", text: `${faq ? "FAQ" : "Page section"} · ${topic}` }));

      const snippet = el("p", { class: "kb-hit-snippet" });
      appendSnippet(snippet, String(hit.snippet || ""));
      item.append(snippet);

      if (faq && hit.answer) {
        const id = `kb-answer-${n}`;
        const toggle = el("button", { type: "button", class: "kb-expand", "aria-expanded": "false",
          "aria-controls": id, text: "Show full answer" });
        const answer = el("div", { class: "kb-answer", id });
        answer.hidden = true;
        for (const para of String(hit.answer).split(/\n\s*\n/)) {
          if (para.trim()) answer.append(el("p", { text: para.trim() }));
        }
        const copy = el("button", { type: "button", class: "kb-copy", text: "Copy answer" });
        const copied = el("span", { class: "kb-copied", role: "status" });
        copy.addEventListener("click", async () => {
          const ok = await copyText(String(hit.answer));
          copied.textContent = ok ? "Answer copied." : "Could not copy: select the text and copy it.";
          setTimeout(() => (copied.textContent = ""), 4000);
        });
        answer.append(el("p", { class: "kb-answer-actions" }, copy, " ", copied));
        toggle.addEventListener("click", () => {
          const open = toggle.getAttribute("aria-expanded") !== "true";
          toggle.setAttribute("aria-expanded", String(open));
          toggle.textContent = open ? "Hide full answer" : "Show full answer";
          answer.hidden = !open;
        });
        item.append(toggle, answer);
      }
      return item;
    }

    /* keyboard: arrows move between the results, Enter opens (the link's own). */
    const links = () => Array.from(list.querySelectorAll(".kb-hit-link"));
    input.addEventListener("keydown", (event) => {
      if (event.key === "ArrowDown" && !event.altKey) {
        const first = links()[0];
        if (first) {
          event.preventDefault();
          first.focus();
        }
      }
    });
    list.addEventListener("keydown", (event) => {
      if (event.key !== "ArrowDown" && event.key !== "ArrowUp") return;
      if (event.target instanceof HTMLElement && isEditable(event.target)) return;
      const all = links();
      const hit = event.target instanceof Element ? event.target.closest(".kb-hit") : null;
      const here = hit ? all.indexOf(hit.querySelector(".kb-hit-link")) : -1;
      const next = here + (event.key === "ArrowDown" ? 1 : -1);
      event.preventDefault();
      if (next < 0) {
        input.focus();
      } else if (next < all.length) {
        all[next].focus();
        all[next].scrollIntoView({ block: "nearest" });
      }
    });

    if (document.activeElement === document.body || document.activeElement === null ||
        (document.activeElement instanceof HTMLElement && document.activeElement.closest("dialog"))) {
      input.focus();
    }
    status.textContent = "";
    run();
  }

  /* ---- helpers --------------------------------------------------------------------- */

  function appendSnippet(parent, html) {
    const template = document.createElement("template");
    template.innerHTML = html; // inert: nothing in a template runs or loads
    const copy = (from, to) => {
      for (const node of from.childNodes) {
        if (node.nodeType === Node.TEXT_NODE) {
          to.append(node.data);
        } else if (node.nodeType === Node.ELEMENT_NODE) {
          if (node.localName === "mark") {
            const mark = document.createElement("mark");
            copy(node, mark);
            to.append(mark);
          } else {
            copy(node, to);
          }
        }
      }
    };
    copy(template.content, parent);
  }

  function safeHref(url) {
    try {
      const target = new URL(String(url), root);
      if (target.origin === location.origin && /^https?:$/.test(target.protocol)) return target.href;
    } catch {
      /* not a URL */
    }
    return null;
  }

  async function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      try {
        await navigator.clipboard.writeText(text);
        return true;
      } catch {
        /* denied: try the old way */
      }
    }
    const area = el("textarea", { class: "kb-offscreen", readOnly: true, value: text });
    document.body.append(area);
    area.select();
    let ok = false;
    try {
      ok = document.execCommand("copy");
    } catch {
      ok = false;
    }
    area.remove();
    return ok;
  }
})();
