"""Sphinx extension of the book.

- Adds an "Open in Colab" link to every chapter page, pointing at the chapter's generated
  ``.ipynb`` on the notebooks branch (the theme's own button would point at the ``.md``), and a line
  of facts: reading time, and the profile, hardware, run time and date its outputs come from.
- ``{dlbook-results}`` and ``{dlbook-exec-stats}`` directives: tables built at the end of the build
  from the results that the chapters recorded with ``dlbook.record`` (``$DLBOOK_RESULTS``), from
  full-profile runs committed under ``results/``, and from the published numbers in
  ``results/reference.csv``.
"""
from __future__ import annotations

import csv
import html
import json
import os
import re
from functools import lru_cache
from pathlib import Path

from docutils import nodes
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

from chapters import ROOT, toc_docnames

logger = logging.getLogger(__name__)


def results_dir() -> Path:
    """The folder this build's chapters recorded into (the same rule as ``dlbook.results``)."""
    return Path(os.environ.get("DLBOOK_RESULTS") or ROOT / "_build" / "results")


def load_runs(folder: Path) -> dict[str, dict]:
    """chapter name -> result document, for every JSON file in ``folder``."""
    runs = {}
    for path in sorted(folder.glob("*.json")):
        doc = json.loads(path.read_text())
        if "chapter" not in doc:
            raise ValueError(f"{path} is not a dlbook results file (no 'chapter' key)")
        runs[doc["chapter"]] = doc
    return runs


def fmt(value) -> str:
    """A number as a reader wants to see it: four significant digits, thousands separated."""
    if value is None or value == "":
        return "—"
    if isinstance(value, float):
        if value != 0 and (abs(value) >= 1e5 or abs(value) < 1e-3):
            return f"{value:.3g}"
        return f"{value:.4g}" if abs(value) < 1000 else f"{value:,.0f}"
    return str(value)


def make_table(headers: list, rows: list[list]) -> nodes.table:
    """A docutils table; a cell may be a string or a node."""
    table = nodes.table(classes=["dlbook-table"])
    group = nodes.tgroup(cols=len(headers))
    table += group
    group += [nodes.colspec(colwidth=1) for _ in headers]

    def row(cells):
        r = nodes.row()
        for cell in cells:
            entry = nodes.entry()
            entry += cell if isinstance(cell, nodes.Node) else nodes.paragraph(text=fmt(cell))
            r += entry
        return r

    head = nodes.thead()
    head += row(headers)
    body = nodes.tbody()
    body += [row(r) for r in rows]
    group += [head, body]
    return table


class Placeholder(nodes.General, nodes.Element):
    """Replaced by a generated table once every chapter has been read (and executed)."""


class ResultsDirective(SphinxDirective):
    kind = "results"

    def run(self):
        self.env.dlbook_generated = getattr(self.env, "dlbook_generated", set()) | {self.env.docname}
        return [Placeholder(kind=self.kind)]


class ExecStatsDirective(ResultsDirective):
    kind = "exec-stats"


def chapter_link(app, fromdoc: str, chapter: str) -> nodes.Node:
    docname = f"chapters/{chapter}"
    title = app.env.titles.get(docname)
    para = nodes.paragraph()
    if title is None:
        para += nodes.Text(chapter)
        return para
    ref = nodes.reference("", "", internal=True, refuri=app.builder.get_relative_uri(fromdoc, docname))
    ref += nodes.Text(title.astext())
    para += ref
    return para


def check_chapters(runs: dict[str, dict], where: str) -> None:
    known = {d.removeprefix("chapters/") for d in toc_docnames()}
    for chapter in runs:
        if chapter not in known:
            logger.warning(f"{where}: results for '{chapter}', which is not a chapter in _toc.yml")


def committed_runs() -> dict[str, dict[str, dict]]:
    """Run folder name -> that run's results, for full-profile runs committed under results/."""
    return {d.name: load_runs(d) for d in sorted((ROOT / "results").glob("*/")) if any(d.glob("*.json"))}


def reference() -> dict[str, dict]:
    path = ROOT / "results" / "reference.csv"
    with path.open(newline="") as f:
        return {row["key"]: row for row in csv.DictReader(f)}


def results_nodes(app, docname: str) -> list[nodes.Node]:
    here = load_runs(results_dir())
    check_chapters(here, str(results_dir()))
    saved = committed_runs()
    for name, runs in saved.items():
        check_chapters(runs, f"results/{name}")
    refs = reference()
    out: list[nodes.Node] = []
    run_names = list(saved)
    headers = ["result", "this build"] + [f"{n}" for n in run_names] + ["published (d2l)"]
    for chapter in [c.removeprefix("chapters/") for c in toc_docnames()]:
        docs = [here.get(chapter)] + [saved[n].get(chapter) for n in run_names]
        if not any(docs):
            continue
        names = []
        for doc in docs:
            for name in (doc or {}).get("results", {}):
                if name not in names:
                    names.append(name)
        if not names:
            continue
        rows = []
        for name in names:
            row = [name]
            ref_key = ""
            for doc in docs:
                entry = (doc or {}).get("results", {}).get(name)
                row.append(entry["value"] if entry else None)
                ref_key = ref_key or (entry or {}).get("tags", {}).get("ref", "")
            if ref_key and ref_key not in refs:
                logger.warning(f"{chapter}: result '{name}' refers to unknown reference '{ref_key}'")
            row.append(f"{fmt(float(refs[ref_key]['value']))} ({refs[ref_key]['source']})" if ref_key in refs else None)
            rows.append(row)
        section = nodes.rubric()
        section += chapter_link(app, docname, chapter).children
        out.append(section)
        how = [f"this build: {d['profile']} profile on {d['device_name']}, torch {d['torch']}" for d in docs[:1] if d]
        how += [f"{n}: {d['profile']} profile on {d['device_name']}, torch {d['torch']}"
                for n, d in zip(run_names, docs[1:]) if d]
        out.append(nodes.paragraph(text="; ".join(how) + "."))
        if not any(row[-1] for row in rows):  # no published number for this chapter
            out.append(make_table(headers[:-1], [row[:-1] for row in rows]))
        else:
            out.append(make_table(headers, rows))
    if not out:
        out.append(nodes.paragraph(text="No chapter has recorded a result in this build."))
    out.append(nodes.rubric(text="Published numbers of Dive into Deep Learning (PyTorch)"))
    out.append(make_table(["key", "value", "source", "what"],
                          [[k, float(r["value"]), r["source"], r["what"]] for k, r in refs.items()]))
    return out


def exec_stats_nodes(app, docname: str) -> list[nodes.Node]:
    from myst_nb.sphinx_ import NbMetadataCollector

    here = load_runs(results_dir())
    timings_path = results_dir().parent / "timings.json"
    timings = json.loads(timings_path.read_text()) if timings_path.exists() else {}
    rows = []
    for doc in toc_docnames():
        chapter = doc.removeprefix("chapters/")
        exec_data = NbMetadataCollector.get_exec_data(app.env, doc) or {}
        run = here.get(chapter, {})
        tested = timings.get(f"{doc}.md", {})
        seconds = exec_data.get("runtime") or tested.get("seconds") or run.get("seconds")
        if not (exec_data or run or tested):
            continue
        how = exec_data.get("method") or ("nbval" if tested else "")
        status = ("ok" if exec_data.get("succeeded") else "failed") if exec_data else tested.get("status", "")
        rows.append([chapter_link(app, docname, chapter), round(seconds, 1) if seconds else None, how, status,
                     run.get("profile") or tested.get("profile"), run.get("device_name"),
                     (run.get("torch") or "").split("+")[0]])
    if not rows:
        return [nodes.paragraph(text="No chapter was executed in this build.")]
    return [make_table(["chapter", "run time (s)", "executed by", "status", "profile", "hardware", "torch"], rows)]


def fill_placeholders(app, doctree, docname):
    for node in list(doctree.findall(Placeholder)):
        make = results_nodes if node["kind"] == "results" else exec_stats_nodes
        node.replace_self(make(app, docname))


def overwrite_carriage_returns(text: str) -> str:
    """What a terminal shows for ``text``: after a carriage return, the line is written over."""
    return "\n".join(line.rstrip("\r").rsplit("\r", 1)[-1] for line in text.split("\n"))


def merge_streams_keeping_carriage_returns(original):
    """Wrap myst-nb's stream merging so that progress bars show only their final state.

    myst-nb ends every stream message with a newline before merging, which turns each
    carriage-return update of a progress bar into a line of its own. Here the messages of each
    stream are joined as the terminal received them, and each line keeps what was written last.
    """

    def merge(outputs):
        merged, streams = [], {}
        for output in outputs or []:
            if output["output_type"] == "stream":
                if output["name"] in streams:
                    streams[output["name"]]["text"] += output["text"]
                    continue
                output = output.copy()
                streams[output["name"]] = output
            merged.append(output)
        for output in streams.values():
            output["text"] = overwrite_carriage_returns(output["text"])
        return original(merged)

    return merge


def always_regenerate(app, env, added, changed, removed):
    return sorted(getattr(env, "dlbook_generated", set()))


WORDS_PER_MINUTE = 200
WORD = re.compile(r"\w+")


def reading_minutes(text: str) -> int:
    """Minutes a reader needs for a page's Markdown source (front matter left out)."""
    if text.startswith("---"):
        text = text.split("---", 2)[-1]
    return max(1, round(len(WORD.findall(text)) / WORDS_PER_MINUTE))


@lru_cache(maxsize=1)
def this_builds_runs() -> dict[str, dict]:
    folder = results_dir()
    return load_runs(folder) if folder.is_dir() else {}


def page_facts(app, pagename: str, text: str, executable: bool) -> str:
    """Reading time and, for a chapter, where its outputs come from: profile, hardware, run time, date."""
    from myst_nb.sphinx_ import NbMetadataCollector

    facts = [f"{reading_minutes(text)} min read"]
    if executable:
        run = this_builds_runs().get(pagename.removeprefix("chapters/"))
        exec_data = NbMetadataCollector.get_exec_data(app.env, pagename) or {}
        seconds = exec_data.get("runtime") or (run or {}).get("seconds")
        if run:
            facts.append(f"outputs from the {run['profile']} profile on {run['device_name']}")
        if seconds:
            facts.append(f"executed in {seconds:.0f} s")
        if run:
            facts.append(f"last executed {run['started']}")
        elif not exec_data:
            facts.append("not executed in this build")
    return " · ".join(facts)


def add_page_header(app, pagename, templatename, context, doctree):
    """Above each chapter: the Colab link (for notebooks) and the page's facts."""
    if doctree is None or not pagename.startswith("chapters/"):
        return
    source = Path(app.env.doc2path(pagename))
    text = source.read_text(encoding="utf-8") if source.exists() else ""
    executable = "kernelspec:" in text[:2000]
    header = ""
    if executable:
        url = app.config.html_theme_options.get("repository_url", "").rstrip("/")
        repo = url.removeprefix("https://github.com/")
        href = (f"https://colab.research.google.com/github/{repo}/blob/"
                f"{app.config.dlbook_notebook_branch}/{pagename}.ipynb")
        header += (f'<p class="dlbook-colab"><a class="reference external" href="{href}" '
                   f'title="Run this chapter in Google Colab">Open in Colab ▶</a></p>\n')
    header += f'<p class="dlbook-facts">{html.escape(page_facts(app, pagename, text, executable))}</p>\n'
    context["body"] = header + context.get("body", "")


def drop_duplicate_scripts(app, pagename, templatename, context, doctree):
    """Keep one copy of each script: sphinx-thebe adds its inline settings twice, and the second
    ``const`` declaration is a JavaScript error on every page."""
    seen, unique = set(), []
    for script in context.get("script_files", []):
        key = (getattr(script, "filename", None) or "", tuple(sorted(getattr(script, "attributes", {}).items())))
        if key not in seen:
            seen.add(key)
            unique.append(script)
    context["script_files"] = unique


# The theme starts a first-time reader with an empty colour mode and then logs a console error
# about it; start in the reader's system mode instead.
DEFAULT_MODE_JS = 'document.documentElement.dataset.mode = document.documentElement.dataset.mode || "auto";'


def setup(app):
    import myst_nb.core.render as nb_render

    nb_render.coalesce_streams = merge_streams_keeping_carriage_returns(nb_render.coalesce_streams)
    app.add_config_value("dlbook_notebook_branch", "notebooks", "html")
    app.add_node(Placeholder)
    app.add_directive("dlbook-results", ResultsDirective)
    app.add_directive("dlbook-exec-stats", ExecStatsDirective)
    app.connect("env-get-outdated", always_regenerate)
    app.connect("doctree-resolved", fill_placeholders)
    app.connect("html-page-context", add_page_header)
    app.connect("html-page-context", drop_duplicate_scripts, priority=900)
    app.add_js_file(None, body=DEFAULT_MODE_JS, priority=100)
    app.add_css_file("dlbook.css")
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
