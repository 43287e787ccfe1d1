# MLOps Portal. `make run` and `make test` work on a fresh clone with Python 3.11+.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
export DJANGO_SETTINGS_MODULE := portal.settings

.PHONY: run install services kube-apiserver migrate seed test test-fast lint format messages compilemessages clean bench

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# PostgreSQL and Redis from Debian, installed when missing and started on 127.0.0.1.
services:
	bash scripts/services.sh

# A real kube-apiserver and etcd for the tests, built from the Go modules once per
# version into PORTAL_CACHE_DIR (default ~/.cache/mlops-portal); long on a cold cache.
kube-apiserver:
	bash scripts/kube-apiserver.sh build

# Embedded default: SQLite under var/, Celery eager, local accounts, demo inventory.
run: export DEBUG = true
run: export INVENTORY_INPROCESS_SYNC = true
run: $(STAMP)
	mkdir -p var
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_portal --demo
	@echo "Serving on http://$(HOST):$(PORT)/ (Ctrl-C to stop)"
	$(PY) manage.py runserver $(HOST):$(PORT)

test: $(STAMP)
	$(PY) -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	PORTAL_TESTING=true $(PY) manage.py check
	PORTAL_TESTING=true $(PY) manage.py makemigrations --check --dry-run

format: $(STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# Each app keeps its own catalogue in <app>/locale; shared templates live in locale/.
messages: $(STAMP)
	for app in procedures knowledge inventory; do \
	  (cd $$app && ../$(PY) ../manage.py makemessages -l ru --no-obsolete) ; done
	$(PY) manage.py makemessages -l ru --no-obsolete --ignore='.venv/*' \
	  --ignore='procedures/*' --ignore='knowledge/*' --ignore='inventory/*' --ignore='tests/*' --ignore='bench/*' --ignore='var/*'

compilemessages: $(STAMP)
	$(PY) manage.py compilemessages --ignore='.venv/*'

bench: $(STAMP)
	$(PY) bench/inventory_sync.py

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
