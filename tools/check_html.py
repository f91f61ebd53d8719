"""Check the built HTML book in a real browser (headless Chromium driven by Playwright).

Every page of the book is served from localhost and opened in Chromium, and the check fails when

- the page logs a console error or raises a JavaScript error, or a local file fails to load;
- an image does not load;
- math is left untypeset (raw ``\\(`` or ``\\[`` in the text after MathJax has run);
- an internal link points at a page or an anchor that does not exist;
- a chapter's "Open in Colab" link does not point at a generated notebook;
- the search page does not find a term of a late chapter.

Usage: ``python tools/check_html.py [HTML_DIR] [--notebooks DIR] [--screenshots DIR] [--search WORD=PAGE]``.
Chromium is found as ``$CHROMIUM`` or ``chromium`` on the PATH.
"""
from __future__ import annotations

import argparse
import functools
import http.server
import os
import re
import shutil
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

ROOT = Path(__file__).resolve().parents[1]
SKIP_DIRS = {"_static", "_sources", "_images", "_downloads"}
NOT_PAGES = {"genindex.html", "search.html"}
COLAB = re.compile(r"^https://colab\.research\.google\.com/github/[^/]+/[^/]+/blob/[^/]+/(?P<path>.+\.ipynb)$")
REDIRECT = re.compile(r"""<meta\s+http-equiv=["']refresh["']\s+content=["'][^"']*url=([^"']+)["']""", re.IGNORECASE)
ID_ATTR = re.compile(r"""\bid=["']([^"']+)["']""")
SCREENSHOT_PAGES = 4

# Runs in the page once it has loaded: waits for MathJax, then reports what the check needs.
INSPECT = """async () => {
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) { await MathJax.startup.promise; }
  const article = document.querySelector('article') || document.body;
  const copy = article.cloneNode(true);
  copy.querySelectorAll('pre, code, script, style, mjx-container, .MathJax, textarea').forEach(e => e.remove());
  const text = copy.textContent;
  const raw = [];
  for (const mark of ['\\\\(', '\\\\[', '\\\\begin{']) {
    const at = text.indexOf(mark);
    if (at >= 0) raw.push(text.slice(Math.max(0, at - 30), at + 40).replace(/\\s+/g, ' '));
  }
  const untypeset = Array.from(article.querySelectorAll('.math')).filter(e => !e.querySelector('mjx-container')).length;
  const images = Array.from(document.images).map(i => ({src: i.currentSrc || i.src, ok: i.complete && i.naturalWidth > 0}));
  const links = Array.from(document.querySelectorAll('a[href]')).map(a => a.href);
  const colab = Array.from(document.querySelectorAll('.dlbook-colab a')).map(a => a.href);
  return {raw, untypeset, images, links, colab};
}"""


@dataclass
class Report:
    problems: dict[str, list[str]] = field(default_factory=dict)
    pages: int = 0

    def add(self, page: str, message: str) -> None:
        self.problems.setdefault(page, []).append(message)

    def __bool__(self) -> bool:
        return not self.problems

    def text(self) -> str:
        lines = [f"{page}: {msg}" for page, msgs in sorted(self.problems.items()) for msg in msgs]
        verdict = "all pages passed" if self else f"{len(lines)} problem(s) on {len(self.problems)} page(s)"
        return "\n".join(lines + [f"checked {self.pages} page(s) in Chromium: {verdict}"])


def pages_of(html_dir: Path) -> list[Path]:
    """Every HTML page of the built book (not the theme's assets, the index or the search page)."""
    return sorted(p for p in html_dir.rglob("*.html")
                  if not SKIP_DIRS & set(p.relative_to(html_dir).parts[:-1]) and p.name not in NOT_PAGES
                  and p.relative_to(html_dir).parts[0] not in SKIP_DIRS)


def find_chromium() -> str:
    path = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        raise SystemExit("check_html: Chromium not found (install Debian's `chromium` or set CHROMIUM)")
    return path


class Server:
    """The HTML folder served on a free localhost port, in a background thread."""

    def __init__(self, folder: Path):
        handler = functools.partial(QuietHandler, directory=str(folder))
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> Server:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


class Anchors:
    """The ids defined in each page, read once per page."""

    def __init__(self, html_dir: Path):
        self.html_dir = html_dir

    @functools.lru_cache(maxsize=None)
    def of(self, path: Path) -> frozenset[str]:
        return frozenset(ID_ATTR.findall(path.read_text(encoding="utf-8", errors="replace")))


def check_link(href: str, base: str, html_dir: Path, anchors: Anchors) -> str | None:
    """A problem with an internal link, or None (external links are not followed)."""
    if not href.startswith(base):
        return None
    parts = urlsplit(href)
    rel = unquote(parts.path)[len(urlsplit(base).path):]
    target = html_dir / rel
    if rel == "" or target.is_dir():
        target = target / "index.html"
    if not target.is_file():
        return f"dead link: {rel or '/'}"
    if parts.fragment and target.suffix == ".html" and unquote(parts.fragment) not in anchors.of(target):
        return f"dead anchor: {rel}#{parts.fragment}"
    return None


def check_page(page, url: str, rel: str, html_dir: Path, base: str, notebooks: Path | None,
               anchors: Anchors, report: Report) -> None:
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(f"console {msg.type}: {msg.text}") if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(f"JavaScript error: {exc}"))
    page.on("requestfailed", lambda req: errors.append(f"failed to load {req.url}") if req.url.startswith(base) else None)
    page.on("response", lambda res: errors.append(f"HTTP {res.status} for {res.url}")
            if res.status >= 400 and res.url.startswith(base) else None)
    page.goto(url, wait_until="load")
    found = page.evaluate(INSPECT)
    for message in errors:
        report.add(rel, message)
    for snippet in found["raw"]:
        report.add(rel, f"raw math in the text: …{snippet}…")
    if found["untypeset"]:
        report.add(rel, f"{found['untypeset']} math element(s) not typeset by MathJax")
    for image in found["images"]:
        if not image["ok"]:
            report.add(rel, f"image does not load: {image['src']}")
    for href in sorted(set(found["links"])):
        problem = check_link(href, base, html_dir, anchors)
        if problem:
            report.add(rel, problem)
    if notebooks is not None:
        for href in found["colab"]:
            match = COLAB.match(href)
            if not match:
                report.add(rel, f"Colab link is not a notebook on GitHub: {href}")
            elif not (notebooks / match["path"]).is_file():
                report.add(rel, f"Colab link points at a notebook that was not generated: {match['path']}")


def check_search(page, base: str, word: str, expected: str, report: Report) -> None:
    page.goto(f"{base}search.html?q={word}", wait_until="load")
    try:
        page.wait_for_function("() => document.querySelectorAll('#search-results li, ul.search li').length > 0",
                               timeout=20_000)
    except Exception:  # noqa: BLE001 - Playwright's timeout error, reported as a finding
        report.add("search.html", f"searching for {word!r} found nothing")
        return
    hits = page.evaluate("() => Array.from(document.querySelectorAll('#search-results li a, ul.search li a'))"
                         ".map(a => a.getAttribute('href'))")
    if not any(expected in (h or "") for h in hits):
        report.add("search.html", f"searching for {word!r} did not find {expected} (found {hits[:5]})")


def check_book(html_dir: Path, notebooks: Path | None = None, screenshots: Path | None = None,
               search: tuple[str, str] | None = None, chromium: str | None = None) -> Report:
    """Open every page of ``html_dir`` in headless Chromium and collect what is wrong."""
    from playwright.sync_api import sync_playwright

    html_dir = html_dir.resolve()
    pages = pages_of(html_dir)
    if not pages:
        raise SystemExit(f"check_html: no HTML pages under {html_dir} (build the book first)")
    report, anchors = Report(), Anchors(html_dir)
    if screenshots:
        screenshots.mkdir(parents=True, exist_ok=True)
    shots = {pages[round(i * (len(pages) - 1) / max(SCREENSHOT_PAGES - 1, 1))] for i in range(SCREENSHOT_PAGES)}
    with Server(html_dir) as server, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium or find_chromium(),
                                     args=["--no-sandbox", "--disable-gpu"])
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        for path in pages:
            rel = path.relative_to(html_dir).as_posix()
            redirect = REDIRECT.search(path.read_text(encoding="utf-8", errors="replace")[:2000])
            if redirect:  # a stub that forwards the reader: its target must exist
                if not (path.parent / redirect[1].split("#")[0]).is_file():
                    report.add(rel, f"redirects to a missing page: {redirect[1]}")
                report.pages += 1
                continue
            page = context.new_page()
            check_page(page, server.url + rel, rel, html_dir, server.url, notebooks, anchors, report)
            if screenshots and path in shots:
                page.screenshot(path=str(screenshots / (rel.replace("/", "__").removesuffix(".html") + ".png")))
            page.close()
            report.pages += 1
        if search:
            page = context.new_page()
            check_search(page, server.url, *search, report)
            if screenshots:
                page.screenshot(path=str(screenshots / "search.png"))
            page.close()
        browser.close()
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("html", nargs="?", type=Path, default=ROOT / "_build" / "html")
    parser.add_argument("--notebooks", type=Path, help="folder of the generated notebooks the Colab links point at")
    parser.add_argument("--screenshots", type=Path, help="save screenshots of a few pages here")
    parser.add_argument("--search", metavar="WORD=PAGE", help="search for WORD and expect PAGE among the hits")
    args = parser.parse_args(argv)
    search = None
    if args.search:
        word, _, expected = args.search.partition("=")
        search = (word, expected)
    report = check_book(args.html, args.notebooks, args.screenshots, search)
    print(report.text())
    return 0 if report else 1


if __name__ == "__main__":
    sys.exit(main())
