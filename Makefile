# The book's two commands: `make book` builds the HTML book, `make test` runs every check.
# Both create .venv and install requirements.txt on first use (and again when it changes).
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
JB_FLAGS := -W -n --keep-going
# the execution cache must notice changes to the package, not only to the chapters' cells: when the
# package changes, both jupyter-cache and Sphinx's environment are cleared so every chapter re-runs
PKG_HASH = $(shell cat code/pyproject.toml $$(find code/dlbook -name '*.py' | sort) | sha256sum | cut -c1-16)
TEST_OUT := _build/test

.PHONY: book test unit chapters export check-export notebooks serve clean

$(STAMP): requirements.txt code/pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $(STAMP)

book: $(STAMP)
	@mkdir -p _build
	@if [ "$$(cat _build/.dlbook-hash 2>/dev/null)" != "$(PKG_HASH)" ]; then \
	  echo "dlbook changed since the last build: clearing the execution cache"; \
	  rm -rf _build/.jupyter_cache _build/.doctrees; fi
	$(BIN)/jupyter-book build . $(JB_FLAGS)
	@echo "$(PKG_HASH)" > _build/.dlbook-hash
	@echo "Book: _build/html/index.html"

# make test: unit tests, the export check, every chapter under nbval (quick profile, offline
# stand-ins), a warning-free book build that reuses those results instead of executing again,
# and the per-chapter time table.
test: export DLBOOK_PROFILE := quick
test: export DLBOOK_OFFLINE ?= 1
test: export DLBOOK_RESULTS := $(CURDIR)/$(TEST_OUT)/results
test: export MPLBACKEND := Agg
test: $(STAMP)
	rm -rf $(TEST_OUT) && mkdir -p $(TEST_OUT)
	$(BIN)/python tools/export.py --check
	$(BIN)/python -m pytest code/tests chapters -p no:cacheprovider
	$(BIN)/python tools/book_config.py --no-execute > $(TEST_OUT)/_config.yml
	$(BIN)/jupyter-book build . $(JB_FLAGS) --config $(TEST_OUT)/_config.yml --path-output $(TEST_OUT)
	$(BIN)/python tools/timings.py $(TEST_OUT)/timings.json

export: $(STAMP)
	$(BIN)/python tools/export.py

check-export: $(STAMP)
	$(BIN)/python tools/export.py --check

notebooks: $(STAMP)
	$(BIN)/python tools/notebooks.py _build/notebooks

serve:
	@test -f _build/html/index.html || { echo "run 'make book' first"; exit 1; }
	$(PYTHON) -m http.server --directory _build/html --bind 127.0.0.1 8000

clean:
	rm -rf _build
