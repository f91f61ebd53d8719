# The book's two commands: `make book` builds the HTML book, `make test` runs every check.
# Both create .venv and install requirements.txt on first use (and again when it changes).
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
JB_FLAGS := -W -n --keep-going
TEST_OUT := _build/test
CACHE := _build/.jupyter_cache
# The execution cache must notice changes to the package and the profile, not only to the chapters'
# cells: when either changes, jupyter-cache and Sphinx's environment are cleared so every chapter
# re-runs. `make test` fills the same cache from its nbval run, so `make book` after it re-runs nothing.
define fresh_cache
	@mkdir -p _build
	@key=$$({ cat code/pyproject.toml $$(find code/dlbook -name '*.py' | sort); \
	  $(BIN)/python -c 'import dlbook; print(dlbook.profile().name)'; } | sha256sum | cut -c1-16); \
	if [ "$$(cat _build/.dlbook-hash 2>/dev/null)" != "$$key" ]; then \
	  echo "dlbook or the profile changed since the last build: clearing the execution cache"; \
	  rm -rf $(CACHE) _build/.doctrees; fi; \
	echo "$$key" > _build/.dlbook-hash
endef

.PHONY: book test check-html export check-export notebooks serve clean

$(STAMP): requirements.txt code/pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $(STAMP)

book: $(STAMP)
	$(fresh_cache)
	$(BIN)/jupyter-book build . $(JB_FLAGS)
	@echo "Book: _build/html/index.html"

# make test: unit tests, the export check, every chapter under nbval (quick profile, offline
# stand-ins), a warning-free book build that shows the outputs of that run instead of executing
# again, and the per-chapter time table.
test: export DLBOOK_PROFILE := quick
test: export DLBOOK_OFFLINE ?= 1
test: export DLBOOK_RESULTS := $(CURDIR)/_build/results
test: export MPLBACKEND := Agg
test: export DLBOOK_NB_CACHE := $(CURDIR)/$(CACHE)
test: $(STAMP)
	rm -rf $(TEST_OUT) $$DLBOOK_RESULTS _build/timings.json && mkdir -p $(TEST_OUT)
	$(fresh_cache)
	$(BIN)/python tools/export.py --check
	$(BIN)/python -m pytest code/tests tools/tests chapters -p no:cacheprovider
	$(BIN)/python tools/book_config.py --cache $(CACHE) > $(TEST_OUT)/_config.yml
	$(BIN)/jupyter-book build . $(JB_FLAGS) --config $(TEST_OUT)/_config.yml --path-output $(TEST_OUT)
	$(BIN)/python tools/timings.py _build/timings.json

# make check-html: build the book (after `make test` nothing is executed again: the chapters come
# from the execution cache) and the notebooks, then open every page in headless Chromium.
check-html: book notebooks
	$(BIN)/python tools/check_html.py _build/html --notebooks _build/notebooks \
	  --screenshots _build/screenshots --search "saliency=chapters/understanding/visualizing"

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
