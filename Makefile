# MLOps Portal. `make run` and `make test` work on a fresh clone with Python 3.11+.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
export DJANGO_SETTINGS_MODULE := portal.settings

.PHONY: run install lock services keycloak kube-apiserver migrate seed test test-fast lint format messages compilemessages clean bench fuzz-api

# LOCKED=1 (CI, the image) installs the exact versions of requirements/dev-lock.txt;
# without it `make run` takes the newest versions within pyproject.toml's ranges.
LOCKED ?=
$(STAMP): pyproject.toml requirements/dev-lock.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
ifeq ($(LOCKED),1)
	$(PIP) install --quiet --require-hashes -r requirements/dev-lock.txt
	$(PIP) install --quiet --no-deps -e .
else
	$(PIP) install --quiet -e '.[dev]'
endif
	touch $(STAMP)

install: $(STAMP)

# The one way to refresh the lock files, after a change to pyproject.toml's dependencies.
lock: $(STAMP)
	$(PIP) install --quiet uv
	for extra in "" dev; do \
	  out=requirements/$${extra:+$$extra-}lock.txt; \
	  $(VENV)/bin/uv pip compile pyproject.toml --quiet --universal --python-version 3.11 \
	    --generate-hashes $${extra:+--extra $$extra} --custom-compile-command "make lock" -o $$out; \
	done

# PostgreSQL and Redis from Debian, installed when missing and started on 127.0.0.1.
services:
	bash scripts/services.sh

# A real Keycloak (Maven Central's server distribution) with the example realm, on
# free ports (KEYCLOAK_PORT=8080 to pin one); the tests start their own.
keycloak:
	bash scripts/keycloak.sh start

# A real kube-apiserver and etcd for the tests, built from the Go modules once per
# version into PORTAL_CACHE_DIR (default ~/.cache/mlops-portal); long on a cold cache.
kube-apiserver:
	bash scripts/kube-apiserver.sh build

# Embedded default: SQLite under var/, Celery eager, local accounts, demo inventory.
run: export DEBUG = true
run: export SITE_URL ?= http://$(HOST):$(PORT)
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

# The .po files are the source of the Russian UI: `make messages` adds the new strings
# of the code to them (each app keeps its own catalogue in <app>/locale; the portal and
# the shared templates use locale/), a person translates them there, `make
# compilemessages` builds the .mo files that are committed beside them.
LOCALE_APPS := $(patsubst %/locale/,%,$(wildcard */locale/))
messages: $(STAMP)
	for app in $(LOCALE_APPS); do \
	  (cd $$app && $(abspath $(PY)) ../manage.py makemessages -l ru --no-obsolete) || exit 1; done
	$(PY) manage.py makemessages -l ru --no-obsolete --ignore='.venv/*' \
	  $(foreach app,$(LOCALE_APPS),--ignore='$(app)/*') --ignore='tests/*' --ignore='bench/*' --ignore='var/*'

compilemessages: $(STAMP)
	$(PY) manage.py compilemessages --ignore='.venv/*'

# The API's generated-request tests, larger than in CI: every phase (coverage too),
# 100 examples per operation, 200 stateful scenarios. Takes about an hour here.
fuzz-api: $(STAMP)
	API_FUZZ_EXAMPLES=$${API_FUZZ_EXAMPLES:-100} API_FUZZ_STATEFUL=$${API_FUZZ_STATEFUL:-200} \
	  API_FUZZ_COVERAGE=1 $(PY) -m pytest tests/api/test_openapi_fuzz.py -q $(PYTEST_ARGS)

bench: $(STAMP)
	$(PY) bench/inventory_sync.py

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
