# The two commands of the README: `make demo` and `make test`. Everything they need is installed
# here, from pyproject.toml into .venv, so a clean clone works.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)
BENCH_STAMP := $(VENV)/.bench-installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

export DOSSIERFLOW_HOME := $(CURDIR)

.PHONY: install translations migrate seed demo test test-fast system-deps bench-deps bench lint clean

install: $(STAMP) translations

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[test]'
	rm -f $(VENV)/.installed-*
	touch $@

translations: $(STAMP)
	$(BIN)/pybabel compile --use-fuzzy -d translations

migrate: install
	$(BIN)/flask --app webapp db upgrade

seed: migrate
	DOSSIERFLOW_DEMO=1 $(BIN)/flask --app webapp demo seed

demo: install
	$(BIN)/python -m devtools.demo

system-deps:
	sh devtools/system_deps.sh

test: install system-deps
	$(BIN)/python -m pytest

test-fast: install
	$(BIN)/python -m pytest -m "not prefect and not postgres and not browser"

# What only the benchmarks need: the [bench] extra (WeasyPrint, for bench.questionnaire_pdf's
# comparison) and the Pango libraries it loads. Not part of `make test`.
$(BENCH_STAMP): $(STAMP)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[test,bench]'
	rm -f $(VENV)/.bench-installed-*
	touch $@

bench-deps: $(BENCH_STAMP)
	sh devtools/system_deps.sh bench

bench: install bench-deps
	$(BIN)/python -m bench

lint: install
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) instance
