# All set-up happens here, so a fresh machine needs only `make demo` or `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.rwasim-installed
NODE_STAMP := contracts/node_modules/.rwasim-installed
PYTEST_ARGS ?=

.PHONY: all install node demo test bench contracts contracts-check clean

all: test

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test]"
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

bench: $(STAMP) $(NODE_STAMP)
	$(PY) benchmarks/ethereum_transfers.py
	$(PY) benchmarks/consortium.py
	$(PY) benchmarks/bridge.py

contracts: $(STAMP) $(NODE_STAMP)
	$(VENV)/bin/rwasim contracts build

contracts-check: $(STAMP) $(NODE_STAMP)
	$(VENV)/bin/rwasim contracts build --check

clean:
	rm -rf $(VENV) contracts/node_modules runs .pytest_cache .hypothesis
