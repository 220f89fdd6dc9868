# The two commands of README.md, and what they need on a fresh machine.
VENV ?= .venv
PYTHON ?= python3
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: pair pair-down test system-deps

pair: system-deps $(VENV)/.installed
	$(VENV)/bin/autosync-pair up

pair-down: $(VENV)/.installed
	$(VENV)/bin/autosync-pair down

# Lint first (ruff.toml): a style or complexity error fails like a test.
# The unit tests patch sockets for eventlet (tests/unit/conftest.py);
# the end-to-end ones run in processes of their own, unpatched (boto3
# cannot make an SSL context in a process patched after ssl's import):
# two (pytest-xdist), each taking whole modules, whose pairs are on free
# ports of their own; most of their time is waiting on servers. They end
# with their 15 slowest tests.
E2E_WORKERS ?= 2
test: system-deps $(VENV)/.installed
	. $(VENV)/bin/activate && ruff check . && python -m pytest tests/unit \
	  && python -m pytest tests/integration -n $(E2E_WORKERS) \
	     --dist loadfile --durations=15

# What Swift needs from the distribution here: memcached, and rsync for
# the replicators of a pair with --replicas 3; Debian's python3 makes
# venvs only with python3-venv (ensurepip).
system-deps:
	@command -v memcached >/dev/null || { \
	  $(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q memcached; }
	@command -v rsync >/dev/null || { \
	  $(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q rsync; }
	@$(PYTHON) -c 'import ensurepip' 2>/dev/null || { \
	  $(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q python3-venv; }

$(VENV)/.installed: setup.py setup.cfg
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -e '.[test]'
	touch $@
