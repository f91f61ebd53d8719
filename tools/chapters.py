"""What the tools share about the book: its root, its chapter order, and reading a chapter."""
from __future__ import annotations

from pathlib import Path

import jupytext
import yaml

ROOT = Path(__file__).resolve().parents[1]


def toc_docnames() -> list[str]:
    """Docnames (paths without ``.md``) of ``_toc.yml`` in reading order."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    order = [toc["root"]]

    def walk(entries):
        for entry in entries or []:
            if "file" in entry:
                order.append(entry["file"])
            walk(entry.get("sections"))
            walk(entry.get("chapters"))

    walk(toc.get("parts"))
    walk(toc.get("chapters"))
    return order


def is_notebook(path: Path) -> bool:
    """A chapter is an executable notebook when its front matter names a kernel."""
    head = path.read_text(encoding="utf-8")[:2000]
    return head.startswith("---") and "kernelspec:" in head.split("---", 2)[1]


def notebook_chapters() -> list[Path]:
    """The executable chapters, in book order."""
    paths = [ROOT / f"{doc}.md" for doc in toc_docnames()]
    return [p for p in paths if p.exists() and is_notebook(p)]


def read_notebook(path: Path):
    """A MyST chapter as an nbformat notebook."""
    return jupytext.read(path, fmt="md:myst")
