# The two commands a new user runs: `make demo` and `make test`. Both set everything up.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# One stamp per install: the demo needs the package with its viz and plot extras only;
# the tests add the test extra (pytest, torch, selenium, ...). A changed setup.cfg redoes both.
DEMO_STAMP := $(VENV)/.installed-demo
TEST_STAMP := $(VENV)/.installed-test

.PHONY: demo test lint bench clean

$(DEMO_STAMP): setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=23"
	$(BIN)/python -m pip install --quiet -e '.[viz,plot]'
	touch $@

$(TEST_STAMP): $(DEMO_STAMP)
	$(BIN)/python -m pip install --quiet -e '.[viz,plot,test]'
	touch $@

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

bench: $(TEST_STAMP)
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) out .pytest_cache .hypothesis .ruff_cache *.egg-info
