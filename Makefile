# Two commands do all the set-up: `make run` and `make test`.
SHELL := /bin/bash
export UV_PYTHON_DOWNLOADS := never
UV := $(shell command -v uv 2>/dev/null || echo $(HOME)/.local/bin/uv)
PYTHON := .venv/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test test-dates install install-test uv lint format migrate demo serve browsers pdf-libs a11y-tools java gettext clean bench loadtest backup restore

uv:
	@command -v $(UV) >/dev/null 2>&1 || python3 -m pip install --user --quiet uv

install: uv
	$(UV) sync --frozen

migrate: install
	DEBUG=true $(PYTHON) manage.py migrate --noinput

demo: migrate
	DEBUG=true $(PYTHON) manage.py load_demo --address http://$(HOST):$(PORT)/

run: demo
	@echo ""
	@echo "  Suivi du partenariat : http://$(HOST):$(PORT)/"
	@echo ""
	DEBUG=true $(PYTHON) manage.py runserver $(HOST):$(PORT)

install-test: install browsers pdf-libs a11y-tools gettext

browsers:
	@command -v chromium >/dev/null 2>&1 || { \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium chromium-driver >/dev/null; \
		else sudo apt-get update -qq && sudo apt-get install -y -qq chromium chromium-driver >/dev/null; fi; }

# The accessibility tests (tests/test_accessibility.py): axe-core, injected into the pages by the
# tests only (never served), and the Nu HTML checker (vnu-jar), from npm at the versions of
# package-lock.json; the checker runs on Debian's Java.
a11y-tools: java node_modules/.package-lock.json

node_modules/.package-lock.json: package.json package-lock.json
	@command -v npm >/dev/null 2>&1 || { \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq nodejs npm >/dev/null; \
		else sudo apt-get update -qq && sudo apt-get install -y -qq nodejs npm >/dev/null; fi; }
	npm ci --ignore-scripts --no-audit --no-fund --silent
	@touch $@

java:
	@command -v java >/dev/null 2>&1 || { \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq default-jre-headless >/dev/null; \
		else sudo apt-get update -qq && sudo apt-get install -y -qq default-jre-headless >/dev/null; fi; }

# GNU gettext: tests/test_catalogues.py compiles and re-extracts the translation catalogues.
gettext:
	@command -v msgfmt >/dev/null 2>&1 && command -v xgettext >/dev/null 2>&1 || { \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq gettext >/dev/null; \
		else sudo apt-get update -qq && sudo apt-get install -y -qq gettext >/dev/null; fi; }

# WeasyPrint (the minutes as PDF) loads Pango from the system; without it the PDF button hides.
pdf-libs:
	@/sbin/ldconfig -p | grep -q libpangoft2-1.0.so.0 || { \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq libpango-1.0-0 libpangoft2-1.0-0 >/dev/null; \
		else sudo apt-get update -qq && sudo apt-get install -y -qq libpango-1.0-0 libpangoft2-1.0-0 >/dev/null; fi; }

test: install-test
	$(PYTHON) -m pytest $(PYTEST_ARGS)

# The modules whose outcome depends on the day they run (they read the clock, or rules that
# do: deadlines, "this year", la rentrée, notice dates, what is in force), run with the clock
# on the days where calendar arithmetic breaks: the turn of the year, 29 February, la rentrée.
# tests/conftest.py starts the whole run on TEST_TODAY (noon, Paris time, unless given:
# make test-dates TEST_DATES="2027-01-01T00:30").
DATE_TESTS := \
	tests/test_access_matrix.py \
	tests/test_action_pages.py \
	tests/test_agreement_lifecycle.py \
	tests/test_agreement_pages.py \
	tests/test_browser_programmes.py \
	tests/test_browser_staff.py \
	tests/test_calendar.py \
	tests/test_convention_pages.py \
	tests/test_convention_rules.py \
	tests/test_dashboard.py \
	tests/test_demo.py \
	tests/test_exports.py \
	tests/test_home.py \
	tests/test_meeting_agenda.py \
	tests/test_meeting_minutes.py \
	tests/test_meeting_pages.py \
	tests/test_meeting_rules.py \
	tests/test_programme_approval.py \
	tests/test_programme_lifecycle.py \
	tests/test_programme_pages.py \
	tests/test_programme_views.py \
	tests/test_reminders.py \
	tests/test_search.py \
	tests/test_year_story.py
TEST_DATES ?= 2026-12-31 2027-01-01 2028-02-29 2027-09-01

# TEST_DATES_AT_ONCE days at a time (one per core), each day's output printed when it ends;
# any day failing fails the target.
TEST_DATES_AT_ONCE ?= 2

test-dates: install-test
	@logs=$$(mktemp -d); \
	printf '%s\n' $(TEST_DATES) | xargs -P $(TEST_DATES_AT_ONCE) -I{} sh -c \
		'TEST_TODAY={} $(PYTHON) -m pytest -q $(DATE_TESTS) $(PYTEST_ARGS) >'"$$logs"'/{}.log 2>&1; \
		status=$$?; echo "==> the date-sensitive tests on {}"; cat '"$$logs"'/{}.log; exit $$status'; \
	status=$$?; rm -rf "$$logs"; exit $$status

lint: install
	$(PYTHON) -m ruff check .
	$(PYTHON) -m ruff format --check .
	PYTHONPATH=. .venv/bin/lint-imports

format: install
	$(PYTHON) -m ruff format .
	$(PYTHON) -m ruff check --fix .

clean:
	rm -rf .venv node_modules staticfiles db.sqlite3 db.sqlite3-wal db.sqlite3-shm

# Backups (README, "Backups"): run with the application's environment (DATABASE_URL, MEDIA_ROOT...).
BACKUP_DIR ?= backups

backup: install
	$(PYTHON) manage.py backup --output "$(BACKUP_DIR)"

restore: install
	@test -n "$(BACKUP)" || { echo "usage: make restore BACKUP=$(BACKUP_DIR)/sauvegarde-....tar"; exit 2; }
	$(PYTHON) manage.py restore "$(BACKUP)"

bench: install
	@command -v wrk >/dev/null 2>&1 || { \
		if [ "$$(id -u)" = 0 ]; then apt-get install -y -qq wrk >/dev/null; \
		else sudo apt-get install -y -qq wrk >/dev/null; fi; }
	$(PYTHON) benchmarks/bench.py

# The load and fault test runs a PostgreSQL 15 cluster and a Redis server of its own: Debian's
# server binaries.
loadtest: install
	@test -x /usr/lib/postgresql/15/bin/initdb || { \
		if [ "$$(id -u)" = 0 ]; then apt-get install -y -qq postgresql-15 >/dev/null; \
		else sudo apt-get install -y -qq postgresql-15 >/dev/null; fi; }
	@command -v redis-server >/dev/null 2>&1 || { \
		if [ "$$(id -u)" = 0 ]; then apt-get install -y -qq redis-server >/dev/null; \
		else sudo apt-get install -y -qq redis-server >/dev/null; fi; }
	$(PYTHON) benchmarks/loadtest.py
