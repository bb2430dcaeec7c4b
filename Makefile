# Two commands on a fresh machine: `make demo` (install, make a tiny model, fine-tune it, show what it
# learned) and `make test` (install test deps, run the suite). CPU machines get torch's CPU build through
# constraints.txt; see docs/install.md for GPUs.
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
export PIP_CONSTRAINT := $(CURDIR)/constraints.txt

.PHONY: setup demo test lint clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml constraints.txt
	python3 -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -c constraints.txt -e '.[test]'
	touch $@

demo: setup
	$(VENV)/bin/tuneforge demo --output_dir out/demo

test: setup
	$(VENV)/bin/lint-imports
	$(PY) -m pytest -q

clean:
	rm -rf out .pytest_cache
