/* prolo-kb: fixes to the theme's behaviour, on every page (no change to the theme).
 *
 * 1. Phone menus. pydata-sphinx-theme 0.20 wires its sidebar dialogs to the FIRST
 *    ".primary-toggle" / ".secondary-toggle" in the page (document.querySelector), which
 *    under sphinx-book-theme is a hidden duplicate in the top navbar. Below 992 px the
 *    visible buttons (the ☰ and "On this page" in the article header) then do nothing.
 *    Upstream: https://github.com/pydata/pydata-sphinx-theme/issues/2451 . A click on
 *    any other toggle is passed to the wired one, so the theme's own handlers run
 *    (the dialog below 992 px, sphinx-book-theme's collapse above it). Remove this part
 *    when the theme fixes the issue.
 * 2. Wide tables. A table wider than its column scrolls sideways (the theme's
 *    container); say so above it, and shade the edge that has more (kb.css), so phone
 *    readers know there is more to the right.
 * 3. Paper is white. Printing in dark mode would put dark boxes and light text on it:
 *    the page switches to the light theme while it prints and back afterwards.
 */
(() => {
  "use strict";

  const wireToggles = () => {
    for (const kind of ["primary", "secondary"]) {
      const wired = document.querySelector(`.${kind}-toggle`);
      if (!wired) continue;
      for (const button of document.querySelectorAll(`.${kind}-toggle`)) {
        if (button === wired) continue;
        button.addEventListener("click", (event) => {
          event.preventDefault();
          event.stopPropagation();
          wired.click();
        });
        if (!button.getAttribute("aria-label")) {
          button.setAttribute("aria-label", kind === "primary" ? "Site navigation" : "On this page");
        }
      }
    }
  };

  const HINT = "Scroll sideways to see the whole table →";
  const markWideTables = () => {
    for (const box of document.querySelectorAll(".pst-scrollable-table-container")) {
      const wide = box.scrollWidth > box.clientWidth + 1;
      box.classList.toggle("kb-table-scrolls", wide);
      let hint = box.previousElementSibling;
      if (!(hint && hint.classList.contains("kb-scroll-hint"))) hint = null;
      if (wide && !hint) {
        hint = document.createElement("p");
        hint.className = "kb-scroll-hint";
        hint.textContent = HINT;
        box.before(hint);
      }
      if (hint) hint.hidden = !wide;
      if (wide) {
        if (!box.hasAttribute("tabindex")) box.tabIndex = 0; // keyboard users can scroll it
        if (!box.hasAttribute("role")) box.setAttribute("role", "region");
        if (!box.hasAttribute("aria-label")) box.setAttribute("aria-label", "Table (scrolls sideways)");
      }
    }
  };

  let themeBeforePrint = null;
  window.addEventListener("beforeprint", () => {
    const root = document.documentElement;
    if (root.dataset.theme === "dark") {
      themeBeforePrint = root.dataset.theme;
      root.dataset.theme = "light";
    }
  });
  window.addEventListener("afterprint", () => {
    if (themeBeforePrint !== null) document.documentElement.dataset.theme = themeBeforePrint;
    themeBeforePrint = null;
  });

  const start = () => {
    wireToggles();
    markWideTables();
    let frame = 0;
    window.addEventListener("resize", () => {
      cancelAnimationFrame(frame);
      frame = requestAnimationFrame(markWideTables);
    });
  };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
