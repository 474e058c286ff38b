# snncompile developer entry points. README: `make demo` and `make test` do all set-up.
PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check -q
STAMP := $(VENV)/.snncompile-installed
BACKEND_DIRS := $(patsubst %/pyproject.toml,%,$(wildcard backends/*/pyproject.toml))
INSTALL_INPUTS := pyproject.toml Makefile $(wildcard backends/*/pyproject.toml)
PYTEST_ARGS ?=

.PHONY: install demo test lint format bench clean chromium zoo zoo-train

install: $(STAMP)

$(PY):
	$(PYTHON) -m venv $(VENV)

# Re-runs only when a pyproject or this Makefile changed (fast no-op otherwise).
$(STAMP): $(INSTALL_INPUTS) | $(PY)
	$(PIP) install torch==2.13.0            # the local CPU wheel; never an unpinned torch
	$(PIP) install "setuptools>=69" "setuptools-scm>=8" wheel
	$(PIP) install --no-build-isolation -e ".[dev]" $(addprefix -e ,$(BACKEND_DIRS))
	# lava-nc 0.10.0 declares python<3.11, numpy<2 and networkx<=2.8.7, stricter than it
	# needs: install its real run-time deps, then lava itself without its pins (docs/lava.md).
	$(PIP) install scipy "asteval<0.10" scikit-learn psutil
	$(PIP) install --no-deps --ignore-requires-python lava-nc==0.10.0
	# lava-dl 0.6.0, for tests only (loading our netx files): kept out of the environment's
	# site-packages, never imported by snncompile (docs/lava.md §13, §24).
	$(PIP) install --no-deps --ignore-requires-python --upgrade --target $(VENV)/lava-dl lava-dl==0.6.0
	touch $@

demo: install
	$(PY) examples/demo.py

# The zoo (examples/zoo): every checkpoint exported to every installed target, run and
# compared with the reference; the table goes to docs/zoo.md. zoo-train retrains them.
zoo: install
	$(PY) examples/zoo/run_zoo.py --out docs/zoo.md --force

zoo-train: install
	$(PY) examples/zoo/train_zoo.py --force

test: install
	SNNCOMPILE_VERIFY=1 $(PY) -m pytest -n 2 $(PYTEST_ARGS)

# Headless Chromium for tests/energy/test_browser.py (Debian, as root). Measured: 4 min 37 s
# from scratch (115 packages, on a loaded 2-core machine), 1 min 10 s to reinstall the
# chromium package alone: over the 2 min .ci/run allows, so CI does not call it. Elsewhere
# it says why, and the browser test skips.
chromium:
	@if [ -x /usr/bin/chromium ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			--no-install-recommends chromium >/dev/null; \
	else echo "make chromium: needs root and apt-get (Debian); tests/energy/test_browser.py will skip"; fi

lint: install
	$(PY) -m ruff check snncompile backends tests examples benchmarks
	$(PY) -m ruff format --check snncompile backends tests examples benchmarks

format: install
	$(PY) -m ruff format snncompile backends tests examples benchmarks
	$(PY) -m ruff check --fix snncompile backends tests examples benchmarks

# Peers for benchmarks only, kept out of .venv: SpikingJelly 2.0.0 without its heavy deps.
.bench-peers/.installed:
	$(PIP) install --no-deps --target .bench-peers spikingjelly==2.0.0 "loguru>=0.7,<1"
	touch $@

bench: install .bench-peers/.installed
	$(PY) benchmarks/neurons_cpu.py --peers .bench-peers --json benchmarks/results/neurons_cpu.json

clean:
	rm -rf $(VENV) .bench-peers build *.egg-info .pytest_cache
