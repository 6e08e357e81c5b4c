# All set-up happens here, so a fresh machine needs only `make demo` or `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.rwasim-installed
NODE_STAMP := contracts/node_modules/.rwasim-installed
PYTEST_ARGS ?=
# The distribution maps sim/, bridge/ and scenarios/ onto one `rwasim` package; mypy and
# import-linter read packages from folders, so they read a copy laid out as installed.
STAGE  := .typecheck

.PHONY: all install node demo test lint stage wheel bench chaos contracts contracts-check clean

all: test

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test,dask,analysis,dev]"
	touch $@

# The pinned Solidity compiler (npm `solc`) and anvil (npm `@foundry-rs/anvil`), from the lock file.
$(NODE_STAMP): contracts/package.json contracts/package-lock.json
	npm ci --prefix contracts --no-audit --no-fund
	touch $@

install: $(STAMP)

node: $(NODE_STAMP)

demo: $(STAMP)
	$(VENV)/bin/rwasim run cross_border_note --out runs/demo

test: $(STAMP) $(NODE_STAMP)
	$(PY) -m pytest $(PYTEST_ARGS)

stage:
	rm -rf $(STAGE) && mkdir -p $(STAGE)/rwasim/contracts
	cp -r sim/. $(STAGE)/rwasim/
	cp -r bridge $(STAGE)/rwasim/bridge
	cp -r scenarios $(STAGE)/rwasim/scenarios
	cp contracts/__init__.py $(STAGE)/rwasim/contracts/
	find $(STAGE) -name __pycache__ -prune -exec rm -rf {} +

# Style, types and the layer contracts (import-linter), as CI runs them.
lint: $(STAMP) stage
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	cd $(STAGE) && ../$(VENV)/bin/mypy --config-file ../pyproject.toml -p rwasim
	cd $(STAGE) && PYTHONPATH=. ../$(VENV)/bin/lint-imports --config ../pyproject.toml

wheel: $(STAMP)
	rm -rf dist && $(PY) -m build --wheel --outdir dist . >/dev/null && ls -l dist

bench: $(STAMP) $(NODE_STAMP)
	$(PY) benchmarks/ethereum_transfers.py
	$(PY) benchmarks/backends.py
	$(PY) benchmarks/consortium.py
	$(PY) benchmarks/bridge.py
	$(PY) benchmarks/idle_time.py
	$(PY) -P benchmarks/consortium_saturation.py

# The standing campaign at full size: 1,000 schedules over both chains and the bridge, and the
# consensus nemesis for n = 1..10 (tests/chaos and tests/consortium run small versions of both).
chaos: $(STAMP) $(NODE_STAMP)
	$(PY) benchmarks/chaos.py --schedules 1000 --lanes 2 --workers 2
	$(PY) benchmarks/consensus_nemesis.py --seeds 100

contracts: $(STAMP) $(NODE_STAMP)
	$(VENV)/bin/rwasim contracts build

contracts-check: $(STAMP) $(NODE_STAMP)
	$(VENV)/bin/rwasim contracts build --check

clean:
	rm -rf $(VENV) contracts/node_modules runs dist $(STAGE) .pytest_cache .hypothesis
