"""The generated notebooks run top to bottom in a clean Python, as in Colab.

The clean Python is a new virtual environment that sees only what Colab preinstalls (torch,
torchvision, matplotlib, numpy and the Jupyter kernel, with what they depend on) and gets the rest
from the notebook's first cell, which installs `dlbook` from a wheel built from ``code/``.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import venv
from importlib import metadata
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[2]
COLAB_PREINSTALLED = ["torch", "torchvision", "matplotlib", "numpy", "ipykernel"]
NOTEBOOKS = ["chapters/foundations/linear-model", "chapters/rnn/rnn-basics"]


def closure(names: list[str]) -> dict[str, metadata.Distribution]:
    """The installed distributions ``names`` need at run time, them included."""
    found: dict[str, metadata.Distribution] = {}
    todo = list(names)
    while todo:
        req = Requirement(todo.pop())
        key = req.name.lower().replace("_", "-")
        if key in found or (req.marker and not req.marker.evaluate({"extra": ""})):
            continue
        try:
            dist = metadata.distribution(req.name)
        except metadata.PackageNotFoundError:
            continue  # an optional dependency this environment does not have
        found[key] = dist
        todo.extend(dist.requires or [])
    return found


def link_preinstalled(site: Path) -> int:
    """Symlink the files of the Colab-preinstalled distributions into ``site``; return how many."""
    dists = closure(COLAB_PREINSTALLED)
    site.mkdir(parents=True)
    for dist in dists.values():
        tops = {Path(f).parts[0] for f in dist.files or [] if not str(f).startswith("..")}
        for top in tops:
            target = Path(dist.locate_file(top))
            if target.exists() and not (site / top).exists():
                (site / top).symlink_to(target)
    return len(dists)


def clean_python(where: Path) -> Path:
    """A new virtual environment whose only packages are pip and the Colab-preinstalled ones."""
    venv.EnvBuilder(with_pip=True).create(where / "colab")
    python = where / "colab" / "bin" / "python"
    link_preinstalled(where / "preinstalled")
    purelib = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             check=True, capture_output=True, text=True).stdout.strip()
    (Path(purelib) / "colab-preinstalled.pth").write_text(str(where / "preinstalled") + "\n")
    kernel = where / "jupyter" / "kernels" / "colab"
    kernel.mkdir(parents=True)
    (kernel / "kernel.json").write_text(json.dumps({
        "argv": [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "clean Python (Colab-like)", "language": "python"}))
    return python


@pytest.fixture(scope="module")
def colab(tmp_path_factory):
    where = tmp_path_factory.mktemp("colab")
    wheel_dir, source = where / "dist", where / "source"
    # build from a copy, so that setuptools leaves no build folder in the repository
    shutil.copytree(ROOT / "code", source, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__", "tests"))
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                    "-w", wheel_dir, source], check=True)
    wheel = next(wheel_dir.glob("dlbook-*.whl"))
    python = clean_python(where)
    subprocess.run([sys.executable, ROOT / "tools" / "notebooks.py", where / "notebooks"], check=True,
                   capture_output=True)
    return where, python, wheel


def test_clean_python_lacks_dlbook_but_has_torch(colab):
    where, python, _ = colab
    probe = ("import importlib.util as u; "
             "print(u.find_spec('dlbook') is None, u.find_spec('torch') is not None, u.find_spec('pandas') is None)")
    out = subprocess.run([python, "-c", probe], check=True, capture_output=True, text=True, cwd=where).stdout
    assert out.split() == ["True", "True", "True"]


@pytest.mark.parametrize("chapter", NOTEBOOKS)
def test_generated_notebook_runs_in_a_clean_python(colab, chapter, monkeypatch):
    where, python, wheel = colab
    nb = nbformat.read(where / "notebooks" / f"{chapter}.ipynb", as_version=4)
    assert "colab-setup" in nb.cells[0].metadata.get("tags", [])
    monkeypatch.setenv("JUPYTER_PATH", str(where / "jupyter"))
    monkeypatch.setenv("DLBOOK_PACKAGE", str(wheel))
    monkeypatch.setenv("DLBOOK_PROFILE", "quick")
    monkeypatch.setenv("DLBOOK_OFFLINE", "1")
    monkeypatch.setenv("DLBOOK_DATA", str(where / "data"))
    monkeypatch.setenv("DLBOOK_RESULTS", str(where / "results"))
    monkeypatch.setenv("PIP_DISABLE_PIP_VERSION_CHECK", "1")
    monkeypatch.delenv("MPLBACKEND", raising=False)
    monkeypatch.delenv("PYTHONPATH", raising=False)
    run_dir = where / "run" / chapter
    run_dir.mkdir(parents=True)
    NotebookClient(nb, kernel_name="colab", timeout=600, resources={"metadata": {"path": str(run_dir)}}).execute()
    # the first cell installed dlbook into the clean Python, from the wheel
    shown = subprocess.run([python, "-m", "pip", "show", "dlbook"], capture_output=True, text=True, check=True)
    assert "Location: " + str(where / "colab") in shown.stdout
    images = [out for cell in nb.cells if cell.cell_type == "code" for out in cell.get("outputs", [])
              if "image/png" in out.get("data", {})]
    assert images, f"{chapter} drew no figure"
    assert os.path.exists(where / "results" / (chapter.removeprefix("chapters/").replace("/", "__") + ".json"))
