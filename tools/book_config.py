"""Print the book's _config.yml with changes for the test build.

`make test` executes every chapter under nbval first, which stores each executed chapter in the
book's execution cache; the test build then reads the outputs from that cache, so no chapter runs
twice (a chapter missing from the cache is executed by the build).
"""
import argparse
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cache", metavar="DIR", help="the jupyter-cache folder to read executed chapters from")
    args = parser.parse_args()
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    if args.cache:
        config["execute"]["execute_notebooks"] = "cache"
        config["execute"]["cache"] = str(Path(args.cache).resolve())
    # paths in the config are relative to the book's root, wherever this copy is written
    config["bibtex_bibfiles"] = [str(ROOT / p) for p in config.get("bibtex_bibfiles", [])]
    exts = config["sphinx"].get("local_extensions", {})
    config["sphinx"]["local_extensions"] = {name: str(ROOT / path) for name, path in exts.items()}
    yaml.safe_dump(config, sys.stdout, sort_keys=False, allow_unicode=True)


if __name__ == "__main__":
    main()
