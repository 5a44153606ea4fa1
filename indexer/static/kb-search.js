/* prolo-kb: the FAQ search in the site's own search page (progressive enhancement).
 *
 * Every page: "/" focuses the search box (elsewhere it opens the theme's search dialog,
 * whose form leads to search.html).
 *
 * search.html: when `prolo-kb serve` answers api/health, the Whoosh results replace
 * Sphinx's search. Made for reading out on the phone:
 * - the top result shows its whole approved answer, badges and staff note at once; the
 *   others show a complete first sentence ("…" where shortened) and expand in place;
 * - escalation results say what to do in the entry's own words (its urgency), and the
 *   red banner names only the signs the caller described and the action for the highest
 *   urgency; a question the knowledge base does not cover says so above related hits;
 * - "Copy for patient" copies the question, the patient-facing answer and
 *   "Source: <page>, <review date>", never the staff note;
 * - "Was this helpful?" and copies/opens are reported to api/event (failures ignored);
 * - a patient leaflet link beside aftercare, side-effect and safety answers when the
 *   site has one (searchpage.py puts its address in the page);
 * - calm typing: one request per pause (debounced), answers cached, and a trailing
 *   half-typed word that matches nothing never replaces the results on screen with
 *   "No results"; Esc clears the box.
 * Also: did-you-mean, topic and audience filters, arrow keys through the results,
 * Enter opens one. Opened from plain files or from any other server, the page keeps
 * Sphinx's own search untouched.
 *
 * Safety: every piece of query or content text goes into the page as text
 * (textContent, never innerHTML). The one piece of server HTML, the snippet, is parsed
 * in an inert <template> and only the text of its <mark> elements is used. Links must
 * stay on this site.
 */
(() => {
  "use strict";

  const DEBOUNCE_MS = 120; // a pause this long ends a burst of keystrokes
  const SETTLE_MS = 900; // a half-typed word left this long is searched as it is
  const LIMIT = 10; // hits per search; "Show more results" asks for more
  const MAX_LIMIT = 100;
  const HEALTH_TIMEOUT_MS = 3000;
  const CACHE_SIZE = 60;
  const PREVIEW_MIN = 50; // a preview is whole sentences, at least this long...
  const PREVIEW_MAX = 220; // ...and at most this long (then cut at a word, with "…")
  const URGENCY_RANK = { "same-day": 1, emergency: 2 };

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
  const urgencies = Object.assign(
    { emergency: "Call emergency services now", "same-day": "Pass to a clinician today" },
    options.urgencies || {},
  );
  const pages = options.pages || {};
  const leaflet = options.leaflet && safeHref(options.leaflet.url) ? options.leaflet : null;

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
    input.placeholder = "Type what the caller said, e.g. fever after the shots";

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
      text: "Results come when you pause. / returns here, Esc clears, ↑ ↓ move, Enter opens." });
    const status = el("p", { class: "kb-search-status", id: "kb-search-status", role: "status" });
    const warning = el("div", { class: "kb-warning", id: "kb-warning", role: "alert" });
    warning.hidden = true;
    const notCovered = el("p", { class: "kb-not-covered", id: "kb-not-covered",
      text: "Not covered by the knowledge base — pass the question to the front desk or a clinician." });
    notCovered.hidden = true;
    const didYouMean = el("p", { class: "kb-didyoumean" });
    didYouMean.hidden = true;
    const list = el("ol", { class: "kb-results", id: "kb-results", "aria-label": "Search results" });
    const filters = el("div", { class: "kb-filters", role: "group", "aria-label": "Filters" },
      topicBox, audienceBox);
    form.after(el("div", { class: "kb-toolbar" }, filters, status), help, warning, didYouMean,
      notCovered, list);
    input.setAttribute("aria-describedby", "kb-search-help");
    input.setAttribute("aria-controls", "kb-results");

    const params = new URLSearchParams(location.search);
    input.value = params.get("q") || "";
    topicSelect.value = known.has(params.get("topic")) ? params.get("topic") : "";
    audienceSelect.value = audienceList.includes(params.get("audience")) ? params.get("audience") : "";

    let timer = 0;
    let settleTimer = 0;
    let requested = null; // the key of the last request sent (or answered from cache)
    let shownQuery = ""; // the query whose results are on screen
    let limit = LIMIT;
    let controller = null;
    let sequence = 0;
    // The server keeps answer events only when it records usage (api/health says so; an
    // older server does not say, and gets them). Without it, no "Was this helpful?".
    const recording = api.usage_recording !== false;
    let eventsOff = !recording; // no api/event there, or nothing kept: do not report
    let settled = null; // the status line of the answer on screen
    const cache = new Map(); // key -> answer, most recent last

    const current = () => ({
      q: input.value.trim(),
      raw: input.value,
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

    const remember = (key, data) => {
      cache.delete(key);
      cache.set(key, data);
      if (cache.size > CACHE_SIZE) cache.delete(cache.keys().next().value);
    };

    const run = async () => {
      clearTimeout(timer);
      clearTimeout(settleTimer);
      timer = 0;
      const state = current();
      const key = keyOf(state);
      if (key === requested) {
        // Typed away and back while "Keep typing…": show this query's answer again.
        if (status.dataset.kind === "typing") {
          if (cache.has(key)) {
            present(cache.get(key), state, performance.now(), true);
          } else if (settled) {
            status.textContent = settled.text;
            status.dataset.kind = settled.kind;
          }
        }
        return;
      }
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
      if (cache.has(key)) {
        const data = cache.get(key);
        remember(key, data);
        present(data, state, started, true);
        return;
      }
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
      remember(key, data);
      present(data, state, started, false);
    };

    // A half-typed last word ("fev", "ibupro") usually matches nothing: keep what is on
    // screen and say "keep typing" instead of flashing "No results"; if the typist stops
    // there, the answer is shown after SETTLE_MS (from this same response).
    const present = (data, state, started, cached) => {
      const hits = Array.isArray(data.hits) ? data.hits : [];
      const midWord = /[\p{L}\p{N}]$/u.test(state.raw);
      if (!hits.length && midWord) {
        status.textContent = "Keep typing…";
        status.dataset.kind = "typing";
        settleTimer = setTimeout(() => {
          if (keyOf(current()) === keyOf(state)) render(data, state, performance.now() - started, cached);
        }, SETTLE_MS);
        finish(state, performance.now() - started, { provisional: true, cached });
        return;
      }
      render(data, state, performance.now() - started, cached);
    };

    // At a pause, a half-typed last word that no word of the site starts with ("zq",
    // "ibupx") is not searched yet: more typing, a space or Enter searches; so does a
    // longer pause (the server may still correct a typo).
    const schedule = () => {
      clearTimeout(timer);
      clearTimeout(settleTimer);
      timer = setTimeout(() => {
        if (!unknownHalfWord(input.value)) {
          run();
          return;
        }
        status.textContent = "Keep typing…";
        status.dataset.kind = "typing";
        timer = setTimeout(run, SETTLE_MS - DEBOUNCE_MS);
      }, DEBOUNCE_MS);
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
      delete warning.dataset.urgency;
      notCovered.hidden = true;
      didYouMean.hidden = true;
      didYouMean.replaceChildren();
    }

    function showMessage(text, kind, state) {
      clearResults();
      status.textContent = text;
      status.dataset.kind = kind;
      shownQuery = state.q;
      finish(state, 0, {});
    }

    function finish(state, ms, extra) {
      if (!extra.provisional) {
        settled = { text: status.textContent, kind: status.dataset.kind };
        list.dataset.query = state.q;
        list.dataset.topic = state.topic;
        list.dataset.audience = state.audience;
      }
      document.dispatchEvent(new CustomEvent("kb-search:results", {
        detail: Object.assign({ query: state.q, topic: state.topic, audience: state.audience, ms },
          extra),
      }));
    }

    function report(type, hit) {
      if (eventsOff || !hit || hit.id === undefined) return;
      const body = JSON.stringify({ type, id: String(hit.id), query: shownQuery });
      fetch(new URL("api/event", root), {
        method: "POST", headers: { "Content-Type": "application/json" }, body, keepalive: true,
      }).then((response) => {
        if (response.status === 404 || response.status === 405 || response.status === 501) eventsOff = true;
      }, () => {});
    }

    /* The banner: the signs the caller described, in their words, and what to do. */
    function banner(data, hits, state) {
      let signs = Array.isArray(data.warning_signs) ? data.warning_signs.map(String) : [];
      let level = data.urgency;
      if (!("urgency" in data)) {
        // An older server lists the entry's whole sign list: keep the caller's words.
        signs = signs.filter((sign) => containsWords(state.q, sign));
        level = null;
        if (signs.length) {
          for (const hit of hits) {
            if (hit.escalate && (URGENCY_RANK[hit.urgency] || 0) > (URGENCY_RANK[level] || 0)) {
              level = hit.urgency;
            }
          }
        }
      }
      const action = (typeof data.action === "string" && data.action) || urgencies[level];
      if (!level || !action) return;
      const label = signs.length > 1 ? "Warning signs: " : "Warning sign: ";
      warning.append(
        el("strong", { text: signs.length ? label : "Warning sign described." }),
        signs.length ? document.createTextNode(signs.join(", ") + ". ") : " ",
        el("strong", { class: "kb-warning-action", text: sentence(action) }),
      );
      warning.dataset.urgency = String(level);
      warning.hidden = false;
    }

    function render(data, state, ms, cached) {
      clearResults();
      shownQuery = state.q;
      const hits = Array.isArray(data.hits) ? data.hits : [];
      banner(data, hits, state);
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
      const related = data.not_covered === true;
      notCovered.hidden = !related;
      if (!hits.length) {
        status.textContent = typeof data.message === "string" && data.message
          ? sentence(data.message)
          : "No results. Try other words, or ask a clinician.";
        status.dataset.kind = data.message ? "hint" : "results";
      } else {
        const total = Number(data.total) || hits.length;
        status.textContent = (related ? "Related: " : "") + `${total} result${total === 1 ? "" : "s"}` +
          (total > hits.length ? `, first ${hits.length} shown` : "") + ".";
        status.dataset.kind = "results";
      }
      const terms = new Set();
      for (const hit of hits) for (const t of markedTerms(String(hit.snippet || ""))) terms.add(t);
      const pattern = highlighter(terms);
      hits.forEach((hit, n) => list.append(renderHit(hit, n, pattern, n === 0 && !related)));
      more.hidden = !(Number(data.total) > hits.length && limit < MAX_LIMIT);
      const next = focusFrom >= 0 ? list.querySelectorAll(".kb-hit-link")[focusFrom] : null;
      focusFrom = -1;
      if (next) next.focus();
      finish(state, ms, { cached });
    }

    function renderHit(hit, n, pattern, open) {
      const faq = hit.kind === "faq";
      const pending = hit.status === "policy-pending";
      const item = el("li", { class: "kb-hit" });
      if (hit.escalate) item.classList.add("kb-hit-escalate");
      if (pending) item.classList.add("kb-hit-pending");
      item.dataset.id = String(hit.id);
      if (hit.urgency) item.dataset.urgency = String(hit.urgency);

      if (hit.escalate || pending) {
        const row = el("p", { class: "kb-badges kb-hit-badges" });
        if (hit.escalate) row.append(el("span", { class: "kb-badge kb-badge-escalate", text: badges.escalate }));
        if (hit.escalate && urgencies[hit.urgency]) {
          row.append(el("span", { class: `kb-badge kb-hit-urgency kb-hit-urgency-${hit.urgency}`,
            text: urgencies[hit.urgency] }));
        }
        if (pending) row.append(el("span", { class: "kb-badge kb-badge-pending", text: badges.pending }));
        item.append(row);
      }

      const head = el("div", { class: "kb-hit-head" });
      const title = el("h2", { class: "kb-hit-title" });
      const href = safeHref(hit.url);
      if (href) {
        const link = el("a", { href, class: "kb-hit-link", text: hit.title });
        link.addEventListener("click", () => report("opened", hit));
        title.append(link);
      } else {
        title.append(String(hit.title));
      }
      const topic = topicNames[hit.topic] || hit.topic;
      head.append(title, el("p", { class: "kb-hit-meta", text: `${faq ? "FAQ" : "Page section"} · ${topic}` }));
      item.append(head);

      const full = String((faq ? hit.answer : hit.text) || "").trim();
      const short = full ? preview(full) : "";
      const previewBox = el("p", { class: "kb-hit-preview" });
      if (short) {
        appendHighlighted(previewBox, short, pattern);
      } else {
        appendHighlighted(previewBox, snippetText(String(hit.snippet || "")), pattern);
      }
      item.append(previewBox);
      if (!full) return item;

      const id = `kb-answer-${n}`;
      const answer = el("div", { class: "kb-answer", id });
      for (const para of full.split(/\n\s*\n/)) {
        if (para.trim()) {
          const p = el("p");
          appendHighlighted(p, para.trim(), pattern);
          answer.append(p);
        }
      }
      if (hit.staff_note) {
        answer.append(el("p", { class: "kb-staff-note" },
          el("strong", { text: "For staff: " }), String(hit.staff_note)));
      }
      const src = source(hit);
      if (src) answer.append(el("p", { class: "kb-hit-source", text: src }));

      const toggle = el("button", { type: "button", class: "kb-expand", "aria-controls": id });
      const actions = el("p", { class: "kb-answer-actions" });
      // Patients' answers can be copied for them; physician-only entries cannot.
      const forPatients = !Array.isArray(hit.audience) || hit.audience.includes("patient");
      if (faq && forPatients) {
        const copy = el("button", { type: "button", class: "kb-copy", text: "Copy for patient" });
        const copied = el("span", { class: "kb-copied", role: "status" });
        let reset = 0;
        copy.addEventListener("click", async () => {
          const ok = await copyText(patientText(hit));
          clearTimeout(reset);
          copy.classList.toggle("kb-copy-done", ok);
          copy.textContent = ok ? "Copied ✓" : "Copy for patient";
          copied.textContent = ok ? "Copied: the question, the answer and its source."
            : "Could not copy: select the text and copy it.";
          if (ok) report("copied", hit);
          reset = setTimeout(() => {
            copy.classList.remove("kb-copy-done");
            copy.textContent = "Copy for patient";
            copied.textContent = "";
          }, 4000);
        });
        actions.append(copy);
        if (leaflet && (hit.escalate || (leaflet.topics || []).includes(hit.topic))) {
          actions.append(el("a", { class: "kb-leaflet", href: safeHref(leaflet.url),
            text: "Patient leaflet (PDF)" }));
        }
        actions.append(copied);
      }
      const helpful = el("span", { class: "kb-helpful", role: "group", "aria-label": "Was this helpful?" },
        el("span", { text: "Was this helpful?" }));
      const thanks = el("span", { class: "kb-helpful-thanks", role: "status" });
      for (const [text, type] of [["Yes", "helpful"], ["No", "unhelpful"]]) {
        const button = el("button", { type: "button", class: "kb-helpful-button", text });
        button.addEventListener("click", () => {
          for (const b of helpful.querySelectorAll("button")) b.setAttribute("aria-pressed", String(b === button));
          thanks.textContent = "Thank you.";
          report(type, hit);
        });
        helpful.append(button);
      }
      helpful.append(thanks);
      if (recording) actions.append(helpful);
      answer.append(actions);
      item.append(answer);

      const setOpen = (value, byUser) => {
        const hadFocus = document.activeElement === toggle;
        item.classList.toggle("kb-hit-open", value);
        toggle.setAttribute("aria-expanded", String(value));
        toggle.textContent = value ? "Show less" : faq ? "Show full answer" : "Show full text";
        answer.hidden = !value;
        previewBox.hidden = value;
        if (value) actions.insertBefore(toggle, recording ? helpful : null);
        else previewBox.append(toggle);
        if (hadFocus) toggle.focus();
        if (value && byUser) report("opened", hit);
      };
      previewBox.append(" ");
      toggle.addEventListener("click", () => setOpen(toggle.getAttribute("aria-expanded") !== "true", true));
      setOpen(open, false);
      return item;
    }

    function source(hit) {
      const page = pages[String(hit.url || "").split("#")[0]] || [];
      const title = hit.page_title || page[0];
      const reviewed = hit.last_reviewed || page[1];
      if (!title) return "";
      return `Source: ${title}${reviewed ? `, ${reviewed}` : ""}`;
    }

    function patientText(hit) {
      const parts = [];
      if (hit.question) parts.push(String(hit.question).trim());
      parts.push(String(hit.answer).trim());
      const src = source(hit);
      if (src) parts.push(src);
      return parts.join("\n\n");
    }

    /* keyboard: arrows move between the results, Enter opens (the link's own), Esc clears. */
    const links = () => Array.from(list.querySelectorAll(".kb-hit-link"));
    input.addEventListener("keydown", (event) => {
      if (event.key === "ArrowDown" && !event.altKey) {
        const first = links()[0];
        if (first) {
          event.preventDefault();
          first.focus();
        }
      } else if (event.key === "Escape" && input.value) {
        event.preventDefault();
        input.value = "";
        limit = LIMIT;
        run();
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

  // The site's words, from Sphinx's own search index (searchindex.js, already on this
  // page): stems, lower case, sorted. null until it has loaded.
  let words = null;
  function siteWords() {
    if (words === null && typeof Search !== "undefined" && Search && Search._index) {
      const index = Search._index;
      words = Object.keys(index.terms || {}).concat(Object.keys(index.titleterms || {})).sort();
    }
    return words;
  }

  function lowerBound(sorted, key) {
    let low = 0;
    let high = sorted.length;
    while (low < high) {
      const mid = (low + high) >> 1;
      if (sorted[mid] < key) low = mid + 1;
      else high = mid;
    }
    return low;
  }

  /** True when `raw` ends inside a word that no word of the site starts with. */
  function unknownHalfWord(raw) {
    const match = /[\p{L}\p{N}]+$/u.exec(raw);
    const known = siteWords();
    if (!match || !known || !known.length) return false;
    const half = match[0].toLowerCase();
    const first = known[lowerBound(known, half)];
    if (first !== undefined && first.startsWith(half)) return false;
    // ...or the half word already runs past a stem ("injectio" past "inject").
    for (let end = half.length - 1; end >= 3; end -= 1) {
      const stem = half.slice(0, end);
      if (known[lowerBound(known, stem)] === stem) return false;
    }
    return true;
  }

  // Words that end with a full stop without ending a sentence.
  const ABBREVIATION = /(?:^|[\s(])(?:al|e\.g|i\.e|etc|vs|approx|dr|mr|mrs|ms|st|no|fig|vol|inc|ltd)\.$/i;

  /** Whole sentences from the start of `text`, at least PREVIEW_MIN characters when there
   * are enough, at most PREVIEW_MAX (then cut at a word); "…" when anything is left out. */
  function preview(text) {
    const t = text.replace(/\s+/g, " ").trim();
    const end = /[.!?]["'”’)\]]*(?=\s|$)/g;
    let cut = 0;
    let match;
    while ((match = end.exec(t)) !== null) {
      const upto = match.index + match[0].length;
      if (ABBREVIATION.test(t.slice(Math.max(0, upto - 8), upto))) continue;
      cut = upto;
      if (cut >= PREVIEW_MIN) break;
    }
    if (!cut || cut > PREVIEW_MAX) {
      if (t.length <= PREVIEW_MAX) return t;
      const space = t.lastIndexOf(" ", PREVIEW_MAX);
      return t.slice(0, space > 0 ? space : PREVIEW_MAX).replace(/[\s,;:–—-]+$/, "") + " …";
    }
    return cut < t.length ? `${t.slice(0, cut)} …` : t;
  }

  function parse(html) {
    const template = document.createElement("template");
    template.innerHTML = html; // inert: nothing in a template runs or loads
    return template.content;
  }

  function snippetText(html) {
    return parse(html).textContent || "";
  }

  function markedTerms(html) {
    const found = [];
    for (const mark of parse(html).querySelectorAll("mark")) {
      const word = (mark.textContent || "").trim().toLowerCase();
      if (word.length > 1) found.push(word);
    }
    return found;
  }

  function highlighter(terms) {
    if (!terms.size) return null;
    const escaped = Array.from(terms).sort((a, b) => b.length - a.length)
      .map((t) => t.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
    return new RegExp(`(?<![\\p{L}\\p{N}])(?:${escaped.join("|")})(?![\\p{L}\\p{N}])`, "giu");
  }

  function appendHighlighted(parent, text, pattern) {
    if (!pattern) {
      parent.append(text);
      return;
    }
    let last = 0;
    pattern.lastIndex = 0;
    for (const match of text.matchAll(pattern)) {
      if (match.index > last) parent.append(text.slice(last, match.index));
      parent.append(el("mark", { text: match[0] }));
      last = match.index + match[0].length;
    }
    if (last < text.length) parent.append(text.slice(last));
  }

  function containsWords(haystack, words) {
    const pattern = String(words).trim().toLowerCase().replace(/[.*+?^${}()|[\]\\]/g, "\\$&")
      .replace(/\s+/g, "\\s+");
    return pattern !== "" &&
      new RegExp(`(?<![\\p{L}\\p{N}])${pattern}(?![\\p{L}\\p{N}])`, "iu").test(haystack);
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
