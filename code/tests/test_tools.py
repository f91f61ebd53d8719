"""Tests of the book's tools (tools/): the export of chapter cells and the chapter line map."""
import importlib
import importlib.util
import sys
from pathlib import Path


ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))
export = importlib.import_module("export")

CHAPTER = """---
jupytext:
  text_representation:
    extension: .md
    format_name: myst
kernelspec:
  display_name: Python 3
  language: python
  name: python3
---

# A chapter

```{code-cell} ipython3
x = 1
```

Some prose.

```{code-cell} ipython3
:tags: [export]
:module: demo
import torch

y = x + 1
assert y == 3
```
"""


def test_split_imports_keeps_the_code():
    imports, body = export.split_imports("import torch\nfrom torch import nn\n\n\ndef f():\n    import os\n")
    assert export.import_lines(imports) == ["import torch", "from torch import nn"]
    assert body == "def f():\n    import os"


def test_split_imports_takes_whole_parenthesised_imports():
    imports, body = export.split_imports("from torch import (\n    nn,\n)\nx = 1")
    assert export.import_lines(imports) == ["from torch import nn"]
    assert body == "x = 1"


def test_imports_of_one_module_are_merged_and_future_comes_first():
    imports, _ = export.split_imports("import torch\nfrom a import x\nfrom a import y, x\n"
                                      "from __future__ import annotations\nimport torch\npass")
    assert export.import_lines(imports) == ["from __future__ import annotations", "import torch", "from a import x, y"]


def test_render_hoists_and_deduplicates_imports():
    text = export.render("demo", [("chapters/a.md", "import torch\n\nA = 1"), ("chapters/b.md", "import torch\nB = 2")])
    assert text.startswith(export.MARK)
    assert "#   chapters/a.md\n#   chapters/b.md" in text
    assert text.count("import torch") == 1 and text.index("import torch") < text.index("A = 1") < text.index("B = 2")


def test_chapter_lines_point_at_the_code(tmp_path):
    spec = importlib.util.spec_from_file_location("book_conftest", ROOT / "conftest.py")
    book_conftest = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(book_conftest)
    read_chapter = book_conftest.read_chapter

    path = tmp_path / "chapter.md"
    path.write_text(CHAPTER)
    nb, starts = read_chapter(path)
    lines = CHAPTER.splitlines()
    assert [lines[s - 1] for s in starts] == ["x = 1", "import torch"]
    assert nb.cells[-1].metadata == {"tags": ["export"], "module": "demo"}


def test_generated_module_is_marked():
    assert (ROOT / "code" / "dlbook" / "models.py").read_text().startswith(export.MARK)
