# prepaid_services: one command for a demo server, one for the test suite.
# Needs Odoo 19.0 importable by $(PYTHON), PostgreSQL (a server reachable by the current user, or only its
# binaries: then the project starts its own server under .pgdata/, see tools/private_pg.sh), and Chromium
# (or Google Chrome) for the browser tours of `make test`.

SHELL := /bin/bash
PYTHON ?= python3
ODOO_SRC_URL ?= https://github.com/odoo/odoo/archive/refs/heads/19.0.tar.gz
ODOO_CACHE ?= $(HOME)/.cache/prepaid_services/odoo-19.0
DEMO_DB ?= prepaid_demo
PORT ?= 8069
TEST_DB ?= prepaid_test_$(shell date +%s)_$$$$
DB_USER ?= $(or $(PGUSER),$(shell whoami))
PYTEST_ARGS ?=
MODULE := prepaid_services
ROOT := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
# auto: the project's own PostgreSQL server only when none answers; 1: always (to try it); 0: never
PRIVATE_PG ?= auto
PRIVATE_PG_DIR ?= $(ROOT)/.pgdata
export PRIVATE_PG PRIVATE_PG_DIR
# Makes sure a PostgreSQL server answers (starting the project's own where none does) and exports PGHOST/PGPORT
ENSURE_PG := source "$(ROOT)/tools/private_pg.sh" && private_pg_ensure

.PHONY: help demo test lint bench check-odoo check-pg check-chromium install-dev pg-stop

help:
	@echo "make demo   - database $(DEMO_DB) with demo data, module installed, Odoo on http://localhost:$(PORT)"
	@echo "make test   - fresh database, module installed, whole suite (browser tours in Chromium) through pytest-odoo, database dropped"
	@echo "make lint   - ruff and pylint-odoo"
	@echo "make bench  - benchmarks against plain Odoo (bench/)"
	@echo "make pg-stop - stop the project's own PostgreSQL server (.pgdata/), if one runs"

install-dev:
	@$(PYTHON) -m pip install -q -r $(ROOT)/requirements-dev.txt

# Odoo 19 is taken from the machine when importable; otherwise from Odoo's official 19.0 source.
check-odoo:
	@if $(PYTHON) -c "import odoo.release as r, sys; sys.exit(0 if r.version_info[0] == 19 else 1)" 2>/dev/null; then \
		echo "Odoo $$($(PYTHON) -c 'import odoo.release as r; print(r.version)') found."; \
	else \
		echo "Odoo 19.0 is not importable by $(PYTHON): installing it from $(ODOO_SRC_URL)"; \
		mkdir -p $(ODOO_CACHE) && \
		curl -fsSL $(ODOO_SRC_URL) | tar -xz -C $(ODOO_CACHE) --strip-components=1 && \
		$(PYTHON) -m pip install -q -r $(ODOO_CACHE)/requirements.txt && \
		$(PYTHON) -m pip install -q -e $(ODOO_CACHE) || \
		{ echo "ERROR: could not install Odoo 19.0; install it (python3 -m pip install -e <odoo 19.0 source>) and retry."; exit 1; }; \
	fi

# A server answers, or the project's own can start (it is stopped again here; demo and test start it themselves).
check-pg:
	@$(ENSURE_PG) && private_pg_stop

pg-stop:
	@if [ -f "$(PRIVATE_PG_DIR)/data/PG_VERSION" ]; then \
		source "$(ROOT)/tools/private_pg.sh" && bindir="$$(private_pg_bindir)" && \
		private_pg_as_owner "$$bindir/pg_ctl" -D "$(PRIVATE_PG_DIR)/data" -m fast -w stop; \
	else echo "no project PostgreSQL in $(PRIVATE_PG_DIR)"; fi

# The browser tours need Chrome or Chromium: without one Odoo skips them (and the suite would pass without
# them). Looked up as Odoo does: $ODOO_BROWSER_BIN, then google-chrome, chromium, chromium-browser,
# google-chrome-stable. Installed with apt-get when running as root where apt-get exists.
CHROME_BINS := google-chrome chromium chromium-browser google-chrome-stable
define find_chrome
	if [ -n "$${ODOO_BROWSER_BIN:-}" ] && [ -x "$$ODOO_BROWSER_BIN" ]; then bin="$$ODOO_BROWSER_BIN"; \
	else bin=""; for b in $(CHROME_BINS); do if command -v $$b >/dev/null 2>&1; then bin=$$(command -v $$b); break; fi; done; \
		for b in "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome" "/Applications/Chromium.app/Contents/MacOS/Chromium"; do \
			if [ -z "$$bin" ] && [ -x "$$b" ]; then bin="$$b"; fi; done; fi
endef

check-chromium:
	@$(find_chrome); \
	if [ -z "$$bin" ] && [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
		echo "Chromium not found: installing the chromium package (apt-get install chromium) for the browser tours"; \
		{ DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null \
			|| { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }; } \
			|| echo "WARNING: apt-get install chromium failed"; \
		$(find_chrome); \
	fi; \
	if [ -z "$$bin" ]; then \
		echo "ERROR: Chromium or Google Chrome is required: the browser tours of the test suite run in it."; \
		echo "       Install the 'chromium' package (Debian: sudo apt-get install chromium; Ubuntu: chromium-browser"; \
		echo "       or google-chrome-stable), or set ODOO_BROWSER_BIN to a Chrome/Chromium executable, and retry."; \
		exit 1; \
	fi; \
	echo "Browser for the tours: $$bin ($$("$$bin" --version 2>/dev/null | head -n 1))"

# Writes an Odoo configuration for database $(1) into $(2); the server's socket folder or host and port, when
# PGHOST/PGPORT name them (the project's own server does), as db_host and db_port
define write_cfg
	printf '[options]\naddons_path = %s\ndb_user = %s\ndb_name = %s\nhttp_port = %s\nhttp_interface = 127.0.0.1\n' \
		"$$($(PYTHON) -c 'import os, odoo.release as r; p = os.path.join(os.path.dirname(os.path.dirname(r.__file__)), "addons"); print(p + "," if os.path.isdir(p) else "", end="")')$(ROOT)" \
		"$${PGUSER:-$(DB_USER)}" "$(1)" "$(PORT)" > $(2); \
	if [ -n "$${PGHOST:-}" ]; then printf 'db_host = %s\n' "$$PGHOST" >> $(2); fi; \
	if [ -n "$${PGPORT:-}" ]; then printf 'db_port = %s\n' "$$PGPORT" >> $(2); fi
endef

test: install-dev check-odoo check-chromium
	@set -uo pipefail; \
	$(ENSURE_PG) || exit 1; \
	trap 'private_pg_stop' EXIT; \
	db="$(TEST_DB)"; cfg="$(ROOT)/.odoo-test-$$db.cfg"; \
	$(call write_cfg,$$db,$$cfg); \
	trap 'rm -f "$$cfg"; private_pg_stop' EXIT; \
	echo "== creating database $$db"; \
	createdb "$$db" || { echo "ERROR: could not create database $$db (TEST_DB must not exist yet)"; exit 1; }; \
	cleanup() { rm -f "$$cfg"; dropdb --if-exists --force "$$db" >/dev/null 2>&1 \
		|| echo "WARNING: could not drop database $$db; drop it by hand (dropdb $$db)"; private_pg_stop; }; \
	trap cleanup EXIT; \
	echo "== installing $(MODULE) (with sale_timesheet, account...)"; \
	$(PYTHON) -m odoo -c "$$cfg" -d "$$db" -i $(MODULE) --stop-after-init --log-level=warn || exit 1; \
	state=$$(psql -X -At -d "$$db" -c "select state from ir_module_module where name = '$(MODULE)'"); \
	if [ "$$state" != "installed" ]; then echo "ERROR: $(MODULE) did not install (state: $$state)"; exit 1; fi; \
	echo "== running the test suite"; \
	cd "$(ROOT)" && $(PYTHON) -m pytest --odoo-config="$$cfg" --odoo-database="$$db" -p no:warnings -p no:cacheprovider --odoo-http \
		$(MODULE)/tests $(PYTEST_ARGS); \
	status=$$?; \
	if [ $$status -eq 5 ]; then echo "ERROR: no test ran"; status=1; fi; \
	exit $$status

demo: check-odoo
	@set -uo pipefail; \
	$(ENSURE_PG) || exit 1; \
	if [ "$$PRIVATE_PG_STARTED" = "1" ]; then echo "== the project's own PostgreSQL keeps running after Odoo stops: make pg-stop"; fi; \
	cfg="$(ROOT)/.odoo-demo.cfg"; \
	$(call write_cfg,$(DEMO_DB),$$cfg); \
	state=$$(psql -X -At -d "$(DEMO_DB)" -c "select state from ir_module_module where name = '$(MODULE)'" 2>/dev/null); \
	if [ "$$state" = "installed" ]; then \
		echo "== updating $(MODULE) in $(DEMO_DB)"; \
		$(PYTHON) -m odoo -c "$$cfg" -d "$(DEMO_DB)" -u $(MODULE) --stop-after-init --log-level=warn || exit 1; \
	else \
		if ! psql -X -q -d "$(DEMO_DB)" -c "select 1" >/dev/null 2>&1; then \
			echo "== creating $(DEMO_DB)"; createdb "$(DEMO_DB)" || exit 1; \
		fi; \
		echo "== installing $(MODULE) with demo data into $(DEMO_DB)"; \
		$(PYTHON) -m odoo -c "$$cfg" -d "$(DEMO_DB)" -i $(MODULE) --with-demo --stop-after-init --log-level=warn || exit 1; \
	fi; \
	state=$$(psql -X -At -d "$(DEMO_DB)" -c "select state from ir_module_module where name = '$(MODULE)'"); \
	if [ "$$state" != "installed" ]; then echo "ERROR: $(MODULE) is not installed in $(DEMO_DB) (state: $$state)"; exit 1; fi; \
	echo "== Odoo serves $(DEMO_DB) on http://localhost:$(PORT) (login admin / admin)"; \
	exec $(PYTHON) -m odoo -c "$$cfg" -d "$(DEMO_DB)" --db-filter="^$(DEMO_DB)$$"

lint: install-dev
	ruff check $(ROOT)
	ruff format --check $(ROOT)
	pylint --rcfile=$(ROOT)/.pylintrc $(ROOT)/$(MODULE)

bench: check-odoo
	@set -uo pipefail; \
	$(ENSURE_PG) || exit 1; \
	trap 'private_pg_stop' EXIT; \
	if [ -f $(ROOT)/bench/run.py ]; then $(PYTHON) $(ROOT)/bench/run.py; else echo "no benchmark yet (bench/run.py)"; fi
