# smi-ui: `make run` starts the dashboard, `make test` runs the whole test suite.
# Both install what they need first (a virtualenv in .venv, npm packages in node_modules).

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(VENV)/bin/pip
HOST   ?= 127.0.0.1
PORT   ?= 8000
PYTEST_ARGS ?=

# Local runs keep a generated secret key in var/ unless SECRET_KEY is given.
export SECRET_KEY_FILE ?= $(CURDIR)/var/secret_key

.PHONY: run test lint install install-dev assets clean

run: install assets
	$(PY) manage.py migrate --noinput
	$(PY) manage.py collectstatic --noinput --verbosity 0
	$(PY) manage.py ensure_admin
	$(PY) manage.py serve --host $(HOST) --port $(PORT) $(if $(DEMO),--demo)

test: install-dev assets lint
	@$(PY) -m pytest $(PYTEST_ARGS); status=$$?; \
	if [ $$status -eq 5 ]; then echo "pytest collected no tests: failing on purpose" >&2; exit 1; fi; \
	exit $$status

lint: install-dev
	$(VENV)/bin/ruff check .

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev
assets: static/vendor/.installed

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

$(VENV)/.installed: $(VENV)/bin/python requirements.txt
	$(PIP) install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	$(PIP) install --quiet -r requirements-dev.txt
	touch $@

static/vendor/.installed: package.json package-lock.json scripts/copy-vendor.mjs
	npm ci --no-audit --no-fund --loglevel=error
	npm run --silent vendor
	touch $@

clean:
	rm -rf $(VENV) node_modules static/vendor
