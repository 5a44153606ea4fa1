/* prolo-kb: this file replaces pydata-sphinx-theme's scripts/fontawesome.js (1.5 MB, the
 * whole Font Awesome SVG library, loaded so that sites can add custom icons). This site
 * adds none: the theme's own icons are drawn by its CSS from the solid icon font, which
 * vendor/fontawesome/webfonts/fa-solid-900.woff2 (also ours) subsets to the glyphs the
 * theme shows. Made from the theme's font (Font Awesome Free, SIL OFL 1.1) with:
 *   pyftsubset fa-solid-900.woff2 --flavor=woff2 --layout-features='*' --unicodes=U+f002,
 *     U+f185,U+f186,U+f042,U+f0c9,U+f03a,U+f078,U+f062,U+f105,U+f104,U+f03b,U+f00d,U+f054,
 *     U+f053,U+f077,U+f015,U+f303,U+f15c,U+f019,U+f0c5,U+f00c
 * (search, sun, moon, half circle, bars, list, chevrons, arrows, angles, outdent, xmark,
 * home, pencil, file, download, copy, check). A theme upgrade that shows another icon
 * needs it added there. Sphinx copies html_static_path after the theme's files, so
 * these two win. */
