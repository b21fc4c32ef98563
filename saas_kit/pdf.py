"""The month's report as one A4 PDF for the board, printed by a real browser.

The built HTML report is the source: its pages are read in reading order (the
overview first, then every chapter, following each page's ``<link rel="next">``),
their article bodies are put one after another into a single print document
(each chapter starting on a new page), and Debian's ``chromium``, driven by
Playwright, prints that document to A4 with page numbers. No second build and no
other renderer: what the board reads is what the browser shows, with the print
styles of ``book/_static/report.css`` (no navigation, no toggles, nothing clipped).

Without a browser the HTML report is still published; :func:`pdf_unavailable`
says why the PDF is missing.
"""
from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

# Where Debian installs the browser; SAAS_KIT_CHROMIUM overrides it.
DEFAULT_CHROMIUM = Path("/usr/bin/chromium")
_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]
_MAX_PAGES = 200  # a report has ~10 pages; a loop in the next-links must not run forever
_MATHJAX = "**/mathjax/tex-chtml.js*"

# The print document's footer: the report's title and "page / pages" on every sheet.
_FOOTER = ('<div style="font-size:7.5pt;color:#555;width:100%;padding:0 12mm;display:flex;'
           'justify-content:space-between;font-family:sans-serif">'
           '<span>{title}</span><span><span class="pageNumber"></span> / <span class="totalPages"></span></span></div>')


def chromium_path() -> Path | None:
    """The browser to print with: ``$SAAS_KIT_CHROMIUM``, else Debian's ``/usr/bin/chromium``
    (or ``chromium`` on the PATH); None when there is none."""
    override = os.environ.get("SAAS_KIT_CHROMIUM")
    if override:
        return Path(override) if Path(override).is_file() else None
    if DEFAULT_CHROMIUM.is_file():
        return DEFAULT_CHROMIUM
    found = shutil.which("chromium")
    return Path(found) if found else None


def pdf_unavailable() -> str | None:
    """Why no PDF can be printed on this machine (None when it can)."""
    if chromium_path() is None:
        return "no chromium browser found (Debian: apt-get install chromium; or set SAAS_KIT_CHROMIUM)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is missing (run `make setup`)"
    return None


def _html_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def reading_order(first: Path, next_of) -> list[Path]:
    """Pages from ``first`` following ``next_of(page) -> Path | None`` until it ends.

    Each page is visited once (a cycle in the links stops the walk)."""
    pages: list[Path] = []
    page: Path | None = first.resolve()
    while page is not None and page not in pages and len(pages) < _MAX_PAGES:
        pages.append(page)
        page = next_of(page)
    return pages


def write_report_pdf(site: str | Path, target: str | Path, title: str) -> Path:
    """Print the built report in ``site`` (its ``book/index.html`` first) to ``target`` (A4).

    Raises RuntimeError with the reason when no browser can be used (see
    :func:`pdf_unavailable`); the caller decides whether that is fatal.
    """
    reason = pdf_unavailable()
    if reason:
        raise RuntimeError(reason)
    # Playwright's synchronous API allows one instance per thread and none inside a running
    # asyncio loop (a notebook kernel, a test that already drives a browser): print from a
    # thread of its own.
    outcome: dict[str, object] = {}

    def work() -> None:
        try:
            outcome["path"] = _print_site(Path(site), Path(target), title)
        except BaseException as exc:  # handed to the caller's thread
            outcome["error"] = exc

    worker = threading.Thread(target=work, name="saas-kit-pdf")
    worker.start()
    worker.join()
    if "error" in outcome:
        raise outcome["error"]  # type: ignore[misc]
    return outcome["path"]  # type: ignore[return-value]


def _print_site(site: Path, target: Path, title: str) -> Path:
    from playwright.sync_api import sync_playwright

    site = Path(site).resolve()
    first = site / "book" / "index.html"
    if not first.is_file():
        raise RuntimeError(f"{first} is missing: build the report first")
    target = Path(target)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(chromium_path()), args=_ARGS, headless=True)
        try:
            reader = browser.new_page()
            reader.route(_MATHJAX, lambda route: route.abort())  # keep the TeX source, typeset once later

            def body(page: Path) -> tuple[str, Path | None]:
                reader.goto(page.as_uri(), wait_until="domcontentloaded")
                html = reader.eval_on_selector("article.bd-article", "a => a.innerHTML")
                nxt = reader.evaluate("() => { const l = document.querySelector('link[rel=next]');"
                                      " return l ? l.href : null; }")
                following = Path(nxt.split("#")[0].removeprefix("file://")) if nxt else None
                return html, (following if following and following.is_file() else None)

            bodies: dict[Path, str] = {}

            def next_of(page: Path) -> Path | None:
                html, following = body(page)
                bodies[page] = html
                return following

            pages = reading_order(first, next_of)
            for page in pages:
                if page not in bodies:
                    bodies[page], _ = body(page)
            # Every page sits one folder below the site root (book/, notebooks/), so the
            # relative image and link paths of each body stay valid inside book/index.html.
            printer = browser.new_page()
            printer.goto(first.as_uri(), wait_until="load")
            printer.evaluate(
                """(bodies) => {
                    const article = document.querySelector('article.bd-article');
                    article.innerHTML = bodies.map((b, i) =>
                        `<div class="print-chapter${i ? ' print-break' : ''}">${b}</div>`).join('');
                    document.body.classList.add('saas-kit-print');
                }""",
                [bodies[p] for p in pages],
            )
            printer.evaluate("() => window.MathJax && MathJax.typesetPromise ? MathJax.typesetPromise() : null")
            printer.wait_for_load_state("networkidle")
            printer.evaluate("() => Promise.all(Array.from(document.images).map(i => i.complete ? null :"
                             " new Promise(r => { i.onload = i.onerror = r; })))")
            printer.emulate_media(media="print")
            tmp = target.with_name(target.name + ".part")
            printer.pdf(path=str(tmp), format="A4", print_background=True, prefer_css_page_size=False,
                        margin={"top": "14mm", "bottom": "16mm", "left": "12mm", "right": "12mm"},
                        display_header_footer=True, header_template="<span></span>",
                        footer_template=_FOOTER.format(title=_html_escape(title)))
            os.replace(tmp, target)
        finally:
            browser.close()
    return target
