"""`tools/check_html.py` finds what it promises to find: raw math, broken images, dead links."""
from __future__ import annotations

import shutil
import sys
from pathlib import Path

from matplotlib.figure import Figure
import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))
import check_html  # noqa: E402

pytest.importorskip("playwright.sync_api", reason="Playwright is not installed")
CHROMIUM = check_html.os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed")

COLAB = "https://colab.research.google.com/github/dlbook/book/blob/notebooks/chapters/{}.ipynb"
PAGES = {
    "chapters/good.html": f"""<p class="dlbook-colab"><a href="{COLAB.format('good')}">Open in Colab</a></p>
        <p>A figure, <a href="other.html#results">a link</a> and <a href="https://example.org/">an outside link</a>.</p>
        <img src="../_images/figure.png" alt="figure">""",
    "chapters/other.html": '<h2 id="results">Results</h2><pre>code may show \\( literally</pre>',
    "chapters/raw-math.html": "<p>The loss \\(\\ell(\\hat y, y)\\) was never typeset.</p>",
    "chapters/broken-image.html": '<img src="../_images/missing.png" alt="gone">',
    "chapters/dead-link.html": '<p><a href="nowhere.html">a page</a> and <a href="other.html#nope">an anchor</a></p>',
    "chapters/bad-colab.html": f'<p class="dlbook-colab"><a href="{COLAB.format("not-generated")}">Colab</a></p>',
}


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    site = tmp_path_factory.mktemp("site")
    for rel, body in PAGES.items():
        page = site / rel
        page.parent.mkdir(parents=True, exist_ok=True)
        page.write_text(f"<!doctype html><html><head><meta charset='utf-8'><title>t</title></head>"
                        f"<body><article>{body}</article></body></html>", encoding="utf-8")
    (site / "_images").mkdir()
    image = Figure(figsize=(1, 1))
    image.savefig(site / "_images" / "figure.png")
    notebooks = tmp_path_factory.mktemp("notebooks")
    (notebooks / "chapters").mkdir()
    (notebooks / "chapters" / "good.ipynb").write_text("{}")
    shots = tmp_path_factory.mktemp("shots")
    return check_html.check_book(site, notebooks=notebooks, screenshots=shots, chromium=CHROMIUM), shots


def problems(report, page: str) -> str:
    return "\n".join(report[0].problems.get(page, []))


def test_a_sound_page_passes(report):
    assert "chapters/good.html" not in report[0].problems
    assert "chapters/other.html" not in report[0].problems  # math-like text inside <pre> is code, not math
    assert report[0].pages == len(PAGES)


def test_raw_math_fails(report):
    assert "raw math" in problems(report, "chapters/raw-math.html")


def test_broken_image_fails(report):
    assert "image does not load" in problems(report, "chapters/broken-image.html")


def test_dead_links_fail(report):
    found = problems(report, "chapters/dead-link.html")
    assert "dead link: chapters/nowhere.html" in found
    assert "dead anchor: chapters/other.html#nope" in found


def test_colab_link_to_a_missing_notebook_fails(report):
    assert "not generated: chapters/not-generated.ipynb" in problems(report, "chapters/bad-colab.html")


def test_screenshots_are_kept(report):
    assert list(report[1].glob("*.png"))
