"""Write one Colab-ready .ipynb per chapter into a folder (default _build/notebooks).

Each notebook starts with a cell that installs the dlbook package from the book's repository when
the running Python does not have it (as in Google Colab), and does nothing anywhere else.
``DLBOOK_PACKAGE`` overrides what is installed (a wheel, a folder, or any pip requirement).
"""
from __future__ import annotations

import sys
from pathlib import Path

import nbformat
import yaml

from chapters import ROOT, notebook_chapters, read_notebook

SETUP = '''# Setup: install the book's package `dlbook` where it is missing (as in Colab); elsewhere this cell does nothing.
import importlib
import importlib.util
import os
import subprocess
import sys

if importlib.util.find_spec("dlbook") is None:
    package = os.environ.get("DLBOOK_PACKAGE", "dlbook @ git+{repo}@{branch}#subdirectory=code")
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", package], check=True)
    importlib.invalidate_caches()'''


def setup_cell() -> nbformat.NotebookNode:
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    repo = config["repository"]["url"].rstrip("/")
    cell = nbformat.v4.new_code_cell(SETUP.format(repo=repo, branch=config["repository"].get("branch", "main")))
    cell.metadata["tags"] = ["colab-setup"]
    return cell


def main(out: Path) -> int:
    first = setup_cell()
    for path in notebook_chapters():
        nb = read_notebook(path)
        nb.metadata.pop("jupytext", None)
        nb.cells.insert(0, first)
        target = out / path.relative_to(ROOT).with_suffix(".ipynb")
        target.parent.mkdir(parents=True, exist_ok=True)
        nbformat.validate(nb)
        nbformat.write(nb, target)
        print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1] if len(sys.argv) > 1 else ROOT / "_build" / "notebooks")))
