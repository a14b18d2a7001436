# Supportdesk. `make run` sets everything up and serves; `make test` runs the tests.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

# The services of `make test-services` and .ci/run (override from the environment).
SERVICES_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/supportdesk
SERVICES_REDIS_URL ?= redis://127.0.0.1:6379/0
SERVICES_CELERY_BROKER_URL ?= amqp://guest:guest@127.0.0.1:5672//

.PHONY: run install browser haproxy oidc-provider mailserver env migrate demo messages makemessages test test-services suite-embedded suite-services lint format check-deploy clean

run: install env migrate demo
	$(PY) scripts/run_local.py

install: $(STAMP)

$(STAMP): pyproject.toml
	@PYTHON=$$(scripts/find_python.sh) || exit 1; \
	if [ ! -x $(PY) ]; then echo "Creating $(VENV) with $$PYTHON"; "$$PYTHON" -m venv $(VENV); fi
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	@command -v msgfmt >/dev/null || { echo "Installing gettext (msgfmt) for the translations"; \
	  (apt-get update -qq && apt-get install -y -qq gettext) >/dev/null || \
	  { echo "Please install gettext (msgfmt)."; exit 1; }; }
	touch $(STAMP)

# The browser tests drive Debian's Chromium (never a downloaded browser build).
browser:
	@command -v chromium >/dev/null || { echo "Installing Chromium for the browser tests"; \
	  (apt-get update -qq && apt-get install -y -qq chromium) >/dev/null || \
	  { echo "Please install chromium (Debian package) for the browser tests."; exit 1; }; }

# The scale-out test puts two daphne processes behind Debian's HAProxy (started by the
# test itself, on free ports; the package's own service is not used).
haproxy:
	@command -v haproxy >/dev/null || [ -x /usr/sbin/haproxy ] || { echo "Installing HAProxy for the scale-out test"; \
	  (apt-get update -qq && apt-get install -y -qq haproxy) >/dev/null || \
	  { echo "Please install haproxy (Debian package) for the scale-out test."; exit 1; }; }

# The single sign-on test runs a real OpenID Connect provider (oidc-provider from npm, pinned
# in its package-lock.json) on Node.js, started by the test itself on a free port.
OIDC_PROVIDER_DIR := tests/staff/oidc_provider
oidc-provider: $(OIDC_PROVIDER_DIR)/node_modules/.package-lock.json

$(OIDC_PROVIDER_DIR)/node_modules/.package-lock.json: $(OIDC_PROVIDER_DIR)/package-lock.json
	@command -v npm >/dev/null || { echo "Installing Node.js and npm for the single sign-on test"; \
	  (apt-get update -qq && apt-get install -y -qq nodejs npm) >/dev/null || \
	  { echo "Please install nodejs and npm (Debian packages) for the single sign-on test."; exit 1; }; }
	cd $(OIDC_PROVIDER_DIR) && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# The e-mail channel's services test fetches over IMAP from Debian's Dovecot (started by
# the test itself on a free port with a throwaway configuration; the package's own service
# is not used). SMTP is aiosmtpd, a Python test dependency.
mailserver:
	@command -v dovecot >/dev/null || [ -x /usr/sbin/dovecot ] || { echo "Installing Dovecot for the e-mail tests"; \
	  (apt-get update -qq && apt-get install -y -qq dovecot-imapd) >/dev/null || \
	  { echo "Please install dovecot-imapd (Debian package) for the e-mail tests."; exit 1; }; }

env:
	@python3 scripts/write_dev_env.py

# The compiled catalogues, each rebuilt only when its .po changed (what compilemessages
# runs, msgfmt --check-format): `make test` and `make test-services` side by side (.ci/run)
# then find them up to date instead of both rewriting them at once.
PO_FILES := $(wildcard locale/*/LC_MESSAGES/*.po)
MO_FILES := $(PO_FILES:.po=.mo)

messages: install $(MO_FILES)

locale/%.mo: locale/%.po $(STAMP)
	msgfmt --check-format -o $@ $<

makemessages: install
	$(PY) manage.py makemessages -l de -l en --ignore '.venv/*' --ignore 'var/*'
	$(PY) manage.py makemessages -d djangojs -l de -l en --ignore '.venv/*' --ignore 'var/*'

migrate: install env messages
	@mkdir -p var
	$(PY) manage.py migrate --no-input -v 0

demo: migrate
	$(PY) manage.py demo_setup

# The embedded suite, one pytest run. (It once ran in three parts: SQLite answered "disk
# I/O error" after ~250 live-server tests because a test read the database file with
# open()/close() in the test process, which drops SQLite's locks; tests/processes.py
# sqlite_file_bytes reads it in a child process, and an audit hook refuses such an open.)
test: install messages browser oidc-provider
	@$(MAKE) --no-print-directory suite-embedded

# The suite against PostgreSQL, channels-redis and a real Celery worker on RabbitMQ and Redis.
test-services: install messages browser haproxy oidc-provider mailserver
	@$(MAKE) --no-print-directory suite-services

# The two suites alone, without their prerequisites (compilemessages rewrites the .mo files:
# two suites side by side must not both run it). PYTEST_ARGS narrows a run.
suite-embedded:
	$(VENV)/bin/pytest --ds=supportdesk.settings.test $(PYTEST_ARGS)

suite-services:
	DATABASE_URL=$(SERVICES_DATABASE_URL) REDIS_URL=$(SERVICES_REDIS_URL) \
	CELERY_BROKER_URL=$(SERVICES_CELERY_BROKER_URL) SUPPORTDESK_TEST_SERVICES=1 \
	$(VENV)/bin/pytest --ds=supportdesk.settings.test $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

clean:
	rm -rf var/celery* var/test-*.sqlite3* var/media-test-* var/erasure-ledger-test-* .pytest_cache
