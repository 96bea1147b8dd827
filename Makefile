# Two commands do all the set-up: `make run` and `make test`.
SHELL := /bin/bash
export UV_PYTHON_DOWNLOADS := never
UV := $(shell command -v uv 2>/dev/null || echo $(HOME)/.local/bin/uv)
PYTHON := .venv/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test install install-test uv lint format migrate demo serve browsers pdf-libs clean bench loadtest backup restore

uv:
	@command -v $(UV) >/dev/null 2>&1 || python3 -m pip install --user --quiet uv

install: uv
	$(UV) sync --frozen

migrate: install
	DEBUG=true $(PYTHON) manage.py migrate --noinput

demo: migrate
	DEBUG=true $(PYTHON) manage.py load_demo

run: demo
	@echo ""
	@echo "  Suivi du partenariat : http://$(HOST):$(PORT)/"
	@echo ""
	DEBUG=true $(PYTHON) manage.py runserver $(HOST):$(PORT)

install-test: install browsers pdf-libs

browsers:
	@command -v chromium >/dev/null 2>&1 || { \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium chromium-driver >/dev/null; \
		else sudo apt-get update -qq && sudo apt-get install -y -qq chromium chromium-driver >/dev/null; fi; }

# WeasyPrint (the minutes as PDF) loads Pango from the system; without it the PDF button hides.
pdf-libs:
	@/sbin/ldconfig -p | grep -q libpangoft2-1.0.so.0 || { \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq libpango-1.0-0 libpangoft2-1.0-0 >/dev/null; \
		else sudo apt-get update -qq && sudo apt-get install -y -qq libpango-1.0-0 libpangoft2-1.0-0 >/dev/null; fi; }

test: install-test
	$(PYTHON) -m pytest $(PYTEST_ARGS)

lint: install
	$(PYTHON) -m ruff check .
	$(PYTHON) -m ruff format --check .
	PYTHONPATH=. .venv/bin/lint-imports

format: install
	$(PYTHON) -m ruff format .
	$(PYTHON) -m ruff check --fix .

clean:
	rm -rf .venv staticfiles db.sqlite3 db.sqlite3-wal db.sqlite3-shm

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

# The load and fault test runs a PostgreSQL 15 cluster of its own: Debian's server binaries.
loadtest: install
	@test -x /usr/lib/postgresql/15/bin/initdb || { \
		if [ "$$(id -u)" = 0 ]; then apt-get install -y -qq postgresql-15 >/dev/null; \
		else sudo apt-get install -y -qq postgresql-15 >/dev/null; fi; }
	$(PYTHON) benchmarks/loadtest.py
