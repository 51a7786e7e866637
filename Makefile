PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test fuzz golden reports bench conformance clean

$(BIN)/python:
	$(PY) -m venv $(VENV) || python3 -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

demo: $(VENV)/.installed
	$(BIN)/kafkasim run scenarios/quickstart.yaml

# The suite starts many Python processes (its two workers, notebook kernels, pools, the command
# line): they share compiled bytecode in .venv/pycache even where PYTHONDONTWRITEBYTECODE is set.
test fuzz: export PYTHONDONTWRITEBYTECODE :=
test fuzz: export PYTHONPYCACHEPREFIX := $(CURDIR)/$(VENV)/pycache

test: $(VENV)/.installed
	$(BIN)/ruff check sim tests tools bench
	$(BIN)/python -m pytest -n 2 --dist loadfile --no-loadscope-reorder -p no:cacheprovider

fuzz: $(VENV)/.installed
	HYPOTHESIS_PROFILE=fuzz $(BIN)/python -m pytest -n 2 tests -m "not slow or slow"

golden: $(VENV)/.installed
	$(BIN)/python -m tests.golden.rewrite

reports: $(VENV)/.installed
	$(BIN)/python -m sim.releases reports/kafka-versions.md \
		scenarios/kafka-0-10-hw-truncation-loses-committed-records.yaml \
		scenarios/kafka-1-1-fast-unclean-failovers-diverge.yaml \
		scenarios/kafka-3-6-acks1-visible-below-min-isr.yaml \
		scenarios/kafka-4-0-last-replica-standing-loses-data.yaml \
		scenarios/acks1-leader-crash.yaml \
		scenarios/power-loss-rolling-one-at-a-time.yaml
	$(BIN)/python -m sim.report.curated reports

conformance: $(VENV)/.installed
	$(BIN)/python tools/conformance.py table > .conformance.tmp
	mv .conformance.tmp docs/CONFORMANCE.md

bench: $(VENV)/.installed
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) reports/runs .hypothesis
