# The two commands a new user needs: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
VENDOR := gongzhi/web/static/vendor
STAMP := $(VENV)/.installed

.PHONY: demo test bench install assets messages lint check-migrations openapi clean

$(PY):
	$(PYTHON) -m venv $(VENV)

# Reinstall when pyproject.toml changes.
$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# Front-end assets come from the npm registry, pinned in package-lock.json, and are
# served by the app itself (no CDN). One npm ci makes every file (a grouped target).
VENDOR_FILES := $(VENDOR)/htmx.min.js $(VENDOR)/leaflet/leaflet.js $(VENDOR)/leaflet/leaflet.css \
	$(VENDOR)/echarts/echarts.min.js
$(VENDOR_FILES) &: package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	mkdir -p $(VENDOR)/leaflet
	cp node_modules/htmx.org/dist/htmx.min.js $(VENDOR)/htmx.min.js
	cp node_modules/leaflet/dist/leaflet.js node_modules/leaflet/dist/leaflet.css $(VENDOR)/leaflet/
	rm -rf $(VENDOR)/leaflet/images
	cp -R node_modules/leaflet/dist/images $(VENDOR)/leaflet/images
	mkdir -p $(VENDOR)/echarts
	cp node_modules/echarts/dist/echarts.min.js $(VENDOR)/echarts/echarts.min.js
	touch $(VENDOR_FILES)

assets: $(VENDOR_FILES)

install: $(STAMP) assets

demo: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py demo
	@echo ""
	@echo "共治演示站： http://127.0.0.1:$(PORT)/   （Ctrl-C 停止）"
	GONGZHI_INPROCESS_JOBS=1 $(PY) manage.py runserver 127.0.0.1:$(PORT)

# The suite in one pytest-xdist worker a core, each with its own test database and var/
# folder (gongzhi/pytest_plugin.py). PYTEST_WORKERS=0 runs it in this one process, e.g. to
# debug; ARGS passes more options: make test PYTEST_WORKERS=0 ARGS='-x gongzhi/cases'.
PYTEST_WORKERS ?= auto
test: install
	$(PY) -m pytest -n $(PYTEST_WORKERS) $(ARGS)

# Every benchmark with its baseline (docs/performance.md), not part of the tests. Data sets
# are generated on first use. E.g. make bench DATA=100k DB=sqlite ONLY=lists,repeats;
# make bench ONLY=faults (kill -9, database restarts, retrying clients; no data set needed).
DATA ?= 100k,1m
DB ?= sqlite,postgres
SOAK ?= 5
INTAKE ?= 60
ONLY ?= lists,dashboard,repeats,intake,soak,locator,import,faults
bench: install
	$(PY) bench/run.py --data $(DATA) --db $(DB) --only $(ONLY) --soak-minutes $(SOAK) \
		--intake-seconds $(INTAKE)

# ruff, then the layers (import-linter's contracts in pyproject.toml).
lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

check-migrations: install
	$(PY) manage.py makemigrations --check --dry-run

# The committed API schema; a test fails when the API changes and this is not rerun.
openapi: install
	$(PY) manage.py export_openapi_schema --api gongzhi.api.api.api --indent 2 --sorted --output docs/openapi.json

# Rebuild the zh_Hans catalog after changing user-facing text (needs gettext).
messages: install
	$(PY) manage.py makemessages -l zh_Hans --ignore=.venv --ignore=node_modules --ignore=var
	$(PY) manage.py compilemessages -l zh_Hans --ignore=.venv

clean:
	rm -rf $(VENV) node_modules $(VENDOR) var
