# Two commands do everything on a fresh Debian machine with Python 3.11+ and Node:
#   make run    install what is missing, migrate, serve on http://127.0.0.1:8000 (with a
#               development STUN/TURN on 127.0.0.1:3478 when coturn is installed, and the
#               blind mirror service beside it; MIRROR=off leaves it out)
#   make test   install what is missing (Chromium, redis-server, coturn included), run every test
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint format bench install install-python install-node install-chromium install-fonts install-redis install-turn install-nat-lab clean

run: install install-turn
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py vapid_keys --if-missing
	$(BIN)/python manage.py serve --host $(HOST) --port $(PORT) --turn $(if $(filter 0 no off,$(MIRROR)),,--mirror)

test: install install-chromium install-fonts install-redis install-turn install-nat-lab
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	node_modules/.bin/eslint .
	node --test tests/js/
	$(BIN)/pytest tests
	$(BIN)/pytest e2e

lint:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	node_modules/.bin/eslint .

format:
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: install install-chromium install-turn install-nat-lab
	$(BIN)/python -m bench.connect
	$(BIN)/python -m bench.signaling
	$(BIN)/python -m bench.big_topic
	$(BIN)/python -m bench.flood
	$(BIN)/python -m bench.catchup
	$(BIN)/python -m bench.mirror
	$(BIN)/python -m bench.files
	$(BIN)/python -m bench.hostile
	$(BIN)/python -m bench.nat
	node bench/overlay.mjs
	node bench/moderation.mjs

# The NAT lab of the e2e tests (e2e/lab/: network namespaces, nftables NAT) needs ip and
# nft, and coturn (install-turn); the lab starts its own coturn.
install-nat-lab:
	@missing=""; \
	command -v ip >/dev/null 2>&1 || missing="$$missing iproute2"; \
	command -v nft >/dev/null 2>&1 || missing="$$missing nftables"; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ]; then apt-get update -q && apt-get install -y -q $$missing; \
		else sudo apt-get update -q && sudo apt-get install -y -q $$missing; fi; fi

install: install-python install-node

install-python: $(VENV)/.installed
$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is needed"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev,redis,peer,bench]'
	touch $@

install-node: static/vendor/.built static/bundle/.built
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@
static/vendor/.built: node_modules/.installed scripts/build-vendor.mjs
	npm run --silent build
	touch $@
# The app's bundle (scripts/build-app.mjs), rebuilt whenever a module changes; the
# server serves the modules instead while it is missing or older than they are.
APP_MODULES := $(shell find static/app -name '*.js' -not -path 'static/app/sw/*')
static/bundle/.built: static/vendor/.built scripts/build-app.mjs $(APP_MODULES)
	node scripts/build-app.mjs
	touch $@

# Debian's Chromium: Playwright cannot download its own browser here.
install-chromium:
	@command -v chromium >/dev/null 2>&1 || { \
		if [ "$$(id -u)" = 0 ]; then apt-get update -q && apt-get install -y -q chromium; \
		else sudo apt-get update -q && sudo apt-get install -y -q chromium; fi; }

# An emoji font, so that the browsers of the tests (and their screenshots) show emoji as
# people see them rather than empty boxes.
install-fonts:
	@[ -e /usr/share/fonts/truetype/noto/NotoColorEmoji.ttf ] || { \
		if [ "$$(id -u)" = 0 ]; then apt-get update -q && apt-get install -y -q fonts-noto-color-emoji; \
		else sudo apt-get update -q && sudo apt-get install -y -q fonts-noto-color-emoji; fi; }

# Debian's redis-server, for the tests of several processes on Redis (tests/scaleout/);
# the tests start their own on a unix socket, so it is not started as a service here.
install-redis:
	@command -v redis-server >/dev/null 2>&1 || { \
		if [ "$$(id -u)" = 0 ]; then apt-get update -q && apt-get install -y -q redis-server; \
		else sudo apt-get update -q && sudo apt-get install -y -q redis-server; fi; }

# Debian's coturn (turnserver), the TURN relay: `make run` starts a development one
# beside the server when it is installed (manage.py serve --turn), and tests/turn/ start
# their own. (On a machine with systemd, Debian may start its own coturn service on port
# 3478; `make run` then takes a free port for its development relay, and says so.)
install-turn:
	@command -v turnserver >/dev/null 2>&1 || { \
		if [ "$$(id -u)" = 0 ]; then apt-get update -q && apt-get install -y -q coturn; \
		else sudo apt-get update -q && sudo apt-get install -y -q coturn; fi; }

clean:
	rm -rf $(VENV) node_modules static/vendor static/bundle staticfiles
