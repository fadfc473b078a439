# The two commands a new user runs: `make demo` and `make test`. Both set everything up.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# One stamp per install: the demo needs the package with its viz and plot extras only;
# the tests add the test extra (pytest, torch, selenium, ...). A changed setup.cfg redoes both.
DEMO_STAMP := $(VENV)/.installed-demo
TEST_STAMP := $(VENV)/.installed-test
DOCS_STAMP := $(VENV)/.installed-docs
MUTATE_STAMP := $(VENV)/.installed-mutate

# Where pip also looks for PyTorch: the index of PyTorch's CPU-only builds keeps `make test`
# from downloading the CUDA build on Linux (README.md, "Two commands").
TORCH_INDEX ?=
# pip's own output (and setuptools' notes on the editable install) go to this log; a newcomer
# sees it only when an install fails.
INSTALL_LOG := $(VENV)/install.log
PIP_INSTALL = $(BIN)/python -m pip install --quiet $(if $(TORCH_INDEX),--extra-index-url $(TORCH_INDEX))

.PHONY: demo test lint bench docs mutate clean

$(DEMO_STAMP): setup.cfg pyproject.toml
	@$(PYTHON) -m venv $(VENV)
	@echo "installing micrograd44 and its viz and plot extras into $(VENV)/ (log: $(INSTALL_LOG))"
	@$(PIP_INSTALL) --upgrade "pip>=23" >$(INSTALL_LOG) 2>&1 || { cat $(INSTALL_LOG); exit 1; }
	@$(PIP_INSTALL) -e '.[viz,plot]' >>$(INSTALL_LOG) 2>&1 || { cat $(INSTALL_LOG); exit 1; }
	@touch $@

# The test extra brings every other extra the suite needs (torch, dask, jupyter, docs).
$(TEST_STAMP): $(DEMO_STAMP)
	@echo "installing the test extra into $(VENV)/ (log: $(INSTALL_LOG))"
	@$(PIP_INSTALL) -e '.[viz,plot,test]' >>$(INSTALL_LOG) 2>&1 || { cat $(INSTALL_LOG); exit 1; }
	@touch $@

# Train the 44-parameter XOR network of the course and write its files and pictures to out/.
# Without Graphviz's dot the training still runs; the pictures are skipped with a message.
demo: $(DEMO_STAMP)
	-@scripts/require-system-tool dot graphviz
	$(BIN)/micrograd44 train --out out/

# The whole suite: lint, then every test (PyTorch float64 is the oracle; a C compiler, Graphviz and
# Chromium are installed when missing).
test: $(TEST_STAMP)
	@scripts/require-system-tool cc gcc
	@scripts/require-system-tool dot graphviz
	@scripts/require-system-tool chromium chromium
	@scripts/require-system-tool chromedriver chromium-driver
	$(MAKE) lint
	$(BIN)/python -m pytest -q

lint: $(TEST_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

$(DOCS_STAMP): $(DEMO_STAMP)
	@echo "installing the docs extra into $(VENV)/ (log: $(INSTALL_LOG))"
	@$(PIP_INSTALL) -e '.[viz,plot,docs]' >>$(INSTALL_LOG) 2>&1 || { cat $(INSTALL_LOG); exit 1; }
	@touch $@

# The docs site, built from docs/ and the notebooks into site/ (open site/index.html, or serve
# it: python -m http.server -d site). mkdocs.yml says what goes in it.
docs: $(DOCS_STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/python -m mkdocs build --strict --site-dir site

$(MUTATE_STAMP): $(TEST_STAMP)
	@echo "installing the mutate extra into $(VENV)/ (log: $(INSTALL_LOG))"
	@$(PIP_INSTALL) -e '.[viz,plot,test,mutate]' >>$(INSTALL_LOG) 2>&1 || { cat $(INSTALL_LOG); exit 1; }
	@touch $@

# Mutation testing of the core modules (not part of `make test`): each mutant runs its module's
# tests only, at the lowest CPU priority, in a pytest forked from a warm server that has already
# imported torch (scripts/warm_tests.py); the scores go to docs/mutation.md (scripts/mutate.py).
# MODULES picks some modules, TIME_BOX caps each module's run in seconds (a later run resumes it),
# MUTATE_FLAGS=--retest-survivors reruns only the survivors after tests were added, --jobs 2
# mutates two modules at once (one per core), --cold runs a fresh pytest per mutant.
MODULES ?=
TIME_BOX ?= 3600
MUTATE_FLAGS ?=
mutate: $(MUTATE_STAMP)
	nice -n 19 $(BIN)/python scripts/mutate.py --time-box $(TIME_BOX) $(MUTATE_FLAGS) $(MODULES)

bench: $(TEST_STAMP)
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) out site .pytest_cache .hypothesis .ruff_cache *.egg-info
