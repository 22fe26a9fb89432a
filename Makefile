# OneCua: `make run` sets everything up and starts web + Celery worker + beat;
# `make test` runs the whole suite. Both work on a fresh clone with only Python 3.11 and make.
PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV   := .venv
PY     := $(VENV)/bin/python
PORT   ?= 8000
# Development defaults; a real deployment sets these in the environment (see .env.example).
export DEBUG ?= true

.PHONY: run setup install migrate demo test test-fast bench messages clean help

help:
	@echo "make run    – set up (venv, install, migrate, demo data) and start OneCua on :$(PORT)"
	@echo "make test   – run the whole test suite"
	@echo "make bench  – run the benchmark scripts in bench/"

$(VENV)/.installed: requirements.txt
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Cần Python 3.11 ($(PYTHON) không có trên máy)."; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

install: $(VENV)/.installed

migrate: install
	$(PY) manage.py migrate --noinput

demo: migrate
	$(PY) manage.py load_demo
	$(PY) manage.py load_demo_dossiers
	$(PY) manage.py load_demo_citizens
	$(PY) manage.py load_demo_papers

setup: demo

run: setup
	PORT=$(PORT) PY=$(PY) bash scripts/run_all.sh

test: install
	$(PY) -m pytest $(PYTEST_ARGS)

test-fast: install
	$(PY) -m pytest -m "not e2e" -x $(PYTEST_ARGS)

bench: install
	@for f in bench/bench_*.py; do echo "== $$f"; $(PY) $$f || exit 1; done

# makemessages is dossiers' own (it also reads N_(…), the project's gettext_noop)
messages: install
	$(PY) manage.py makemessages -l en --ignore=.venv --ignore=var --ignore=bench --no-obsolete
	$(PY) manage.py compilemessages --ignore=.venv

clean:
	rm -rf var/broker var/cache
