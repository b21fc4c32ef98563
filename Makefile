# The two commands a new user runs (see README.md):
#   make report   set up .venv, then build this month's report from the bundled sample data
#   make test     set up .venv with the test tools, then run the whole test suite
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
KERNEL := saas-kit

.PHONY: report test setup setup-dev sample benchmark clean translations translations-check

report: $(VENV)/.runtime
	$(BIN)/saas-kit report

test: $(VENV)/.dev
	$(BIN)/python -m pytest

setup: $(VENV)/.runtime
setup-dev: $(VENV)/.dev

# The runtime environment and the project's own Jupyter kernel, installed inside
# .venv (--sys-prefix) under a fixed name; papermill is always given that name.
$(VENV)/.runtime: requirements.txt pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "error: $(PYTHON) not found (Python 3.11 is required)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	$(BIN)/python -m ipykernel install --sys-prefix --name $(KERNEL) --display-name "Python (saas-kit)"
	touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.txt
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

# Regenerate the committed sample company (deterministic: same seed, same files).
sample: $(VENV)/.runtime
	$(BIN)/saas-kit generate --out data/sample

benchmark: $(VENV)/.dev
	$(BIN)/python benchmarks/run.py

# Japanese edition (locales/README.md): merge the pages' current paragraphs into
# locales/ja/LC_MESSAGES/*.po (new ones empty, changed ones fuzzy), then check that
# every paragraph is translated, glued values are kept and the glossary is followed.
translations: $(VENV)/.runtime
	$(BIN)/python -m saas_kit.translations update --lang ja

translations-check: $(VENV)/.runtime
	$(BIN)/python -m saas_kit.translations check --lang ja

clean:
	rm -rf $(VENV) reports build _build .pytest_cache .hypothesis
