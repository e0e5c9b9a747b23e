# Two entry points for a fresh machine: `make run` (the product on its embedded defaults) and `make test`.
# Everything below is idempotent: a stamp per dependency set skips installs that are already done.

PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin
# OpenCV (under rapidocr's OCR of scanned materials) loads libGL and GLib when it is imported.
RUN_DEBS  := libgl1 libglib2.0-0
TEST_DEBS := $(RUN_DEBS) chromium postgresql fonts-noto-cjk
HASH   := $(shell cat pyproject.toml | sha256sum | cut -c1-12)
export ASSISTANT_DATA_DIR ?= $(CURDIR)/data

.PHONY: run test install-run install-test lint serve

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# torch first, pinned to the local CPU build, so nothing pulls a CUDA build in later.
$(VENV)/.torch: | $(BIN)/python
	$(BIN)/pip install --quiet torch==2.13.0
	touch $@

$(VENV)/.run-$(HASH): $(VENV)/.torch
	$(BIN)/pip install --quiet -e '.[llm,models-default]'
	touch $@

$(VENV)/.test-$(HASH): $(VENV)/.torch
	$(BIN)/pip install --quiet -e '.[llm,models-small,test]'
	touch $@

install-run: $(VENV)/.run-$(HASH)
install-test: $(VENV)/.test-$(HASH)

run: install-run
	dpkg -s $(RUN_DEBS) >/dev/null 2>&1 || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(RUN_DEBS))
	$(BIN)/assistant models provision
	$(BIN)/assistant ingest policy_corpus
	@echo
	@echo 'Serving the API on http://$${ASSISTANT_API_HOST:-127.0.0.1}:$${ASSISTANT_API_PORT:-8000} (docs at /docs, UI at /ui); Ctrl-C stops it.'
	$(BIN)/assistant serve

test: install-test
	$(BIN)/assistant models provision --only qwen2.5-coder-0.5b-instruct
	# Debian packages the tests use: chromium for the UI tests (never a browser download), the PostgreSQL
	# server for the database tests (each run starts a private cluster of its own), the Noto CJK fonts the
	# pre-check tests draw their scanned materials with, and OpenCV's libraries (RUN_DEBS).
	dpkg -s $(TEST_DEBS) >/dev/null 2>&1 || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(TEST_DEBS))
	$(BIN)/ruff check assistant tests bench
	$(BIN)/python -m pytest -q

lint: install-test
	$(BIN)/ruff check assistant tests bench
	$(BIN)/ruff format --check assistant tests bench
