# PLC Workbook — the two commands the README promises:
#   make report   set up .venv if needed and write the sample district's reports
#   make test     set up .venv if needed and run the whole test suite
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
OUT ?= out
JOBS ?=

.PHONY: report test lint bench venv browser sample docs clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

# HTML and PDF for every team and the district overview; PDFs need the system's Chromium (make browser).
report: $(STAMP) browser
	@pdf=--pdf; command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 \
	  || { pdf=; echo "no chromium: writing HTML only (make browser installs it as root)"; }; \
	$(VENV)/bin/plc report --out $(OUT) $(if $(JOBS),--jobs $(JOBS),) $$pdf

# Headless Chromium for the browser checks and the PDFs, and poppler-utils (pdftoppm, pdftotext) for the
# PDF checks: installed with apt where we can (root or sudo), else those tests skip with a message saying so.
browser:
	@command -v pdftoppm >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq poppler-utils >/dev/null) \
	      || echo "could not install poppler-utils; PDF checks will skip"; \
	  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then \
	    (sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq poppler-utils >/dev/null) \
	      || echo "could not install poppler-utils; PDF checks will skip"; \
	  else echo "poppler-utils not installed and no root: PDF checks will skip"; fi; }
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	      || echo "could not install chromium; browser tests will skip"; \
	  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then \
	    (sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	      || echo "could not install chromium; browser tests will skip"; \
	  else echo "chromium not installed and no root: browser tests will skip"; fi; }

lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy

test: $(STAMP) browser lint
	$(PY) -m pytest -n 2 --dist loadfile --nbval-lax -p no:cacheprovider

bench: $(STAMP)
	$(PY) benchmarks/run_all.py

# The documentation site (docs/, mkdocs.yml) into site/, warnings as errors; tests/test_docs.py builds it too.
docs: $(STAMP)
	$(VENV)/bin/mkdocs build --strict --site-dir site

sample: $(STAMP)
	$(VENV)/bin/plc sample --out plc_analysis/data/sample

clean:
	rm -rf $(OUT) site .pytest_cache .mypy_cache
