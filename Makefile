# Paddock: `make run` serves the demo club, `make test` runs every check.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV := $(BIN)/uv
STAMP := $(VENV)/.installed
# Python writes no bytecode cache where PYTHONDONTWRITEBYTECODE is set (as on some CI
# machines): every command would then compile Django and its friends again, about 1.5 s each.
unexport PYTHONDONTWRITEBYTECODE
BENCH_STAMP := $(VENV)/.installed-bench
HOST ?= 127.0.0.1
PORT ?= 8000
# Links in the demo's e-mails, calendar files and QR codes point where make run serves.
# Serving to a phone on the network (HOST=0.0.0.0)? Set RUN_URL to the address the phone opens,
# e.g. make run HOST=0.0.0.0 RUN_URL=http://192.168.1.20:8000, and the QR codes lead there.
RUN_URL ?= http://$(HOST):$(PORT)

# The lock files (requirements/): every package at an exact version with its sha256 hashes,
# compiled by uv from pyproject.toml's ranges, for every Python from 3.11 and every platform.
# prod.txt is what production installs, dev.txt adds the tools of make test, bench.txt adds
# make bench's. dev.txt and prod.txt are compiled within bench.txt, so a package has the same
# version in all three. uv.txt is uv alone, which installs the others.
LOCK_DIR := requirements
COMPILE := $(UV) pip compile pyproject.toml --quiet --generate-hashes --universal \
	--python-version 3.11 --custom-compile-command "make lock"

.PHONY: run test lint setup messages makemessages test-deps test-deps-postgresql migrate static demo clean bench \
	lock upgrade check-lock vendor

# uv itself, from its lock file, with pip (which checks its hashes too).
$(UV): $(LOCK_DIR)/uv.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --require-hashes --no-deps \
	  --only-binary :all: -r $(LOCK_DIR)/uv.txt
	touch $(UV)

# Exactly what dev.txt names, checked against its hashes; nothing is resolved again. The code
# runs from the checkout: the project itself is not installed.
$(STAMP): $(LOCK_DIR)/dev.txt $(UV)
	$(UV) pip sync --quiet --python $(BIN)/python --require-hashes --only-binary :all: \
	  --link-mode copy $(LOCK_DIR)/dev.txt
	rm -f $(BENCH_STAMP)
	touch $(STAMP)

setup: $(STAMP)

# The benchmark's extra tools (locust), on top of the dev ones.
$(BENCH_STAMP): $(LOCK_DIR)/bench.txt $(UV)
	$(UV) pip sync --quiet --python $(BIN)/python --require-hashes --only-binary :all: \
	  --link-mode copy $(LOCK_DIR)/bench.txt
	touch $(BENCH_STAMP) $(STAMP)

# After a change to pyproject.toml: compile the lock files again. Packages keep the versions
# they have unless the new ranges exclude them (UPGRADE=1: the newest each range allows).
lock: $(UV)
	$(COMPILE) $(if $(UPGRADE),--upgrade) --extra dev --extra bench -o $(LOCK_DIR)/bench.txt
	$(COMPILE) --extra dev -c $(LOCK_DIR)/bench.txt -o $(LOCK_DIR)/dev.txt
	$(COMPILE) -c $(LOCK_DIR)/bench.txt -o $(LOCK_DIR)/prod.txt
	echo uv | $(UV) pip compile - --quiet --generate-hashes --universal --python-version 3.11 \
	  --custom-compile-command "make lock" -c $(LOCK_DIR)/bench.txt -o $(LOCK_DIR)/uv.txt
	$(MAKE) check-lock

# Every package to the newest version pyproject.toml allows, then every test.
upgrade:
	$(MAKE) lock UPGRADE=1
	$(MAKE) test

# Fails when pyproject.toml and the lock files disagree (make lock mends it).
# (check_lock.py reads version ranges with `packaging`, from the dev tools.)
check-lock: $(STAMP)
	$(BIN)/python $(LOCK_DIR)/check_lock.py

# Front-end packages: npm installs exactly package-lock.json, and the files the site serves
# are copied into static/vendor/ (committed, so neither make run nor a server needs npm).
vendor:
	npm ci --no-audit --no-fund
	for f in css/bootstrap.min.css css/bootstrap.min.css.map js/bootstrap.bundle.min.js \
	  js/bootstrap.bundle.min.js.map; do \
	  install -D -m 644 node_modules/bootstrap/dist/$$f static/vendor/bootstrap/$$f; done
	install -m 644 node_modules/bootstrap/LICENSE static/vendor/bootstrap/LICENSE
	@# jsQR decodes the QR codes the gate app (/meets/gate/) scans, in the browser.
	install -D -m 644 node_modules/jsqr/dist/jsQR.js static/vendor/jsqr/jsQR.js
	install -m 644 node_modules/jsqr/LICENSE static/vendor/jsqr/LICENSE

# The German translation: locale/de/LC_MESSAGES/django.mo is committed beside its .po, so
# neither make run nor a server needs gettext. After editing the .po, compile it here (msgfmt
# from gettext); tests/i18n/test_catalogue.py fails while the .mo lags behind the .po.
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

migrate: setup
	DJANGO_DEBUG=1 PADDOCK_SITE_URL=$(RUN_URL) $(BIN)/python manage.py migrate --noinput

# The static files as production serves them (make run needs none: in debug WhiteNoise
# serves them from their folders).
static: setup
	DJANGO_DEBUG=1 $(BIN)/python manage.py collectstatic --noinput -v0

demo: migrate
	DJANGO_DEBUG=1 PADDOCK_SITE_URL=$(RUN_URL) $(BIN)/python manage.py seed_demo

run: demo
	@echo "Serving the demo club on http://$(HOST):$(PORT)/"
	DJANGO_DEBUG=1 PADDOCK_SITE_URL=$(RUN_URL) $(BIN)/python manage.py runserver $(HOST):$(PORT)

# What the tests need from Debian: PostgreSQL's server first (the PostgreSQL lane starts
# at once), then in one apt-get while that lane runs: Chromium for the browser tests,
# gettext for the test that runs makemessages, Redis for the two-server test
# (tests/with_postgres.sh, tests/with_redis.sh start their own servers).
define apt_install
	if [ -z "$(1)" ]; then :; \
	elif [ "$$(id -u)" = 0 ]; then \
	  echo "Installing $(strip $(1)) for the tests…"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(1) >/dev/null; \
	else echo "Missing: $(strip $(1)). Run: sudo apt-get install $(strip $(1))"; exit 1; fi
endef
test-deps-postgresql:
	@$(call apt_install,$(shell ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || echo " postgresql"))

test-deps: test-deps-postgresql
	@$(call apt_install,$(strip \
	  $(shell [ -x "$${PADDOCK_CHROMIUM:-/usr/bin/chromium}" ] || echo " chromium") \
	  $(shell command -v xgettext >/dev/null || echo " gettext") \
	  $(shell command -v redis-server >/dev/null || echo " redis-server")))

lint: setup check-lock
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python manage.py makemigrations --check --dry-run --settings=config.settings_test
	DJANGO_DEBUG=1 $(BIN)/python manage.py check --fail-level WARNING
	$(BIN)/bandit -q -c pyproject.toml -r .
	@# pip-audit asks PyPI's JSON API (or OSV) about each locked version. Where neither is
	@# reachable it can audit nothing and says so; it still fails on any vulnerability it sees.
	$(BIN)/pip-audit --disable-pip --require-hashes -r $(LOCK_DIR)/bench.txt --progress-spinner off

# The suite runs on PostgreSQL and on SQLite side by side, one a core, each writing its log
# to test-output/, printed whole when both are done (short tracebacks, so a failure's
# message survives a CI log cut in the middle). The PostgreSQL lane starts as soon as lint
# has passed; the SQLite lane waits for apt-get (Chromium), then runs the browser tests and
# the two-server test. Work that would only repeat itself runs once:
# - on PostgreSQL, what production runs on, whose NUL bytes and strict types SQLite would
#   let through: the fuzzing of every form with hostile examples (8 a form and role), the
#   crawling fuzzer (700 mutated requests over HTTP), and the tests that reach no
#   database (settings, logging, parsers: the same on either);
# - on SQLite: the permission matrix (who may open what: decided in Python, the same on
#   any database) and the pages' words, markup and calendar files (templates and Python).
# A longer hunt: PADDOCK_FUZZ_EXAMPLES=500 PADDOCK_FUZZ_REQUESTS=5000 pytest tests/fuzz
SUITES := test-output/suites
SQLITE_ONLY := tests/i18n tests/test_accessibility_markup.py tests/test_form_errors.py \
	tests/accounts/test_vocabulary.py tests/meets/test_calendar_zones.py \
	tests/test_form_renderer.py tests/security/test_permission_matrix.py
test: lint test-deps-postgresql
	@mkdir -p $(SUITES)
	@rm -f $(SUITES)/*.rc
	@echo "== pytest on a throwaway PostgreSQL (in the background) and on SQLite, side by side =="
	@setsid bash -c 'PADDOCK_FUZZ_REQUESTS=700 PADDOCK_FUZZ_SEED=13 PADDOCK_FUZZ_EXAMPLES=8 \
	   tests/with_postgres.sh $(BIN)/pytest -q --tb=short --durations=15 \
	   -m "not browser and not multiserver" $(addprefix --ignore=,$(SQLITE_ONLY)) \
	   > $(SUITES)/postgresql.log 2>&1; echo $$? > $(SUITES)/postgresql.rc' & \
	pg=$$!; \
	trap 'kill -- -$$pg 2>/dev/null' INT TERM; \
	if $(MAKE) --no-print-directory test-deps; then \
	  $(BIN)/pytest -q --tb=short --durations=15 -m "not multiserver and not crawl" \
	    --ignore=tests/fuzz/test_forms.py --database-tests-only \
	    $(addprefix --every-test-of=,$(SQLITE_ONLY)) > $(SUITES)/sqlite.log 2>&1; \
	  echo $$? > $(SUITES)/sqlite.rc; \
	  echo "== two gunicorn servers over one PostgreSQL and one Redis =="; \
	  tests/with_postgres.sh tests/with_redis.sh $(BIN)/pytest -q -m multiserver \
	    tests/multiserver; echo $$? > $(SUITES)/multiserver.rc; \
	else kill -- -$$pg 2>/dev/null; fi; \
	wait $$pg; \
	for db in sqlite postgresql; do \
	  echo "== pytest on $$db (exit $$(cat $(SUITES)/$$db.rc 2>/dev/null || echo none)) =="; \
	  cat $(SUITES)/$$db.log 2>/dev/null; \
	done; \
	for lane in sqlite postgresql multiserver; do \
	  [ "$$(cat $(SUITES)/$$lane.rc 2>/dev/null)" = 0 ] || { echo "make test: $$lane failed"; exit 1; }; \
	done

# Load test under production settings on SQLite and PostgreSQL (about 7 minutes; not part of
# make test). BENCH_QUICK=1 for a short try. Report: test-output/bench/report.md.
bench: $(BENCH_STAMP)
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) staticfiles test-output node_modules
