"""Let pytest run the book's MyST chapters as notebooks, cell by cell, through nbval.

Each chapter under ``chapters/`` with a ``kernelspec`` is converted in memory with jupytext, its
code cells become nbval test items, and a failure is reported as ``chapters/…/name.md:LINE``.
Per-chapter wall times and outcomes go to ``$DLBOOK_RESULTS/../timings.json`` for the time table.

When ``DLBOOK_NB_CACHE`` names a jupyter-cache folder, each chapter that passes is stored there with
the outputs its cells produced, keyed as myst-nb keys it: a book build that uses the same cache then
shows those outputs without executing the chapter a second time.
"""
from __future__ import annotations

import json
import os
import re
import sys
import time
from collections import defaultdict
from pathlib import Path

import jupytext.myst
import pytest
from nbval.plugin import IPyNbCell, IPyNbFile, find_metadata_tags

sys.path.insert(0, str(Path(__file__).resolve().parent / "tools"))
from chapters import ROOT, is_notebook  # noqa: E402

CHAPTERS = ROOT / "chapters"
START_CALL = re.compile(r"""dlbook\.start\(\s*["']([^"']+)["']""")
CELL_LINE = re.compile(r"Cell In\[\d+\], line (\d+)")
ANSI = re.compile(r"\x1b\[[0-9;]*m")
collect_ignore_glob = ["_build/*", ".venv/*", "code/build/*"]


def timings_file() -> Path:
    """Where this run's per-chapter times go (beside the results folder)."""
    results = Path(os.environ.get("DLBOOK_RESULTS", ROOT / "_build" / "results"))
    return results.parent / "timings.json"


def read_chapter(path: Path):
    """The chapter as a notebook, and for each code cell the 1-based line where its code starts."""
    text = path.read_text(encoding="utf-8")
    nb = jupytext.myst.myst_to_notebook(text, add_source_map=True)
    lines = text.splitlines()
    starts = []
    for cell, fence in zip(nb.cells, nb.metadata.pop("source_map")):
        if cell.cell_type != "code":
            continue
        ticks = re.match(r"\s*(`{3,}|~{3,})", lines[fence - 1]).group(1)
        end = next(i for i in range(fence, len(lines)) if lines[i].strip() == ticks)  # 0-based closing fence
        while end > fence and not lines[end - 1].strip():  # jupytext drops blank lines before the fence
            end -= 1
        starts.append(end + 1 - len(cell.source.splitlines()))
    return nb, starts


def pytest_collect_file(file_path: Path, parent):
    if file_path.suffix == ".md" and CHAPTERS in file_path.parents and is_notebook(file_path):
        return Chapter.from_parent(parent, path=file_path)


class Chapter(IPyNbFile):
    """A MyST chapter, collected as one nbval notebook (outputs are not compared)."""

    def collect(self):
        rel = self.path.relative_to(CHAPTERS).with_suffix("").as_posix()
        named = START_CALL.findall(self.path.read_text(encoding="utf-8"))
        if any(name != rel for name in named):
            raise pytest.UsageError(f"{self.path.relative_to(ROOT)}: dlbook.start({named[0]!r}) "
                                    f"must name the chapter's own path, {rel!r}")
        self.nb, starts = read_chapter(self.path)
        self.code_cells = [c for c in self.nb.cells if c.cell_type == "code"]
        for num, (cell, line) in enumerate(zip(self.code_cells, starts)):
            options = defaultdict(bool, find_metadata_tags(cell.metadata))
            options["check"] = False
            yield ChapterCell.from_parent(self, name=f"line {line}", cell_num=num, cell=cell,
                                          options=options, line=line)

    def setup(self):
        self.outputs: dict[int, list] = {}
        self.t0 = time.perf_counter()
        self.failed = False
        # the kernel draws figures inline, as in Jupyter, whatever backend the test run itself uses
        backend = os.environ.pop("MPLBACKEND", None)
        try:
            super().setup()
        finally:
            if backend is not None:
                os.environ["MPLBACKEND"] = backend

    def teardown(self):
        super().teardown()
        seconds = time.perf_counter() - self.t0
        cache = os.environ.get("DLBOOK_NB_CACHE")
        if cache and not self.failed and len(self.outputs) == len(self.code_cells):
            store_executed(self.path, self.outputs, Path(cache), seconds)
        path = timings_file()
        path.parent.mkdir(parents=True, exist_ok=True)
        table = json.loads(path.read_text()) if path.exists() else {}
        table[self.path.relative_to(ROOT).as_posix()] = {
            "seconds": round(seconds, 1),
            "status": "failed" if self.failed else "passed",
            "profile": os.environ.get("DLBOOK_PROFILE", "default"),
        }
        path.write_text(json.dumps(table, indent=1, sort_keys=True))


class ChapterCell(IPyNbCell):
    """One code cell of a chapter; failures point at the chapter's Markdown line."""

    def __init__(self, *args, line: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.line = line

    def runtest(self):
        chapter = self.parent
        receive = chapter.get_kernel_message
        shown: dict[str, int] = {}  # display_id -> index of its output

        def follow_display(*args, **kwargs):
            """Apply what nbval ignores: clear_output and updates of displayed outputs (live plots)."""
            msg = receive(*args, **kwargs)
            kind, content, outs = msg["msg_type"], msg["content"], self.test_outputs
            if outs is not None:
                if kind == "clear_output":
                    outs.clear()
                    shown.clear()
                elif kind == "display_data" and content.get("transient", {}).get("display_id"):
                    shown[content["transient"]["display_id"]] = len(outs)
                elif kind == "update_display_data":
                    index = shown.get(content.get("transient", {}).get("display_id"))
                    if index is not None and index < len(outs):
                        outs[index]["data"] = content["data"]
                        outs[index]["metadata"] = content["metadata"]
            return msg

        chapter.get_kernel_message = follow_display
        try:
            super().runtest()
        except BaseException:
            chapter.failed = True
            raise
        finally:
            del chapter.get_kernel_message
        chapter.outputs[self.cell_num] = self.test_outputs or []

    def reportinfo(self):
        return self.path, self.line - 1, f"{self.path.relative_to(ROOT)}:{self.line}"

    def repr_failure(self, excinfo):
        where = self.line
        found = CELL_LINE.findall(ANSI.sub("", str(getattr(excinfo.value, "inner_traceback", "") or "")))
        if found:
            where = self.line + int(found[0]) - 1  # the first frame is the failing cell itself
        return f"{self.path.relative_to(ROOT)}:{where}: cell failed\n\n" + super().repr_failure(excinfo)


def store_executed(path: Path, outputs: dict[int, list], cache_dir: Path, seconds: float) -> None:
    """Put the chapter, read as myst-nb reads it, with its cells' outputs into a jupyter-cache."""
    import nbformat
    from IPython.core.displayhook import DisplayHook
    from jupyter_cache import get_cache
    from jupyter_cache.base import CacheBundleIn
    from myst_nb.core.read import read_myst_markdown_notebook

    nb = read_myst_markdown_notebook(path.read_text(encoding="utf-8"))
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    if len(code) != len(outputs):
        return  # the two readers disagree about the cells: let the build execute the chapter
    for count, cell in enumerate(code, start=1):
        cell.execution_count = count
        cell.outputs = [nbformat.from_dict(out) for out in outputs[count - 1]]
        if DisplayHook.semicolon_at_end_of_expression(cell.source):
            # nbval runs cells without storing history, so IPython cannot see a closing ";"
            # and shows the value Jupyter would hide: drop it, as Jupyter does
            cell.outputs = [out for out in cell.outputs if out.output_type != "execute_result"]
        for out in cell.outputs:
            if out.output_type == "execute_result":
                out.execution_count = count
    get_cache(str(cache_dir)).cache_notebook_bundle(
        CacheBundleIn(nb, str(path), data={"execution_seconds": seconds}), check_validity=False, overwrite=True)
