# Two commands on a fresh machine: `make demo` (install, make a tiny model, fine-tune it, show what it
# learned) and `make test` (install test deps, run the suite). CPU machines get torch's CPU build through
# constraints.txt; see docs/install.md for GPUs.
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
export PIP_CONSTRAINT := $(CURDIR)/constraints.txt

.PHONY: setup demo test test-fast test-gguf lint clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml constraints.txt
	python3 -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -c constraints.txt -e .
	touch $@

# Test extras: the openai client, Playwright, pexpect, the optional training back-ends the tests cover, and
# torchvision + PyAV for the vision-language models (a torch/torchvision pair from constraints-vision.txt).
$(VENV)/.test-installed: $(VENV)/.installed constraints-vision.txt
	PIP_CONSTRAINT=$(CURDIR)/constraints-vision.txt $(PIP) install -q -c constraints-vision.txt -e '.[test]'
	# DeepSpeed builds against the installed torch, so not in an isolated build environment.
	PIP_CONSTRAINT=$(CURDIR)/constraints-vision.txt $(PIP) install -q -c constraints-vision.txt \
	  --no-build-isolation deepspeed
	touch $@

demo: setup
	$(VENV)/bin/tuneforge demo --output_dir out/demo

test: $(VENV)/.test-installed
	$(VENV)/bin/lint-imports
	$(PY) -m pytest -q

# The edit–test loop: everything but the tests marked slow (whole training runs, servers, DDP, the browser).
test-fast: $(VENV)/.test-installed
	$(VENV)/bin/lint-imports
	$(PY) -m pytest -q -m "not slow"

# GGUF exports checked by llama.cpp itself (llama-cpp-python compiles llama.cpp; pip caches the wheel).
test-gguf: $(VENV)/.test-installed
	PIP_CONSTRAINT=$(CURDIR)/constraints-vision.txt CMAKE_ARGS=-DGGML_NATIVE=OFF $(PIP) install -q \
	  -c constraints-vision.txt llama-cpp-python
	$(PY) -m pytest -q -p no:cacheprovider tests/export/test_llamacpp.py tests/export/test_consistency.py

clean:
	rm -rf out .pytest_cache
