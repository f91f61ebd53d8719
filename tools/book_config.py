"""Print the book's _config.yml with changes for the test build.

`make test` executes every chapter under nbval first, then builds the book from this config with
execution switched off, so no chapter runs twice.
"""
import argparse
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--no-execute", action="store_true", help="build without executing the chapters")
    args = parser.parse_args()
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    if args.no_execute:
        config["execute"]["execute_notebooks"] = "off"
    # paths in the config are relative to the book's root, wherever this copy is written
    config["bibtex_bibfiles"] = [str(ROOT / p) for p in config.get("bibtex_bibfiles", [])]
    exts = config["sphinx"].get("local_extensions", {})
    config["sphinx"]["local_extensions"] = {name: str(ROOT / path) for name, path in exts.items()}
    yaml.safe_dump(config, sys.stdout, sort_keys=False, allow_unicode=True)


if __name__ == "__main__":
    main()
