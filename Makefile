# Linli — two commands: `make run` and `make test`.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: run test lint format bench setup messages clean

$(VENV)/.installed: pyproject.toml requirements.lock
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.lock
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --silent
	touch $@

var:
	mkdir -p var

setup: $(VENV)/.installed node_modules/.installed var
	@if command -v msgfmt >/dev/null; then $(PY) manage.py compilemessages --ignore=.venv --ignore=node_modules -v 0; fi

run: setup
	$(PY) manage.py migrate --noinput -v 0
	$(PY) manage.py seed_demo --if-empty
	@echo "Starting the periodic job (deadline escalation) and the task worker (SMS, group messages) beside the web server."
	$(PY) manage.py run_periodic --loop & PERIODIC=$$!; \
	$(PY) manage.py db_worker --no-reload -v 0 & WORKER=$$!; \
	trap 'kill $$PERIODIC $$WORKER 2>/dev/null' EXIT INT TERM; $(PY) manage.py runserver $(HOST):$(PORT)

test: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) manage.py check
	$(PY) -m pytest

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: setup
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

messages: setup
	$(PY) manage.py makemessages -l zh_Hans --ignore=.venv --ignore=node_modules --ignore=var --ignore=staticfiles --ignore=test-artifacts --no-obsolete
	$(PY) manage.py compilemessages --ignore=.venv --ignore=node_modules

clean:
	rm -rf $(VENV) node_modules var/*.sqlite3

# The district benchmark (issue #5): gunicorn + locust against the district database; see bench/district.py.
bench: setup
	$(PY) -m pip install --quiet -r requirements-bench.txt
	$(PY) bench/district.py

# Two gunicorn instances on one PostgreSQL, sessions in Redis, an RQ worker, files on S3 (moto): bench/scaleout.md.
.PHONY: bench-scaleout
bench-scaleout: setup
	$(PY) bench/scaleout.py

.PHONY: bench-registry
bench-registry: setup
	$(PY) bench/registry.py

.PHONY: bench-partition
bench-partition: setup
	$(PY) -m pip install --quiet -r requirements-bench.txt
	$(PY) bench/partition_kmeans.py
