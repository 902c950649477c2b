# consult: `make run` serves the demo, `make test` runs the tests. Both set themselves up.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
PG_TEST_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
# The production-configuration tests: a PostgreSQL database of their own and a Redis db (13).
OPS_PG_URL ?= $(PG_TEST_URL)
OPS_REDIS_URL ?= redis://127.0.0.1:6379/13
# The scanners live in virtualenvs of their own (wapiti pins old dependencies).
PYTHON_SCAN ?= python3.11
WAPITI_VERSION := 3.2.3
BANDIT_VERSION := 1.9.4
export FLASK_APP := consult

.PHONY: compile-messages run serve test test-slow test-pg test-browser browser-setup a11y-setup lint format messages setup setup-dev clean bench bench-export bench-digest bench-briefing test-ops scan screenshots

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Debian libraries WeasyPrint (the briefing PDF) needs, and the fonts of the six UN languages
# (Noto for Arabic and Chinese); installed when missing and we are root. Checked again whenever
# this Makefile changes, so a package added here reaches existing checkouts too.
APT_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core fonts-noto-core fonts-noto-cjk

$(VENV)/.system: Makefile | $(BIN)/python
	@if ! dpkg -s $(APT_PACKAGES) >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(APT_PACKAGES); \
	  else echo "The briefing PDF needs: sudo apt-get install $(APT_PACKAGES)" >&2; fi; \
	fi
	touch $@

# The compiled catalogues (.mo, not committed: built from the .po files, which are the source).
# Flask-Babel reads consult/translations/<lang>/LC_MESSAGES/messages.mo (BABEL_TRANSLATION_DIRECTORIES).
PO_FILES := $(wildcard consult/translations/*/LC_MESSAGES/messages.po)
MO_FILES := $(PO_FILES:.po=.mo)

consult/translations/%/LC_MESSAGES/messages.mo: consult/translations/%/LC_MESSAGES/messages.po | $(VENV)/.runtime
	$(BIN)/pybabel compile -d consult/translations -l $* --statistics

compile-messages: $(MO_FILES)

$(VENV)/.runtime: requirements.txt | $(BIN)/python $(VENV)/.system
	$(BIN)/python -m pip install --disable-pip-version-check -q -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt | $(BIN)/python $(VENV)/.system
	$(BIN)/python -m pip install --disable-pip-version-check -q -r requirements-dev.txt
	touch $@ $(VENV)/.runtime

setup: $(VENV)/.runtime compile-messages
setup-dev: $(VENV)/.dev compile-messages

## run: migrate the SQLite database under instance/, load the demo if empty, serve on $(HOST):$(PORT)
run: setup
	CONSULT_PUBLIC_URL=$${CONSULT_PUBLIC_URL:-http://$(HOST):$(PORT)} $(BIN)/flask db upgrade
	CONSULT_PUBLIC_URL=$${CONSULT_PUBLIC_URL:-http://$(HOST):$(PORT)} $(BIN)/flask demo load --if-empty
	CONSULT_PUBLIC_URL=$${CONSULT_PUBLIC_URL:-http://$(HOST):$(PORT)} $(BIN)/flask demo serve --host $(HOST) --port $(PORT)

## test: the suite on SQLite, without the slow tests that start real servers
test: setup-dev
	$(BIN)/python -m pytest -q -m "not slow and not office" $(PYTEST_ARGS)

## test-slow: the tests that start real servers (gunicorn under load), on SQLite; not the browser ones
test-slow: setup-dev
	$(BIN)/python -m pytest -q -m "slow and not browser and not office" $(PYTEST_ARGS)

## test-pg: every test, slow ones included, against PostgreSQL on 127.0.0.1:5432, database `test`
## (not the browser journeys: they serve a SQLite file of their own whatever the database)
test-pg: setup-dev
	CONSULT_TEST_DATABASE_URL=$(PG_TEST_URL) $(BIN)/python -m pytest -q -m "not browser and not office" $(PYTEST_ARGS)

# What the browser tests need from Debian: its chromium (a browser download, `playwright install`,
# does not work here), Java for the Nu HTML checker, npm for the checkers. Installed when missing
# and we are root.
BROWSER_APT_CHECKS := chromium:chromium java:default-jre-headless npm:npm soffice:libreoffice-calc-nogui

## browser-setup: Debian's chromium (and Java, npm) when missing
browser-setup:
	@missing=""; for check in $(BROWSER_APT_CHECKS); do \
	  command -v $${check%%:*} >/dev/null 2>&1 || missing="$$missing $${check#*:}"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	  else echo "The browser tests need: sudo apt-get install$$missing" >&2; exit 1; fi; \
	fi

## a11y-setup: axe-core and vnu-jar from tools/a11y/package-lock.json (no install scripts:
## vnu-jar's would download a Java runtime; the machine's Java runs it)
a11y-setup: tools/a11y/node_modules/.package-lock.json

tools/a11y/node_modules/.package-lock.json: tools/a11y/package-lock.json | browser-setup
	npm ci --prefix tools/a11y --ignore-scripts --no-audit --no-fund
	touch $@

## test-browser: journeys in headless Chromium with axe-core and the Nu HTML checker (P6), and
## exported files opened in LibreOffice Calc
test-browser: setup-dev browser-setup a11y-setup
	$(BIN)/python -m pytest -q -m "browser or office" $(PYTEST_ARGS)

## screenshots: the side-by-side page at 1280 and 390 px, as a government and an industry
## participant, on the demo's open and published rounds: PNGs in screenshots/ (not committed)
screenshots: setup-dev browser-setup
	$(BIN)/python tools/screenshots.py --full-page

## bench: every figure of DESIGN.md's performance targets, one JSON line each (needs wrk)
bench: setup-dev
	@command -v wrk >/dev/null || { [ "$$(id -u)" = 0 ] && { apt-get install -y -qq wrk >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }; }; } || { echo "install wrk: apt-get install wrk"; exit 1; }
	BENCH_ROUNDS=$(or $(BENCH_ROUNDS),5) BENCH_SECONDS=$(or $(BENCH_SECONDS),3) $(BIN)/python bench/run.py

## test-ops: backups under write load and the production configuration (3 gunicorn workers,
## PostgreSQL, Redis), against OPS_PG_URL and OPS_REDIS_URL
test-ops: setup-dev
	CONSULT_TEST_DATABASE_URL=$(OPS_PG_URL) CONSULT_OPS_REDIS_URL=$(OPS_REDIS_URL) $(BIN)/python -m pytest -q -m slow tests/ops $(PYTEST_ARGS)

.venv-bandit/bin/bandit:
	$(PYTHON_SCAN) -m venv .venv-bandit
	.venv-bandit/bin/python -m pip install --disable-pip-version-check -q bandit==$(BANDIT_VERSION)

.venv-wapiti/bin/wapiti:
	$(PYTHON_SCAN) -m venv .venv-wapiti
	.venv-wapiti/bin/python -m pip install --disable-pip-version-check -q wapiti3==$(WAPITI_VERSION)

## scan: bandit on consult/ (medium and high), then wapiti signed in as a participant against
## the demo on https://127.0.0.1 (gunicorn); fails on any finding or 5xx. Report in scan-out/
scan: setup-dev .venv-bandit/bin/bandit .venv-wapiti/bin/wapiti
	.venv-bandit/bin/bandit -q -r consult -ll
	WAPITI=.venv-wapiti/bin/wapiti $(BIN)/python scan/wapiti_scan.py

## bench-export: P5, export 10,000 comments as CSV and XLSX; JSON lines with time and peak memory
bench-export: setup-dev
	$(BIN)/python bench/export.py

lint: setup-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: setup-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## messages: extract translatable strings, update every catalogue under consult/translations, compile
## (--ignore-dirs without pybabel's default "_*", which skipped templates/_macros/)
messages: setup-dev
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o consult/translations/messages.pot --no-location --sort-output --project consult --ignore-dirs '.* __pycache__ node_modules' .
	$(BIN)/pybabel update -i consult/translations/messages.pot -d consult/translations --no-fuzzy-matching
	$(BIN)/pybabel compile -d consult/translations --statistics

clean:
	rm -rf $(VENV) .venv-bandit .venv-wapiti scan-out .pytest_cache .ruff_cache

## bench-briefing: P11, the briefing PDF of a 2,000-comment round made as a job; time, peak memory, ratio to HTML
bench-briefing: setup-dev
	$(BIN)/python bench/briefing.py

## bench-digest: build and send a digest to 10,000 recipients through a local aiosmtpd sink
bench-digest: setup-dev
	$(BIN)/python bench/digest.py --recipients 10000
