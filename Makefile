# Paddock: `make run` serves the demo club, `make test` runs every check.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
BENCH_STAMP := $(VENV)/.installed-bench
# xstatic-bootstrap's sdist builds with pkg_resources, gone from setuptools >= 81.
BUILD_CONSTRAINT := .ci/build-constraints.txt
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint setup messages makemessages browser-deps migrate static demo clean bench

$(STAMP): pyproject.toml $(BUILD_CONSTRAINT)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	PIP_CONSTRAINT=$(BUILD_CONSTRAINT) $(BIN)/pip install --quiet --disable-pip-version-check -e ".[dev]"
	touch $(STAMP)

setup: $(STAMP)

# The benchmark's extra tools (locust), on top of the dev ones.
$(BENCH_STAMP): pyproject.toml $(BUILD_CONSTRAINT)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	PIP_CONSTRAINT=$(BUILD_CONSTRAINT) $(BIN)/pip install --quiet --disable-pip-version-check -e ".[dev,bench]"
	touch $(BENCH_STAMP)

# The German translation, compiled from locale/de/LC_MESSAGES/django.po (msgfmt from gettext).
messages: setup
	@if command -v msgfmt >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ]; then \
	  echo "Installing gettext to compile the translations…"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends gettext >/dev/null; \
	else echo "msgfmt is missing: run 'sudo apt-get install gettext'"; exit 1; fi
	DJANGO_DEBUG=1 $(BIN)/python manage.py compilemessages --ignore=.venv -v0

# After marking new strings: refresh the catalogue, then translate what is new in it.
makemessages: setup
	DJANGO_DEBUG=1 $(BIN)/python manage.py makemessages -l de --no-obsolete --add-location file \
	  --ignore=.venv --ignore=staticfiles --ignore=test-output --ignore=tests --ignore=bench \
	  --ignore=media --ignore=build

migrate: setup messages
	DJANGO_DEBUG=1 $(BIN)/python manage.py migrate --noinput

static: setup
	DJANGO_DEBUG=1 $(BIN)/python manage.py collectstatic --noinput -v0

demo: migrate static
	DJANGO_DEBUG=1 $(BIN)/python manage.py seed_demo

run: demo
	@echo "Serving the demo club on http://$(HOST):$(PORT)/"
	DJANGO_DEBUG=1 $(BIN)/python manage.py runserver $(HOST):$(PORT)

browser-deps:
	@if [ -x /usr/bin/chromium ]; then :; \
	elif [ "$$(id -u)" = 0 ]; then \
	  echo "Installing Debian's Chromium for the browser tests…"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null; \
	else echo "Chromium is missing: run 'sudo apt-get install chromium'"; exit 1; fi

lint: setup messages
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python manage.py makemigrations --check --dry-run --settings=config.settings_test
	DJANGO_DEBUG=1 $(BIN)/python manage.py check --fail-level WARNING
	$(BIN)/bandit -q -c pyproject.toml -r .
	@# pip-audit asks PyPI's JSON API (or OSV) about each installed version. Where neither is
	@# reachable it can audit nothing and says so; it still fails on any vulnerability it sees.
	$(BIN)/pip-audit --skip-editable --progress-spinner off

test: lint browser-deps
	@echo "== pytest on SQLite (with the browser tests in Chromium) =="
	$(BIN)/pytest -q -m "not multiserver"
	@echo "== pytest on a throwaway PostgreSQL =="
	tests/with_postgres.sh $(BIN)/pytest -q -m "not browser and not multiserver"
	@echo "== two gunicorn servers over one PostgreSQL and one Redis =="
	tests/with_postgres.sh tests/with_redis.sh $(BIN)/pytest -q -m multiserver tests/multiserver

# Load test under production settings on SQLite and PostgreSQL (about 7 minutes; not part of
# make test). BENCH_QUICK=1 for a short try. Report: test-output/bench/report.md.
bench: $(BENCH_STAMP)
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) staticfiles test-output
